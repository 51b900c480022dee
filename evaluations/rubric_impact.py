"""Reads for the rubric crosswalk: what activating a draft rubric version would do to the
archive (the confirmation's figures), and a published case under two rubric versions.

Both re-score with the engine (evaluations.scoring) on scores carried through the
crosswalks (evaluations.crosswalk), in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from cases.models import Case, Party
from evaluations import crosswalk, scoring, selectors
from evaluations.models import EvaluationVersion, RubricVersion, Score


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


def crosswalk_sources(version: RubricVersion) -> list[RubricVersion]:
    """The versions ``version``'s crosswalk may map from: the rubric's earlier active and retired
    versions, newest first, with their criteria."""
    return list(
        RubricVersion.objects.filter(rubric_id=version.rubric_id, number__lt=version.number)
        .exclude(status=RubricVersion.Status.DRAFT)
        .prefetch_related(selectors.criteria_prefetch())
        .order_by("-number")
    )


def rubric_version_crosswalk_table(version: RubricVersion) -> tuple[int, crosswalk.Crosswalk] | None:
    """A version's crosswalk as it applies (completed with the implicit entries), and the number it
    maps from; None when there is no earlier version to map from."""
    earlier = {v.number: v for v in crosswalk_sources(version)}
    if not earlier:
        return None
    number, _, _ = crosswalk.parse(version.crosswalk)
    previous = earlier.get(number or 0) or earlier[max(earlier)]
    info = selectors.rubric_version_info(version)
    return previous.number, crosswalk.version_crosswalk(info, selectors.rubric_version_info(previous))


def crosswalk_from_previous(version: RubricVersion, previous: RubricVersion) -> crosswalk.Crosswalk | None:
    """How scores carry from ``previous`` to ``version`` (both with their criteria prefetched: no
    query), for the public rubric page; None when ``version``'s crosswalk maps from another version."""
    number, _, _ = crosswalk.parse(version.crosswalk)
    if number not in (None, previous.number):
        return None
    return crosswalk.version_crosswalk(selectors.rubric_version_info(version), selectors.rubric_version_info(previous))


# --- A published case under two rubric versions ----------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One criterion's score for one party (or the deal) under one rubric version."""

    value: int | None
    status: str  # "scored" (given under this version), "carried", "missing"
    how: str = ""  # for carried: "renamed from compute_access (copy)"; for missing: why


@dataclass(frozen=True)
class CriterionRow:
    key: str
    per_party: bool
    cells: tuple[Cell, ...]  # one per party (a single one, the deal's, for a per-deal criterion)
    names: tuple[str, ...]  # the parties' names, beside the cells ("" for the deal)

    @property
    def named_cells(self) -> list[tuple[Cell, str]]:
        return list(zip(self.cells, self.names, strict=True))


@dataclass(frozen=True)
class PartyFigures:
    name: str
    leverage: Decimal | None
    workaround: Decimal | None
    dependency: Decimal | None
    classification: str


@dataclass(frozen=True)
class RubricSide:
    number: int
    status: str
    scored_under: bool  # the published analysis was scored under this version
    risk_index: Decimal | None
    risk_band: str
    classification: str
    parties: tuple[PartyFigures, ...]
    rows: tuple[CriterionRow, ...]
    carried: int
    missing: int


@dataclass(frozen=True)
class TwoVersions:
    rubric_slug: str
    analysis_number: int
    scored_under: int
    versions: tuple[int, ...]  # every version a reader may pick (active and retired)
    a: RubricSide
    b: RubricSide

    @property
    def sides(self) -> tuple[RubricSide, RubricSide]:
        return (self.a, self.b)


class NotComparable(Exception):
    """The versions asked for are not readable versions of the case's rubric."""


def _describe(kind: str, rule: str, old: tuple[str, ...]) -> str:
    """How a score was carried, in words: "merged from margin, dependency (take the maximum)"."""
    rule_text = crosswalk.RULE_LABELS[rule]
    if kind == "same":
        return f"same criterion ({rule_text})"
    return f"{crosswalk.KIND_LABELS[kind]}: from {', '.join(old)} ({rule_text})"


def case_two_rubric_versions(case: Case, a: int | None, b: int | None) -> TwoVersions:
    """The case's published analysis under rubric versions ``a`` and ``b`` (default: the version it
    was scored under, and the active one): each criterion's score per party (given, carried through
    the crosswalks, or missing and why), the figures and classification the engine gives. Only active
    and retired versions are readable: a draft rubric version is NotComparable, as is any number the
    rubric lacks. Five queries."""
    published = (
        EvaluationVersion.objects.filter(case=case, state=EvaluationVersion.State.PUBLISHED)
        .values_list(
            "pk",
            "number",
            "evaluation__rubric_version__rubric_id",
            "evaluation__rubric_version__number",
            "evaluation__rubric_version__rubric__slug",
        )
        .first()
    )
    if published is None:
        raise NotComparable("this case has no published analysis")
    version_id, analysis_number, rubric_id, scored_under, rubric_slug = published
    versions = {v.number: v for v in selectors.rubric_versions_for_carrying([rubric_id])}
    active = next((n for n, v in versions.items() if v.status == RubricVersion.Status.ACTIVE), scored_under)
    a = scored_under if a is None else a
    b = active if b is None else b
    for number in (a, b):
        if number not in versions:
            raise NotComparable(f"version {number} is not a published version of this rubric")
    carrier = selectors.ScoreCarrier(versions.values())
    raw: dict[int | None, dict[str, int]] = {}
    for party_id, key, value in Score.objects.filter(version_id=version_id).values_list(
        "party_id", "criterion__key", "value"
    ):
        raw.setdefault(party_id, {})[key] = value
    parties = list(Party.objects.filter(case=case).order_by("position", "id").values_list("pk", "organization__name"))
    party_ids = [pk for pk, _ in parties if pk in raw] or [pk for pk, _ in parties]
    names = dict(parties)

    def side(number: int) -> RubricSide:
        version = versions[number]
        outcomes = {
            party_id: carrier.carry(
                rubric_id, scored_under, number, raw.get(party_id, {}), per_party=party_id is not None
            )
            for party_id in [*party_ids, None]
        }
        result = scoring.summarize(
            selectors.rubric_spec(version),
            {p: outcomes[p].values for p in party_ids},
            outcomes[None].values,
        )
        rows = []
        carried = missing = 0
        for criterion in version.criteria.all():
            columns = party_ids if criterion.per_party else [None]
            cells = []
            for party_id in columns:
                outcome = outcomes[party_id]
                value = outcome.values.get(criterion.key)
                if value is None:
                    why = dict(outcome.not_carried).get(criterion.key, "not scored")
                    cells.append(Cell(None, "missing", why))
                    missing += 1
                elif number == scored_under:
                    cells.append(Cell(value, "scored"))
                else:
                    kind, rule, old = outcome.how[criterion.key]
                    cells.append(Cell(value, "carried", _describe(kind, rule, old)))
                    carried += 1
            labels = tuple(names.get(p, "") if p is not None else "" for p in columns)
            rows.append(CriterionRow(criterion.key, criterion.per_party, tuple(cells), labels))
        figures = tuple(
            PartyFigures(
                names.get(f.party, ""),
                f.leverage,
                f.workaround,
                f.dependency,
                f.classification.value if f.classification else "",
            )
            for f in result.parties
        )
        return RubricSide(
            number=number,
            status=version.status,
            scored_under=number == scored_under,
            risk_index=result.risk_index,
            risk_band=result.risk_band,
            classification=(result.classification.value if result.classification else ""),
            parties=figures,
            rows=tuple(rows),
            carried=carried,
            missing=missing,
        )

    return TwoVersions(
        rubric_slug=rubric_slug,
        analysis_number=analysis_number,
        scored_under=scored_under,
        versions=tuple(sorted(versions)),
        a=side(a),
        b=side(b),
    )
