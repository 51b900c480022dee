"""Reads for evaluations: rubric specs, current versions, engine inputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from cases.models import Case, Party, Source
from evaluations import exposure, scoring
from evaluations.models import (
    Annotation,
    AuditEntry,
    Citation,
    Criterion,
    EvaluationVersion,
    PartyFigure,
    Revision,
    RiskSummary,
    RubricVersion,
    Score,
)


def rubric_spec(version: RubricVersion) -> scoring.RubricSpec:
    """The engine's view of a rubric version (uses prefetched criteria if present)."""
    return scoring.RubricSpec.build(
        scale_min=version.scale_min,
        scale_max=version.scale_max,
        criteria=[
            scoring.CriterionSpec(key=c.key, family=c.family, weight=c.weight, per_party=c.per_party)
            for c in version.criteria.all()
        ],
        classification=version.classification,
    )


def rubric_vocabulary(classifications: Iterable[dict]) -> dict[str, list[tuple[str, str]]]:
    """The risk bands and classifications a summary can carry, as (value, label) choices.

    Bands are the active rubric versions' (``classification.risk_bands``, lowest first);
    classifications are those the engine assigns under the thresholds the rubric data sets
    (``dependency_risk_at``, ``leverage_at``, ``workaround_at``; ``mixed`` otherwise), most
    exposed first. Pure: the caller reads ``classifications`` (each active version's
    ``classification`` data) with its own query, and caches the result.
    """
    bands: dict[str, float] = {}
    for data in classifications:
        for name, bound in (data.get("risk_bands") or {}).items() if isinstance(data, dict) else ():
            try:
                bands.setdefault(str(name), float(bound))
            except (TypeError, ValueError):
                continue  # data the engine would refuse: no band to offer
    return {
        "risk_bands": [(name, name) for name in sorted(bands, key=lambda name: (bands[name], name))],
        "classifications": [(c.value, c.label) for c in scoring.SEVERITY],
    }


def criteria_prefetch() -> Prefetch:
    return Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id"))


# --- A version's content: the one read shape for pages, the desk and the API ---------------
# Scores with their criterion, their party's organization and their sources (in the case's
# order), in the rubric's order; annotations with their author, in writing order; the
# rubric version above it. Each page or endpoint that shows a version's content takes these.

# double_scoring: a reverse one-to-one, joined so that "is it double scored?" costs no query.
VERSION_CONTENT_RELATED = ("evaluation__rubric_version__rubric", "double_scoring")


def version_scores_prefetch() -> Prefetch:
    return Prefetch(
        "scores",
        queryset=Score.objects.select_related("criterion", "party__organization")
        .prefetch_related(
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("position", "id")),
        )
        .order_by("criterion__position", "party__position", "id"),
    )


def version_annotations_prefetch() -> Prefetch:

    return Prefetch("annotations", queryset=Annotation.objects.select_related("author").order_by("id"))


def version_content_prefetches() -> tuple[Prefetch, Prefetch]:
    """Everything a version's content shows beyond the version row: scores and annotations."""
    return version_scores_prefetch(), version_annotations_prefetch()


def versions_with_content(versions: QuerySet[EvaluationVersion] | None = None) -> QuerySet[EvaluationVersion]:
    """``versions`` (all by default) with their content, in a fixed number of queries."""
    versions = EvaluationVersion.objects.all() if versions is None else versions
    return versions.select_related(*VERSION_CONTENT_RELATED).prefetch_related(*version_content_prefetches())


@dataclass
class SummaryInputs:
    """What one case's risk summary is computed from, read in bulk."""

    version_id: int | None = None
    rubric_id: int | None = None
    rubric_version: RubricVersion | None = None
    party_scores: dict[int, dict[str, int]] = field(default_factory=dict)
    deal_scores: dict[str, int] = field(default_factory=dict)
    party_orgs: dict[int, int] = field(default_factory=dict)


def summary_inputs(case_ids: Iterable[int]) -> dict[int, SummaryInputs]:
    """The inputs of many cases' summaries in four queries, whatever their number.

    A case's published version, scored under whichever rubric version was
    active when it was written, is read under its rubric's *active* version:
    scores carry over by criterion key. A score the active version cannot take
    (a key it dropped, a value outside its scale, a per-party criterion that
    became per-deal or back) is left out, so its criterion counts as missing.
    """
    case_ids = list(case_ids)
    result: dict[int, SummaryInputs] = {case_id: SummaryInputs() for case_id in case_ids}
    versions = EvaluationVersion.objects.filter(
        case_id__in=case_ids, state=EvaluationVersion.State.PUBLISHED
    ).values_list("pk", "case_id", "evaluation__rubric_version__rubric_id")
    by_version: dict[int, SummaryInputs] = {}
    for version_id, case_id, rubric_id in versions:
        inputs = result[case_id]
        inputs.version_id, inputs.rubric_id = version_id, rubric_id
        by_version[version_id] = inputs
    rubric_ids = {inputs.rubric_id for inputs in by_version.values() if inputs.rubric_id is not None}
    active = {
        version.rubric_id: version
        for version in RubricVersion.objects.filter(rubric_id__in=rubric_ids, status=RubricVersion.Status.ACTIVE)
        .prefetch_related(criteria_prefetch())
        .order_by("pk")
    }
    per_party = {rubric_id: {c.key: c.per_party for c in v.criteria.all()} for rubric_id, v in active.items()}
    for inputs in by_version.values():
        inputs.rubric_version = active.get(inputs.rubric_id) if inputs.rubric_id is not None else None
    scores = (
        Score.objects.filter(version_id__in=list(by_version))
        .values_list("version_id", "party_id", "party__organization_id", "criterion__key", "value")
        .order_by("id")
    )
    for version_id, party_id, organization_id, key, value in scores:
        inputs = by_version[version_id]
        rubric_version = inputs.rubric_version
        if rubric_version is None:
            continue
        if party_id is not None:
            inputs.party_orgs[party_id] = organization_id
        criterion_per_party = per_party[rubric_version.rubric_id].get(key)
        fits = (
            criterion_per_party is not None
            and criterion_per_party == (party_id is not None)
            and rubric_version.scale_min <= value <= rubric_version.scale_max
        )
        if party_id is None:
            if fits:
                inputs.deal_scores[key] = value
        else:
            scores_of_party = inputs.party_scores.setdefault(party_id, {})
            if fits:
                scores_of_party[key] = value
    return result


def summaries_needing_reevaluation() -> QuerySet[RiskSummary]:
    """Published cases whose analysis misses criteria of the active rubric (for the editors' desk)."""
    return (
        RiskSummary.objects.filter(needs_reevaluation=True, case__status="published")
        .select_related("case", "rubric_version")
        .order_by("case__title", "case_id")
    )


def stale_summaries_stats() -> tuple[int, datetime | None]:
    """How many summaries are stale, and since when the oldest one is."""
    stats = RiskSummary.objects.filter(stale=True).aggregate(count=Count("pk"), oldest=Min("stale_since"))
    return stats["count"], stats["oldest"]


def overdue_publications_stats(now: datetime | None = None) -> tuple[int, datetime | None]:
    """Scheduled versions still unpublished SCHEDULED_PUBLISH_OVERDUE_SECONDS after their time
    (the periodic jobs are not running): how many, and the earliest time among them."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    stats = EvaluationVersion.objects.filter(state=EvaluationVersion.State.SCHEDULED, publish_at__lt=cutoff).aggregate(
        count=Count("pk"), oldest=Min("publish_at")
    )
    return stats["count"], stats["oldest"]


def overdue_publications_health() -> tuple[bool, dict[str, object]]:
    """The /health/ check for scheduled publishing (handed to core.health by config.urls)."""
    now = timezone.now()
    count, oldest = overdue_publications_stats(now)
    return count == 0, {
        "count": count,
        "oldest_overdue_seconds": round((now - oldest).total_seconds()) if oldest else 0,
        "max_overdue_seconds": settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS,
    }


def exposure_deals(organization_ids: Iterable[int]) -> dict[int, list[exposure.Deal]]:
    """Each organization's published deals, in five queries for any number of them."""
    organization_ids = list(organization_ids)
    # The cases as a subquery in the reads below, not a list: a busy organization has
    # tens of thousands of deals, and as many placeholders cost more than the reads.
    cases = Case.objects.published().filter(parties__organization_id__in=organization_ids).values("pk")
    years = dict(Case.objects.filter(pk__in=cases).values_list("pk", "announced_on__year"))
    case_ids = sorted(years)
    deal_types: dict[int, list[str]] = {}
    for case_id, slug in Case.deal_types.through.objects.filter(case_id__in=cases).values_list(
        "case_id", "dealtype__slug"
    ):
        deal_types.setdefault(case_id, []).append(slug)
    parties: dict[int, list[exposure.DealParty]] = {}
    for case_id, org_id, role, slug, name in Party.objects.filter(case_id__in=cases).values_list(
        "case_id", "organization_id", "role", "organization__slug", "organization__name"
    ):
        parties.setdefault(case_id, []).append(exposure.DealParty(org_id, role, slug, name))
    classifications = {
        (case_id, org_id): classification
        for case_id, org_id, classification in PartyFigure.objects.filter(
            summary__case_id__in=cases, organization_id__in=organization_ids
        ).values_list("summary__case_id", "organization_id", "classification")
    }
    wanted = set(organization_ids)
    result: dict[int, list[exposure.Deal]] = {org_id: [] for org_id in organization_ids}
    for case_id in case_ids:
        case_parties = tuple(parties.get(case_id, ()))
        for org_id in {p.organization_id for p in case_parties} & wanted:
            result[org_id].append(
                exposure.Deal(
                    case_id=case_id,
                    year=years[case_id],
                    deal_types=tuple(sorted(deal_types.get(case_id, ()))),
                    parties=case_parties,
                    classification=classifications.get((case_id, org_id), ""),
                )
            )
    return result


# --- Desk -------------------------------------------------------------------
# Reads for the editors' desk. Drafts appear only here, never on reader pages.

DESK_LIST_LIMIT = 20


def desk_versions(*, states: Iterable[str]) -> QuerySet[EvaluationVersion]:
    """Versions in the given states with what a desk row shows (case, author)."""
    return EvaluationVersion.objects.filter(state__in=list(states)).select_related("case", "author")


def desk_dashboard(user) -> dict[str, object]:
    """Everything the desk dashboard lists, each list bounded, in a fixed number of queries."""
    state = EvaluationVersion.State
    stale_count, stale_oldest = stale_summaries_stats()
    now = timezone.now()
    overdue_count, overdue_oldest = overdue_publications_stats(now)
    overdue_before = now - timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    return {
        "my_drafts": list(
            desk_versions(states=[state.DRAFT]).filter(author=user).order_by("-updated_at")[:DESK_LIST_LIMIT]
        ),
        "in_review": list(desk_versions(states=[state.IN_REVIEW]).order_by("submitted_at", "pk")[:DESK_LIST_LIMIT]),
        "scheduled": list(desk_versions(states=[state.SCHEDULED]).order_by("publish_at", "pk")[:DESK_LIST_LIMIT]),
        "recently_published": list(
            desk_versions(states=[state.PUBLISHED]).order_by("-published_at", "-pk")[:DESK_LIST_LIMIT]
        ),
        "needs_reevaluation": list(summaries_needing_reevaluation()[:DESK_LIST_LIMIT]),
        "stale_summaries": list(
            RiskSummary.objects.filter(stale=True)
            .select_related("case")
            .order_by("stale_since", "pk")[:DESK_LIST_LIMIT]
        ),
        "stale_count": stale_count,
        "stale_oldest": stale_oldest,
        # Scheduled versions past their time by more than the setting: the periodic jobs are not running.
        "overdue_count": overdue_count,
        "overdue_oldest": overdue_oldest,
        "overdue_before": overdue_before,
    }


def desk_case_list(query: str = "") -> QuerySet:
    """Every case, drafts included, with its versions' states; a fixed number of queries.

    ``query`` matches titles and slugs (not the readers' search documents, which
    published cases alone have: the desk must find drafts too).
    """
    cases = Case.objects.all()
    query = query.replace("\x00", "").strip()
    if query:
        cases = cases.filter(Q(title__icontains=query) | Q(slug__icontains=query))
    return cases.order_by("-updated_at", "-pk").prefetch_related(
        Prefetch(
            "evaluation_versions",
            queryset=EvaluationVersion.objects.only("pk", "case_id", "number", "state").order_by("number"),
        )
    )


def desk_case(pk: int):
    """A case with everything its desk page shows, drafts included, or Case.DoesNotExist."""
    return (
        Case.objects.prefetch_related(
            "deal_types",
            "tags",
            "timeline",
            Prefetch("parties", queryset=Party.objects.select_related("organization").order_by("position", "id")),
            Prefetch("sources", queryset=Source.objects.order_by("position", "id")),
            Prefetch(
                "evaluation_versions",
                queryset=EvaluationVersion.objects.select_related("author", "evaluation__rubric_version").order_by(
                    "number"
                ),
            ),
        )
        .select_related("risk_summary")
        .get(pk=pk)
    )


def desk_version(pk: int) -> EvaluationVersion:
    """A version of any state with its scores, annotations, audit and revisions, or DoesNotExist."""
    return (
        versions_with_content()
        .select_related("case", "author")
        .prefetch_related(
            Prefetch("audit_entries", queryset=AuditEntry.objects.select_related("actor").order_by("at", "id")),
            revisions_prefetch(),
        )
        .get(pk=pk)
    )


# --- Revisions: a version's kept saves, and who contributed ---------------------------------


def revisions_prefetch() -> Prefetch:
    """A version's revisions, oldest first, with who saved each, without their content
    (policy.contributor_ids and version_contributors read this)."""
    revisions = Revision.objects.select_related("saved_by").defer("content").order_by("number")
    return Prefetch("revisions", queryset=revisions)


def version_contributors(version: EvaluationVersion) -> list:
    """Who wrote any part of ``version`` (the users of policy.contributor_ids): its author first,
    then whoever saved a revision, in order. Reads ``version.author`` and prefetched revisions."""
    people = {version.author_id: version.author}
    for revision in version.revisions.all():
        people.setdefault(revision.saved_by_id, revision.saved_by)
    return list(people.values())


def desk_version_revisions(pk: int) -> EvaluationVersion:
    """A version with its case, author and revisions (without their content), or DoesNotExist."""
    return EvaluationVersion.objects.select_related("case", "author").prefetch_related(revisions_prefetch()).get(pk=pk)


def revisions_by_number(version_id: int, numbers: Iterable[int]) -> dict[int, Revision]:
    """Revisions of a version with their content, by number (numbers no revision can have are dropped)."""
    numbers = [n for n in numbers if 0 < n <= VERSION_NUMBER_MAX]
    revisions = Revision.objects.filter(version_id=version_id, number__in=numbers).select_related("saved_by")
    return {r.number: r for r in revisions}


@dataclass(frozen=True)
class LastReview:
    """Where a reviewer left a version: their send-back, and the revision it held then."""

    entry: AuditEntry
    revision_number: int
    by_you: bool


def last_review(version: EvaluationVersion, user) -> LastReview | None:
    """The version's last send-back by ``user`` (else by anyone) and the revision current at it,
    if the version has been revised since. Reads prefetched audit entries and revisions."""
    sends = [e for e in version.audit_entries.all() if e.action == AuditEntry.Action.SEND_BACK]
    own = [e for e in sends if e.actor_id == user.pk]
    revisions = list(version.revisions.all())
    if not sends or not revisions:
        return None
    entry = (own or sends)[-1]
    before = [r.number for r in revisions if r.saved_at <= entry.at]
    if not before or before[-1] == revisions[-1].number:
        return None
    return LastReview(entry=entry, revision_number=before[-1], by_you=bool(own))


def desk_case_has_published(case_id: int) -> bool:
    return EvaluationVersion.objects.filter(case_id=case_id, state=EvaluationVersion.State.PUBLISHED).exists()


VERSION_NUMBER_MAX = 2_147_483_647  # PositiveIntegerField's range on every supported database


def desk_versions_for_compare(case_id: int, numbers: Iterable[int]) -> dict[int, EvaluationVersion]:
    """Versions of a case by number, with the scores compare.py reads.

    Numbers no version can have (from a hand-edited URL) are dropped here: an ``__in`` lookup,
    unlike ``=``, hands a number too large for the column to the database, which fails.
    """
    numbers = [n for n in numbers if 0 < n <= VERSION_NUMBER_MAX]
    versions = EvaluationVersion.objects.filter(case_id=case_id, number__in=numbers).prefetch_related(
        version_scores_prefetch()
    )
    return {v.number: v for v in versions}


def desk_case_history(case_id: int) -> list[EvaluationVersion]:
    """Every version of a case with its audit entries, oldest first."""
    return list(
        EvaluationVersion.objects.filter(case_id=case_id)
        .select_related("author", "published_by")
        .prefetch_related(
            Prefetch("audit_entries", queryset=AuditEntry.objects.select_related("actor").order_by("at", "id"))
        )
        .order_by("number")
    )


# --- One-query validators of the API's reader representations (conditional GETs) ----------------


def _version_etag(row: tuple | None) -> str | None:
    """A published version's ETag is its own (``EvaluationVersion.etag``, its lock). Superseding
    changes a version's state, not its lock (the frozen record's trigger keeps the lock), so a
    superseded one's says so too."""
    if row is None:
        return None
    pk, lock, state = row
    suffix = "" if state == EvaluationVersion.State.PUBLISHED else f"-{state}"
    return f'"ev{pk}-{lock}{suffix}"'


def public_version_etag(pk: int) -> str | None:
    """A public version's ETag (its lock) in one query; None if readers may not see it."""
    versions = EvaluationVersion.objects.public().filter(pk=pk)
    return _version_etag(versions.values_list("pk", "lock_version", "state").first())


def case_version_etag(slug: str, number: int) -> str | None:
    """A published case's public version ``number``'s ETag in one query; None if there is none."""
    versions = EvaluationVersion.objects.public().filter(
        case__in=Case.objects.published().filter(slug=slug), number=number
    )
    return _version_etag(versions.values_list("pk", "lock_version", "state").first())


def case_versions_etag(slug: str) -> str | None:
    """A published case's public history's validator in one query; None if it has none.

    A line changes only with its version's lock (state, notes), and a publish adds one.
    """
    row = (
        EvaluationVersion.objects.public()
        .filter(case__in=Case.objects.published().filter(slug=slug))
        .aggregate(count=Count("pk"), last=Max("pk"), locks=Sum("lock_version"))
    )
    return f'"evs{row["last"]}-{row["count"]}-{row["locks"]}"' if row["count"] else None


def _rubric_stamp(at: datetime | None) -> str:
    return f"{at.timestamp():.6f}" if at else "-"


def public_rubric_version_etag(slug: str, number: int) -> str | None:
    """A non-draft rubric version's validator in one query; None if readers may not see it.

    Once active a version never changes but for its status and retirement.
    """
    row = (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .filter(rubric__slug=slug, number=number)
        .values_list("pk", "status", "activated_at", "retired_at")
        .first()
    )
    if row is None:
        return None
    pk, state, activated_at, retired_at = row
    return f'"rv{pk}-{state}-{_rubric_stamp(activated_at)}-{_rubric_stamp(retired_at)}"'


def public_rubric_versions_etag(slug: str) -> str | None:
    """A rubric's non-draft versions' validator in one query; None if it has none."""
    row = (
        RubricVersion.objects.exclude(status=RubricVersion.Status.DRAFT)
        .filter(rubric__slug=slug)
        .aggregate(
            count=Count("pk"),
            last=Max("pk"),
            activated=Max("activated_at"),
            retired=Max("retired_at"),
            active=Max("pk", filter=Q(status=RubricVersion.Status.ACTIVE)),
        )
    )
    if not row["count"]:
        return None
    stamps = "-".join(_rubric_stamp(row[name]) for name in ("activated", "retired"))
    return f'"rvs{row["last"]}-{row["count"]}-{row["active"]}-{stamps}"'
