"""The test helper that states what a summary should be agrees with the engine for every rubric shape."""

from __future__ import annotations

import pytest

from evaluations.models import RiskSummary, Rubric, RubricVersion
from evaluations.services import recompute, rubric_versions
from tests.support.synthetic import assert_summary_matches, expected_summary, make_cases


@pytest.fixture
def with_deal_criterion(demo, admin_user) -> RubricVersion:
    """An active rubric version with a per-deal criterion beside per-party ones."""
    v1 = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    rubric = Rubric.objects.create(slug="deal-rubric", name="Deal rubric")
    criteria = [
        {"key": "compute_access", "family": "leverage", "weight": "1", "question": "Compute?"},
        {"key": "dependency", "family": "dependency", "weight": "2", "question": "Dependent?"},
        {"key": "stopgap", "family": "workaround", "weight": "1", "per_party": False, "question": "A stopgap?"},
    ]
    version = rubric_versions.rubric_version_create(
        rubric=rubric, data={"version": {"classification": v1.classification}, "criteria": criteria}, by=admin_user
    )
    return rubric_versions.rubric_version_activate(version=version, by=admin_user)


def test_expected_summaries_count_a_per_deal_score_for_the_deal(with_deal_criterion):
    version = with_deal_criterion
    case_ids = make_cases(6, version, prefix="deal")
    recompute.risk_summaries_recompute(case_ids=case_ids, queue_exposures=False)
    for case_id in case_ids:
        expected = expected_summary(case_id, version)
        assert None not in {party.party for party in expected.parties}  # the deal is not a party
        assert "stopgap" not in expected.missing
        assert all(party.workaround is not None for party in expected.parties)  # the deal's score counts for each
        assert_summary_matches(RiskSummary.objects.get(case_id=case_id), expected, version)
