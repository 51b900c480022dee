"""A draft as readers will see it once published: the reader page's context, built for the desk.

Reads only. The facts are the draft's own (``version.facts``; the case's rows when the
version carries none, before a first publication), shaped like the case the reader
templates expect; the risk summary is what the scoring engine makes of the draft's
scores, beside the published figures it would replace. Nothing here is cached or
reachable from a reader page: the desk's preview view is its only caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from cases.facts import case_facts, facts_parse
from cases.models import Case, DealType, Organization, Party, Source, Tag, TimelineEvent
from evaluations import scoring, selectors
from evaluations.annotated import version_reading
from evaluations.models import EvaluationVersion, RiskSummary


def preview_version(pk: int) -> EvaluationVersion:
    """A version of any state with its content, case and author, or EvaluationVersion.DoesNotExist."""
    return selectors.versions_with_content().select_related("case", "author").get(pk=pk)


class Rows(list):
    """A list the reader templates can read as a related manager (``case.parties.all``)."""

    def all(self) -> Rows:
        return self


def facts_case(case: Case, facts: dict[str, Any]) -> SimpleNamespace:
    """The case as ``facts`` describe it, readable by the reader templates (nothing saved)."""
    parsed = facts_parse(facts)
    fields = {k: v for k, v in parsed.fields.items() if k not in ("deal_types", "tags")}
    slugs = [p.get("organization") for p in facts.get("parties", [])]
    organizations = {o.slug: o for o in Organization.objects.filter(slug__in=[s for s in slugs if s])}
    parties = Rows(
        Party(organization=organizations[item["organization"]], role=item.get("role", ""), note=item.get("note") or "")
        for item in facts.get("parties", [])
        if item.get("organization") in organizations
    )
    deal_types = {d.slug: d for d in DealType.objects.filter(slug__in=list(parsed.fields["deal_types"]))}
    tags = {t.name: t for t in Tag.objects.filter(name__in=list(parsed.fields["tags"]))}
    raw_sources = facts.get("sources", [])
    return SimpleNamespace(
        pk=case.pk,
        slug=case.slug,
        status=case.status,
        is_published=case.is_published,
        **fields,
        parties=parties,
        deal_types=Rows(deal_types[s] for s in parsed.fields["deal_types"] if s in deal_types),
        tags=Rows(tags.get(name) or Tag(name=name, slug=slugify(name)) for name in parsed.fields["tags"]),
        timeline=Rows(
            sorted(
                (
                    TimelineEvent(kind=e.kind, occurred_on=e.occurred_on, precision=e.precision, note=e.note)
                    for e in parsed.timeline
                ),
                key=lambda e: e.occurred_on,
            )
        ),
        sources=Rows(
            Source(pk=raw.get("id"), **source) for raw, source in zip(raw_sources, parsed.sources, strict=True)
        ),
    )


@dataclass
class PreviewSummary:
    """The engine's figures for the draft's scores, in the shape of a RiskSummary."""

    risk_index: Decimal | None
    risk_band: str
    classification: str
    missing_criteria: list[str]
    party_figures: Rows
    rubric_version: Any
    computed_at: Any
    stale: bool = False
    stale_since: None = None
    evaluation_version: None = None

    @property
    def needs_reevaluation(self) -> bool:
        return bool(self.missing_criteria)


def preview_summary(version: EvaluationVersion) -> PreviewSummary:
    """What the scoring engine computes from the draft's own scores (prefetched), under its rubric version."""
    rubric_version = version.evaluation.rubric_version
    spec = selectors.rubric_spec(rubric_version)
    party_scores: dict[int, dict[str, int]] = {}
    deal_scores: dict[str, int] = {}
    parties: dict[int, Party] = {}
    for score in version.scores.all():
        if score.value is None or not rubric_version.scale_min <= score.value <= rubric_version.scale_max:
            continue
        if score.party_id is None:
            deal_scores[score.criterion.key] = score.value
        elif score.party is not None:
            parties[score.party_id] = score.party
            party_scores.setdefault(score.party_id, {})[score.criterion.key] = score.value
    result = scoring.summarize(spec, party_scores, deal_scores)
    figures = Rows(
        SimpleNamespace(
            organization=parties[figure.party].organization,
            leverage=figure.leverage,
            workaround=figure.workaround,
            dependency=figure.dependency,
            classification=str(figure.classification),
        )
        for figure in sorted(result.parties, key=lambda f: (parties[f.party].position, f.party))
    )
    return PreviewSummary(
        risk_index=result.risk_index,
        risk_band=result.risk_band,
        classification=str(result.classification or ""),
        missing_criteria=list(result.missing),
        party_figures=figures,
        rubric_version=rubric_version,
        computed_at=timezone.now(),
    )


@dataclass(frozen=True)
class FigureChange:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _figure(value: object) -> str:
    return "\u2013" if value is None or value == "" else str(value)


def summary_changes(published: RiskSummary | None, draft: PreviewSummary) -> list[FigureChange] | None:
    """The draft's figures against the published ones (None: nothing published to compare with)."""
    if published is None or published.computed_at is None:
        return None
    index_after = _figure(draft.risk_index)
    if published.risk_index is not None and draft.risk_index is not None and published.risk_index != draft.risk_index:
        index_after += f" ({draft.risk_index - published.risk_index:+})"
    changes = [
        FigureChange("Risk index", _figure(published.risk_index), index_after),
        FigureChange("Risk band", _figure(published.risk_band), _figure(draft.risk_band)),
        FigureChange("The deal", _figure(published.classification), _figure(draft.classification)),
    ]
    before = {f.organization.name: f for f in published.party_figures.all()}
    after = {f.organization.name: f for f in draft.party_figures}
    for name in [*before, *(n for n in after if n not in before)]:
        old, new = before.get(name), after.get(name)
        changes.append(
            FigureChange(
                f"{name}: classification",
                _figure(old.classification if old else None),
                _figure(new.classification if new else None),
            )
        )
    return changes


def version_preview(version: EvaluationVersion) -> dict[str, Any]:
    """The reader page's context for ``version`` (read with ``preview_version``)."""
    case = version.case
    facts = version.facts or case_facts(case)
    published = RiskSummary.objects.filter(case_id=case.pk).prefetch_related("party_figures__organization").first()
    summary = preview_summary(version)
    return {
        "case": facts_case(case, facts),
        "summary": summary,
        "published_summary": published,
        "summary_changes": summary_changes(published, summary),
        **version_reading(version),
    }
