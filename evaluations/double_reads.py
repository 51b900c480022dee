"""What a person may read of a version's independent double scoring: the one place every page,
endpoint and export gets it from, so the blind rule (``policy.double_scores_visible``) holds
everywhere. Before both scorers have submitted, each sees only their own scores."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User

from evaluations import policy
from evaluations.models import DoubleScoring, EvaluationVersion, RawScore, Reconciliation


@dataclass
class Row:
    criterion: str
    question: str
    party: str  # the organization's name, or "The deal"
    party_id: int | None
    first: int | None = None
    second: int | None = None
    settled: int | None = None
    reconciliation: Reconciliation | None = None

    @property
    def differs(self) -> bool:
        return self.first is not None and self.second is not None and abs(self.first - self.second) > 1


@dataclass
class DoubleView:
    double: DoubleScoring
    first_submitted: bool
    second_submitted: bool
    settled: bool
    is_scorer: bool
    submitted_mine: bool
    shows_first: bool
    shows_second: bool
    rows: list[Row] = field(default_factory=list)

    @property
    def first_scorer(self) -> str:
        return self.double.first_scorer.get_username()

    @property
    def second_scorer(self) -> str:
        return self.double.second_scorer.get_username()

    @property
    def open_differences(self) -> list[Row]:
        return [r for r in self.rows if r.reconciliation is not None and r.reconciliation.settled_at is None]

    @property
    def settled_differences(self) -> list[Row]:
        return [r for r in self.rows if r.reconciliation is not None and r.reconciliation.settled_at is not None]


def double_scoring_of(version: EvaluationVersion) -> DoubleScoring | None:
    return (
        DoubleScoring.objects.filter(version_id=version.pk)
        .select_related("version", "first_scorer", "second_scorer")
        .first()
    )


def double_view(
    version: EvaluationVersion, user: User | AnonymousUser | None, double: DoubleScoring | None = None
) -> DoubleView | None:
    """``version``'s double scoring as ``user`` may see it, or None when it is not double scored
    (or ``user`` is a reader and the version is not public). ``double``: already read with the version."""
    double = double or double_scoring_of(version)
    if double is None or not (version.is_public or policy.is_newsroom(user)):
        return None
    shows_first = policy.double_scores_visible(user, double, double.first_scorer_id)
    shows_second = policy.double_scores_visible(user, double, double.second_scorer_id)
    shown = [
        scorer
        for scorer, shows in ((double.first_scorer_id, shows_first), (double.second_scorer_id, shows_second))
        if shows
    ]
    rows: dict[tuple[int, int | None], Row] = {}
    raw = (
        RawScore.objects.filter(version_id=version.pk, scorer_id__in=shown)
        .select_related("criterion", "party__organization")
        .order_by("criterion__position", "party__position", "party_id", "scorer_id")
    )
    for score in raw:
        row = rows.setdefault(
            (score.criterion_id, score.party_id),
            Row(
                criterion=score.criterion.key,
                question=score.criterion.question,
                party=score.party.organization.name if score.party else "The deal",
                party_id=score.party_id,
            ),
        )
        if score.scorer_id == double.first_scorer_id:
            row.first = score.value
        else:
            row.second = score.value
    if shows_first and shows_second:
        for reconciliation in Reconciliation.objects.filter(version_id=version.pk).select_related("settled_by"):
            found = rows.get((reconciliation.criterion_id, reconciliation.party_id))
            if found is not None:
                found.reconciliation = reconciliation
        for row in rows.values():
            if row.first is not None and row.second is not None:
                if row.reconciliation is not None:
                    row.settled = row.reconciliation.value
                else:
                    row.settled = max(row.first, row.second)
    user_id = user.pk if user is not None and user.is_authenticated else None
    return DoubleView(
        double=double,
        first_submitted=double.first_submitted_at is not None,
        second_submitted=double.second_submitted_at is not None,
        settled=double.settled_at is not None,
        is_scorer=user_id in double.scorer_ids,
        submitted_mine=user_id is not None
        and user_id in double.scorer_ids
        and double.submitted_at(user_id) is not None,
        shows_first=shows_first,
        shows_second=shows_second,
        rows=list(rows.values()),
    )


def reconciliation_queue() -> list[Reconciliation]:
    """Every difference still to settle, across the drafts (both scorers have submitted for each:
    reconciliations exist only from then on), oldest first."""
    return list(
        Reconciliation.objects.filter(settled_at__isnull=True, version__state=EvaluationVersion.State.DRAFT)
        .select_related("version__case", "criterion", "party__organization")
        .order_by("version_id", "criterion__position", "party__position", "id")
    )


def pending_double_scorings(user: User | AnonymousUser) -> list[DoubleScoring]:
    """Drafts waiting on ``user``'s independent scores."""
    if not user.is_authenticated:
        return []
    return [
        double
        for double in DoubleScoring.objects.filter(
            version__state=EvaluationVersion.State.DRAFT, settled_at__isnull=True
        ).select_related("version__case")
        if user.pk in double.scorer_ids and double.submitted_at(user.pk) is None
    ]
