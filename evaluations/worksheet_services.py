"""The press-release worksheet's one write: a draft case, its source, and a draft evaluation, together.

Everything goes through the existing services (cases.desk_services for the
case and the organizations confirmed as new, cases.source_excerpts for the
pasted text, evaluations.services.workflow for the draft version and its scores), in
one transaction: a refusal anywhere leaves nothing behind. Nothing is
published; the draft goes to review like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from cases import desk_services
from cases.services import CaseInput, SourceInput
from cases.source_excerpts import source_excerpt_set
from evaluations.models import EvaluationVersion
from evaluations.services import workflow

CHANGE_NOTE = "Drafted from the press-release worksheet; scores are proposals to review."


@dataclass(frozen=True)
class WorksheetScore:
    """A proposed score for the party in row ``party_index`` of the worksheet's party list."""

    party_index: int
    criterion: str
    value: int
    rationale: str = ""


@transaction.atomic
def worksheet_draft_create(
    *,
    by: User,
    data: CaseInput,
    parties: list[desk_services.PartyRow],
    source: SourceInput,
    excerpt: str,
    narrative: str,
    scores: list[WorksheetScore],
) -> EvaluationVersion:
    """Create the draft case (parties, the one source with ``excerpt``) and its first draft version.

    Errors come back keyed as the services key them (``parties[i].role``,
    ``sources[0].url``, ``excerpt``), scores as ``scores[i]`` in the order given.
    """
    case = desk_services.case_save_with_parties(by=by, data=replace(data, sources=(source,)), parties=parties)
    source_row = case.sources.get()
    source_excerpt_set(source=source_row, by=by, excerpt=excerpt)
    party_ids = list(case.parties.order_by("position", "id").values_list("pk", flat=True))
    inputs = []
    for index, item in enumerate(scores):
        if not 0 <= item.party_index < len(party_ids):
            raise ValidationError({f"scores[{index}]": ["that party is not on the case"]})
        inputs.append(
            workflow.ScoreInput(
                criterion=item.criterion,
                party_id=party_ids[item.party_index],
                value=item.value,
                rationale=item.rationale,
                source_ids=(source_row.pk,),
            )
        )
    version = workflow.evaluation_version_start(case=case, by=by)
    return workflow.evaluation_version_save(
        version=version,
        by=by,
        expected_lock=version.lock_version,
        narrative=narrative,
        change_note=CHANGE_NOTE,
        scores=inputs,
    )
