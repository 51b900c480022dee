"""Reads for the rubric crosswalk: what activating a draft rubric version would do to the
archive (the confirmation's figures), and a published case under two rubric versions.

Both re-score with the engine (evaluations.scoring) on scores carried through the
crosswalks (evaluations.crosswalk), in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from cases.models import Case
from evaluations import scoring, selectors
from evaluations.models import EvaluationVersion, RubricVersion


@dataclass(frozen=True)
class IndexChange:
    case_id: int
    slug: str
    title: str
    before: Decimal | None
    after: Decimal | None
    before_classification: str
    after_classification: str

    @property
    def delta(self) -> Decimal:
        return (self.after or Decimal(0)) - (self.before or Decimal(0))


@dataclass(frozen=True)
class NotCarried:
    key: str
    why: str
    cases: int


@dataclass
class ActivationImpact:
    version_number: int
    replaces: int | None  # the active version's number
    cases: int  # published cases under the rubric
    considered: int  # how many of them were re-scored (at most RUBRIC_IMPACT_MAX_CASES)
    needs_reevaluation: int  # of those, how many will miss criteria under the new version
    newly_needing: int  # of those, how many did not before
    largest: list[IndexChange] = field(default_factory=list)
    not_carried: list[NotCarried] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.considered < self.cases

    def as_text(self, *, limit: int = 8) -> str:
        """One paragraph for the audit log."""
        parts = [f"{self.needs_reevaluation} of {self.considered} published cases need re-evaluation"]
        if self.truncated:
            parts[0] += f" (the first {self.considered} of {self.cases} re-scored)"
        if self.not_carried:
            listed = "; ".join(f"{n.key}: {n.why} ({n.cases} cases)" for n in self.not_carried[:limit])
            more = len(self.not_carried) - limit
            parts.append("not carried: " + listed + (f"; and {more} more" if more > 0 else ""))
        return ". ".join(parts) + "."


def _summaries(
    spec_cache: dict[int, scoring.RubricSpec], inputs: dict[int, selectors.SummaryInputs]
) -> dict[int, scoring.Summary | None]:
    result: dict[int, scoring.Summary | None] = {}
    for case_id, item in inputs.items():
        version = item.rubric_version
        if version is None:
            result[case_id] = None
            continue
        if version.pk not in spec_cache:
            spec_cache[version.pk] = selectors.rubric_spec(version)
        result[case_id] = scoring.summarize(spec_cache[version.pk], item.party_scores, item.deal_scores)
    return result


def activation_impact(version: RubricVersion, *, top: int = 10) -> ActivationImpact:
    """What activating the draft ``version`` would do: every published case of its rubric (up to
    RUBRIC_IMPACT_MAX_CASES, in case order) re-scored under the active version and under
    ``version``, both from the published scores carried through the crosswalks. Twelve queries
    whatever the archive's size."""
    published = EvaluationVersion.objects.filter(
        state=EvaluationVersion.State.PUBLISHED, evaluation__rubric_version__rubric_id=version.rubric_id
    )
    total = published.count()
    case_ids = list(published.order_by("case_id").values_list("case_id", flat=True)[: settings.RUBRIC_IMPACT_MAX_CASES])
    active = (
        RubricVersion.objects.filter(rubric_id=version.rubric_id, status=RubricVersion.Status.ACTIVE)
        .values_list("number", flat=True)
        .first()
    )
    not_carried: dict[int, list] = {}
    specs: dict[int, scoring.RubricSpec] = {}
    before = _summaries(specs, selectors.summary_inputs(case_ids))
    after = _summaries(specs, selectors.summary_inputs(case_ids, target=version, carried=not_carried))
    titles = {
        pk: (slug, title) for pk, slug, title in Case.objects.filter(pk__in=case_ids).values_list("pk", "slug", "title")
    }
    changes = []
    needs = newly = 0
    for case_id in case_ids:
        old, new = before.get(case_id), after.get(case_id)
        if new is not None and new.needs_reevaluation:
            needs += 1
            newly += not (old is not None and old.needs_reevaluation)
        slug, title = titles.get(case_id, ("", ""))
        changes.append(
            IndexChange(
                case_id,
                slug,
                title,
                old.risk_index if old else None,
                new.risk_index if new else None,
                (old.classification or "") if old else "",
                (new.classification or "") if new else "",
            )
        )
    largest = sorted(
        (c for c in changes if c.before is not None and c.after is not None and c.delta),
        key=lambda c: (-abs(c.delta), c.title, c.case_id),
    )[:top]
    counts: dict[tuple[str, str], set[int]] = {}
    for case_id, rows in not_carried.items():
        for _party, key, why in rows:
            counts.setdefault((key, why), set()).add(case_id)
    return ActivationImpact(
        version_number=version.number,
        replaces=active,
        cases=total,
        considered=len(case_ids),
        needs_reevaluation=needs,
        newly_needing=newly,
        largest=largest,
        not_carried=[
            NotCarried(key, why, len(ids))
            for (key, why), ids in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ],
    )
