"""A version's facts: the case's facts as they will read once the version is published.

Once a case has a published analysis its facts change only here: a draft started on it
carries the case's facts, edited alongside narrative and scores, checked by the case
services' rules, applied to the case's rows by ``cases.services.case_facts_apply`` inside
the publish transaction, and frozen with the version (migration 0008's triggers).

Parties: a draft's facts name parties by organization. Readers' pages read the case's
``Party`` rows, which change only at publication, so a party added in a draft reaches
no reader before then; it becomes a row (and can be scored) when the version is
published, and a party removed in a draft loses the draft's scores for it at once. A
party scored by a published analysis stays on the record (as before: Score.party is
PROTECT, so the history keeps naming it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from cases import services as case_services
from cases.facts import case_facts, facts_merge, facts_parse
from cases.models import Case
from evaluations.models import EvaluationVersion

NEVER_PUBLISHED = (
    "this case was never published: edit the case itself (its facts go on the record with its first publication)"
)


def version_facts_start(case: Case) -> dict[str, Any]:
    """The facts a new draft starts from: the case's own once it is published, none before."""
    return case_facts(case) if case.is_published else {}


def version_facts_validated(version: EvaluationVersion, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` merged over the draft's facts and checked; the facts to store. ValidationError, nothing written."""
    case = Case.objects.get(pk=version.case_id)
    if not case.is_published:
        raise ValidationError({"facts": [NEVER_PUBLISHED]})
    merged = facts_merge(version.facts or case_facts(case), given)
    try:
        stored = case_services.case_facts_validate(case=case, facts=merged)
    except ValidationError as exc:
        raise ValidationError({f"facts.{key}": messages for key, messages in exc.message_dict.items()}) from None
    # A source the case holds keeps its id, as case_facts gives it (the validated shape drops it): facts
    # saved unchanged, or restored from a revision, are then the very facts the draft held.
    ids = {(source.url, source.title): source.pk for source in case.sources.all()}
    stored["sources"] = [
        {"id": ids[(s["url"], s["title"])], **s} if (s["url"], s["title"]) in ids else s for s in stored["sources"]
    ]
    return stored


def version_party_ids(version: EvaluationVersion) -> set[int]:
    """The case's parties this version may score: those its facts keep (all of them without facts)."""
    parties = list(version.case.parties.select_related("organization"))
    if not version.facts:
        return {party.pk for party in parties}
    # The rows the facts keep, matched as their publication will match them (an organization may hold several roles).
    slugs = {party.organization.slug: party.organization_id for party in parties}
    wanted = [
        (slugs[item["organization"]], item.get("role"))
        for item in version.facts.get("parties", [])
        if item.get("organization") in slugs
    ]
    return {row.pk for row in case_services.parties_match(parties, wanted) if row is not None}


def version_facts_prune(version: EvaluationVersion) -> None:
    """After the facts changed: drop the draft's scores of parties its facts no longer hold."""
    if version.facts:
        version.scores.exclude(party=None).exclude(party_id__in=version_party_ids(version)).delete()


def version_facts_publish(version: EvaluationVersion) -> None:
    """Inside the publish transaction, before the version is frozen: apply its facts to the case,
    or (a first publication, or a version drafted without facts) record the case's facts in it."""
    case = Case.objects.get(pk=version.case_id)
    if version.facts and case.is_published:
        data, timeline = case_services.case_facts_input(facts_parse(version.facts))
        case = case_services.case_facts_apply(case=case, data=data, timeline=timeline)
    version.facts = case_facts(case)
