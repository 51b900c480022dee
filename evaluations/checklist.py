"""What a draft still lacks before it goes to review, and what a reviewer should look at.

``version_checklist(version)`` is the one read: each check in ``CHECKS`` lists its
findings for a version (unscored criteria per party, orphaned margin notes, rationales
parked without a score, scores without rationale, scores resting on nothing, a rubric
that moved on). A check names the actions it blocks (``blocks``); the others only
warn. ``checklist_enforce`` is what the services call before such an action: it
refuses with the list. To add a blocking item (say, unresolved review comments
blocking approval), append one ``Check`` to ``CHECKS``: the desk, the API and the
services all read this table.

The version's scores (with their sources and citations), annotations and rubric
version are read from what the caller prefetched (``selectors.desk_version``);
the checks add three queries of their own (criteria, parties, active rubric), and
one more for the parties' names when the draft holds parked rationales.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from cases.models import Party
from evaluations import anchoring
from evaluations.evidence import NOTHING, score_basis
from evaluations.models import Criterion, EvaluationVersion, RubricVersion
from evaluations.services.facts import version_party_ids

SUBMIT = "version.submit"
APPROVE = "version.approve"


@dataclass
class _Reads:
    """What several checks share, read once per checklist."""

    version: EvaluationVersion
    _criteria: list[Criterion] | None = None
    _parties: list[Party] | None = None

    @property
    def criteria(self) -> list[Criterion]:
        if self._criteria is None:
            self._criteria = list(
                Criterion.objects.filter(version_id=self.version.evaluation.rubric_version_id).order_by(
                    "position", "id"
                )
            )
        return self._criteria

    @property
    def parties(self) -> list[Party]:
        if self._parties is None:
            self._parties = list(
                Party.objects.filter(pk__in=version_party_ids(self.version))
                .select_related("organization")
                .order_by("position", "id")
            )
        return self._parties


def _label(criterion_key: str, party_name: str | None) -> str:
    """How every check names a score's place: the criterion, and the party (or the deal)."""
    return f"{criterion_key} ({party_name or 'the deal'})"


def _score_label(score) -> str:
    return _label(score.criterion.key, score.party.organization.name if score.party_id is not None else None)


def _unscored(reads: _Reads) -> list[str]:
    scored = {(s.criterion_id, s.party_id) for s in reads.version.scores.all() if s.value is not None}
    found = []
    for criterion in reads.criteria:
        if criterion.per_party:
            found += [
                _label(criterion.key, party.organization.name)
                for party in reads.parties
                if (criterion.pk, party.pk) not in scored
            ]
        elif (criterion.pk, None) not in scored:
            found.append(_label(criterion.key, None))
    return found


def _orphaned_notes(reads: _Reads) -> list[str]:
    narrative = reads.version.narrative
    return [
        f"“{note.quote[:80]}” ({note.get_kind_display()})"
        for note in reads.version.annotations.all()
        if note.orphaned or anchoring.locate(narrative, note.quote, note.prefix, note.suffix) is None
    ]


def _parked(reads: _Reads) -> list[str]:
    parked = reads.version.parked_rationales
    if not parked:  # most drafts: no query for the names
        return []
    names = dict(reads.version.case.parties.values_list("pk", "organization__name"))
    return [
        _label(item["criterion"], names.get(item["party"], "a former party") if item["party"] else None)
        for item in parked
    ]


def _without_rationale(reads: _Reads) -> list[str]:
    return [_score_label(s) for s in reads.version.scores.all() if not s.rationale.strip()]


def _resting_on_nothing(reads: _Reads) -> list[str]:
    return [_score_label(s) for s in reads.version.scores.all() if score_basis(s) == NOTHING]


def _rubric_moved_on(reads: _Reads) -> list[str]:
    own = reads.version.evaluation.rubric_version
    if own.status == RubricVersion.Status.ACTIVE:
        return []
    active = RubricVersion.objects.filter(rubric_id=own.rubric_id, status=RubricVersion.Status.ACTIVE).first()
    if active is None:
        return []
    return [f"this draft is scored under v{own.number} ({own.get_status_display()}); v{active.number} is active now"]


@dataclass(frozen=True)
class Check:
    kind: str  # a stable key (CSS class, API field)
    title: str  # what the list is about, in words
    find: Callable[[_Reads], list[str]]
    blocks: frozenset[str] = frozenset()  # the policy actions refused while this check finds anything


CHECKS: tuple[Check, ...] = (
    Check("unscored", "Criteria not scored", _unscored, blocks=frozenset({SUBMIT})),
    Check("orphaned_notes", "Margin notes whose passage is gone", _orphaned_notes, blocks=frozenset({SUBMIT})),
    Check("parked", "Rationales parked without a score", _parked, blocks=frozenset({SUBMIT})),
    Check("no_rationale", "Scores without a rationale", _without_rationale),
    Check("no_evidence", "Scores resting on nothing (no source, no quote)", _resting_on_nothing),
    Check("rubric_moved_on", "The rubric moved on", _rubric_moved_on),
)


@dataclass(frozen=True)
class ChecklistItem:
    kind: str
    title: str
    findings: tuple[str, ...]
    blocks: frozenset[str]

    def message(self) -> str:
        return f"{self.title}: {'; '.join(self.findings)}"


@dataclass(frozen=True)
class Checklist:
    items: tuple[ChecklistItem, ...] = field(default_factory=tuple)

    def blocking_for(self, action: str) -> list[ChecklistItem]:
        return [item for item in self.items if action in item.blocks]

    def warnings_for(self, action: str) -> list[ChecklistItem]:
        return [item for item in self.items if action not in item.blocks]

    # What the draft page (submit) and the approve box (approve) show: what stops the action, then the rest.
    @property
    def blocking(self) -> list[ChecklistItem]:
        return self.blocking_for(SUBMIT)

    @property
    def warnings(self) -> list[ChecklistItem]:
        return self.warnings_for(SUBMIT)

    @property
    def approve_blocking(self) -> list[ChecklistItem]:
        return self.blocking_for(APPROVE)

    @property
    def approve_warnings(self) -> list[ChecklistItem]:
        return self.warnings_for(APPROVE)

    @property
    def rubric_moved_on(self) -> bool:
        return any(item.kind == "rubric_moved_on" for item in self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def version_checklist(version: EvaluationVersion) -> Checklist:
    """Every check's findings for ``version`` (the checks that find nothing are left out)."""
    reads = _Reads(version)
    items = []
    for check in CHECKS:
        findings = check.find(reads)
        if findings:
            items.append(ChecklistItem(check.kind, check.title, tuple(findings), check.blocks))
    return Checklist(tuple(items))


def checklist_enforce(version: EvaluationVersion, action: str) -> Checklist:
    """Refuse ``action`` (a ValidationError keyed ``checklist``, with every blocking finding) while
    a check that blocks it finds anything; else return the checklist (its warnings)."""
    checklist = version_checklist(version)
    blocking = checklist.blocking_for(action)
    if blocking:
        raise ValidationError({"checklist": [item.message() for item in blocking]})
    return checklist
