"""The set-based recompute (PostgreSQL) agrees with the Python engine on every case of a generated archive.

The archive is scored under a rubric version with per-party and per-deal criteria, four
equally weighted leverage criteria on a 0-4 scale (figures in steps of 6.25, so half of
them round at .x5) and thresholds the figures often reach exactly. Then rubric versions
that drop a key, add unscored ones, turn a per-party criterion into a per-deal one, narrow
the scale and move the thresholds are activated in turn; under each, the SQL path's
summaries, party figures and inputs hashes must equal the Python path's, row for row.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from bench.synthetic import generate_archive
from cases.models import Case
from evaluations.models import PartyFigure, RiskSummary, RubricVersion
from evaluations.services import recompute, recompute_set, rubric_versions
from tests.support.synthetic import assert_summary_matches, expected_summary

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based recompute is PostgreSQL's")

CLASSIFICATION = {
    "dependency_risk_at": 50,
    "leverage_at": 50,
    "workaround_at": 50,
    "workaround_share_in_risk_index": 0.1,
    "risk_bands": {"low": 0, "elevated": 40, "high": 70},
}


def _criterion(key: str, family: str, weight: str, per_party: bool = True) -> dict:
    return {"key": key, "family": family, "weight": weight, "per_party": per_party, "question": f"{key}?"}


BASE = [
    _criterion("distribution", "leverage", "1"),
    _criterion("compute_access", "leverage", "1"),
    _criterion("data_rights", "leverage", "1"),
    _criterion("margin", "leverage", "1"),
    _criterion("gap_filling", "workaround", "1"),
    _criterion("hype", "workaround", "0.75", per_party=False),
    _criterion("dependency", "dependency", "1"),
    _criterion("lock_in", "dependency", "0.5", per_party=False),
]

VARIANTS = {
    "the base version again (new pk, same rule)": (BASE, (0, 4), CLASSIFICATION),
    "a key dropped, two added unscored, one per-party turned per-deal": (
        [
            *(c for c in BASE if c["key"] not in ("margin", "gap_filling")),
            _criterion("gap_filling", "workaround", "1", per_party=False),
            _criterion("exclusivity", "leverage", "2"),
            _criterion("capex", "dependency", "1.5", per_party=False),
        ],
        (0, 4),
        {**CLASSIFICATION, "workaround_share_in_risk_index": 0.25, "risk_bands": {"low": 0, "high": 62.5}},
    ),
    "a narrower scale (zeros left out) and other weights and thresholds": (
        [{**c, "weight": "0.25" if c["key"] == "margin" else c["weight"]} for c in BASE],
        (1, 4),
        {
            "dependency_risk_at": 66.7,
            "leverage_at": 37.5,
            "workaround_at": 25,
            "workaround_share_in_risk_index": 0.35,
            "risk_bands": {"none": 0, "some": 33.3, "much": 66.7, "all": 100},
        },
    ),
}


def _activate(rubric, criteria: list[dict], scale: tuple[int, int], classification: dict) -> RubricVersion:
    version = rubric_versions.rubric_version_create(
        rubric=rubric,
        data={
            "version": {
                "changelog": "test",
                "scale": {"min": scale[0], "max": scale[1], "labels": [str(n) for n in range(scale[0], scale[1] + 1)]},
                "families": {"leverage": "l", "workaround": "w", "dependency": "d"},
                "classification": {"rule": "test", **classification},
            },
            "criteria": criteria,
        },
        by=None,
    )
    return rubric_versions.rubric_version_activate(version=version, by=None)


def _snapshot() -> dict[int, tuple]:
    figures: dict[int, list] = {}
    for row in PartyFigure.objects.values_list(
        "summary__case_id", "party_id", "organization_id", "leverage", "workaround", "dependency", "classification"
    ):
        figures.setdefault(row[0], []).append(row[1:])
    return {
        row[0]: (*row[1:], sorted(figures.get(row[0], [])))
        for row in RiskSummary.objects.values_list(
            "case_id",
            "rubric_version_id",
            "evaluation_version_id",
            "risk_index",
            "risk_band",
            "classification",
            "missing_criteria",
            "needs_reevaluation",
            "inputs_hash",
            "stale",
        )
    }


@pytest.fixture
def archive(demo) -> tuple[object, list[int]]:
    rubric = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE).rubric
    base = _activate(rubric, BASE, (0, 4), CLASSIFICATION)
    generate_archive(cases=240, seed=5, prefix="setsql", rubric_version=base, compute_summaries=False)
    return rubric, list(Case.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_sql_and_python_write_the_same_summaries(archive, variant, monkeypatch):
    rubric, case_ids = archive
    version = _activate(rubric, *VARIANTS[variant])

    handed_to_python: list[int] = []
    python_path = recompute.risk_summaries_recompute

    def spy(*, case_ids, queue_exposures=True):
        handed_to_python.extend(case_ids)
        return python_path(case_ids=case_ids, queue_exposures=queue_exposures)

    monkeypatch.setattr(recompute, "risk_summaries_recompute", spy)
    rewritten = recompute_set.risk_summaries_recompute_many(case_ids=case_ids, queue_exposures=False)
    monkeypatch.setattr(recompute, "risk_summaries_recompute", python_path)
    by_sql = _snapshot()

    # The SQL took every case with a published analysis; Python only the draft-only ones.
    published = set(RiskSummary.objects.filter(evaluation_version__isnull=False).values_list("case_id", flat=True))
    assert len(published) > 200
    assert not published & set(handed_to_python)
    assert published <= set(rewritten)
    assert all(not row[-2] for row in by_sql.values()), "nothing left stale"

    # Python agrees with the SQL's inputs hashes: nothing to do.
    assert recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False) == []
    assert _snapshot() == by_sql

    # Python from scratch writes the same rows.
    RiskSummary.objects.update(inputs_hash="")
    assert set(recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)) >= published
    assert _snapshot() == by_sql

    # And both match the engine read apart from the selectors, on a sample.
    for summary in RiskSummary.objects.filter(case_id__in=sorted(published)[::17]).prefetch_related("party_figures"):
        assert_summary_matches(summary, expected_summary(summary.case_id, version), version)


def test_the_archive_reaches_the_edges_the_rule_has(archive):
    """The agreement above means something: ties at thresholds, .x5 roundings, per-deal scores, missing criteria."""
    rubric, case_ids = archive
    rubric_versions_data = VARIANTS["a key dropped, two added unscored, one per-party turned per-deal"]
    recompute_set.risk_summaries_recompute_many(case_ids=case_ids, queue_exposures=False)
    leverage = list(PartyFigure.objects.values_list("leverage", flat=True))
    assert Decimal("50.0") in leverage  # a tie at leverage_at
    assert set(leverage) & {
        Decimal("6.3"),
        Decimal("18.8"),
        Decimal("31.3"),
        Decimal("43.8"),
    }  # x.x25, x.x75 rounded up
    assert PartyFigure.objects.filter(dependency=Decimal("50.0")).exists()  # a tie at dependency_risk_at
    _activate(rubric, *rubric_versions_data)
    recompute_set.risk_summaries_recompute_many(case_ids=case_ids, queue_exposures=False)
    assert RiskSummary.objects.filter(needs_reevaluation=True, missing_criteria__contains=["exclusivity"]).count() > 200
