"""Many published, scored cases made quickly (the archive generator), for worker and scale tests."""

from __future__ import annotations

from bench.synthetic import ArchiveShape, generate_archive
from evaluations import scoring, selectors
from evaluations.models import EvaluationVersion, RubricVersion


def make_cases(n: int, rubric_version: RubricVersion, *, seed: int = 7, prefix: str = "syn") -> list[int]:
    """``n`` published cases, two parties each, every criterion scored; returns their ids.

    The archive generator's simple shape (one published version, no drafts),
    with summaries left for the test to compute.
    """
    report = generate_archive(
        cases=n,
        seed=seed,
        prefix=prefix,
        rubric_version=rubric_version,
        shape=ArchiveShape.simple(),
        compute_summaries=False,
    )
    return report.case_ids


def expected_summary(case_id: int, rubric_version: RubricVersion) -> scoring.Summary:
    """The pure engine's answer for a case under ``rubric_version``, from its published scores.

    Written apart from ``selectors.summary_inputs`` on purpose, to check it: a per-deal score
    (no party) goes to the deal's scores, not to a party called None; a score the version
    cannot take (a key it dropped, a criterion that changed between per party and per deal,
    a value off its scale) is left out, while its party still counts.
    """
    spec = selectors.rubric_spec(rubric_version)
    per_party = {c.key: c.per_party for c in spec.criteria}
    party_scores: dict[int, dict[str, int]] = {}
    deal_scores: dict[str, int] = {}
    version = EvaluationVersion.objects.get(case_id=case_id, state=EvaluationVersion.State.PUBLISHED)
    for party_id, key, value in version.scores.values_list("party_id", "criterion__key", "value"):
        fits = per_party.get(key) == (party_id is not None) and spec.scale_min <= value <= spec.scale_max
        if party_id is None:
            if fits:
                deal_scores[key] = value
            continue
        scores = party_scores.setdefault(party_id, {})
        if fits:
            scores[key] = value
    return scoring.summarize(spec, party_scores, deal_scores)


def assert_summary_matches(summary, expected: scoring.Summary, rubric_version: RubricVersion) -> None:
    assert not summary.stale, summary.case_id
    assert summary.rubric_version_id == rubric_version.pk, summary.case_id
    assert summary.risk_index == expected.risk_index, summary.case_id
    assert summary.risk_band == expected.risk_band
    assert summary.classification == expected.classification
    assert summary.missing_criteria == list(expected.missing)
    assert summary.needs_reevaluation == expected.needs_reevaluation
    figures = {f.party_id: f for f in summary.party_figures.all()}
    assert set(figures) == {p.party for p in expected.parties}
    for party in expected.parties:
        figure = figures[party.party]
        assert (figure.leverage, figure.workaround, figure.dependency) == (
            party.leverage,
            party.workaround,
            party.dependency,
        )
        assert figure.classification == party.classification


def new_rubric_version_data(active: RubricVersion) -> dict:
    """A v2 from v1: ``margin`` dropped, ``dependency`` weighs double, a new ``lock_in`` criterion."""
    criteria = [
        {
            "key": c.key,
            "family": c.family,
            "weight": str(c.weight * (2 if c.key == "dependency" else 1)),
            "per_party": c.per_party,
            "question": c.question,
        }
        for c in active.criteria.all()
        if c.key != "margin"
    ]
    criteria.append(
        {"key": "lock_in", "family": "dependency", "weight": "1", "per_party": True, "question": "Locked in?"}
    )
    return {
        "version": {
            "changelog": "v2: margin dropped, dependency doubled, lock-in added.",
            "scale": {"min": active.scale_min, "max": active.scale_max, "labels": active.scale_labels},
            "families": active.families,
            "classification": active.classification,
        },
        "criteria": criteria,
    }
