"""The agreement figure: Krippendorff's alpha for ordinal data, checked against a published worked example,
then per rubric version and criterion from the published double-scored cases (and nothing else)."""

from __future__ import annotations

import pytest

from cases.models import Case
from evaluations.agreement import ordinal_alpha, rubric_version_agreement
from evaluations.models import RawScore, RubricVersion
from evaluations.services import double_scoring as ds
from evaluations.services import workflow

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability". Departmental Papers (ASC),
# Annenberg School for Communication, University of Pennsylvania, paper 43
# (https://repository.upenn.edu/asc_papers/43), section C, "Ordinal metric", worked on the
# reliability data matrix of section B: 4 observers, 12 units, values 1-5, with missing values.
# Published: nominal alpha = 0.743, ordinal alpha = 0.815, interval alpha = 0.849.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_ordinal_alpha_matches_krippendorffs_worked_example():
    assert round(ordinal_alpha(KRIPPENDORFF_2011), 3) == 0.815


def test_ordinal_alpha_bounds_and_undefined_cases():
    assert ordinal_alpha([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]) == pytest.approx(1.0)
    assert ordinal_alpha([[0, 4, 0, 4], [4, 0, 4, 0]]) < 0  # systematic disagreement: worse than chance
    assert ordinal_alpha([[2, 2, 2], [2, 2, 2]]) is None  # no variation: undefined
    assert ordinal_alpha([[], []]) is None
    # Ordinal, not nominal: a near miss costs less than a far one.
    near = ordinal_alpha([[0, 1, 2, 3, 4, 2], [0, 1, 2, 3, 4, 3]], range(5))
    far = ordinal_alpha([[0, 1, 2, 3, 4, 2], [0, 1, 2, 3, 4, 4]], range(5))
    assert near > far


def test_the_demo_rubric_rests_on_its_one_double_scored_case(demo):
    rubric_version = RubricVersion.objects.get(status="active")
    agreement = rubric_version_agreement(rubric_version)
    case = Case.objects.get(slug="microsoft-openai")
    raw = RawScore.objects.filter(version__case=case)
    assert agreement.cases == 1 and agreement.units == raw.count() // 2 == 12
    first_id = case.evaluation_versions.get().double_scoring.first_scorer_id
    pairs: dict = {}
    for row in raw:
        pairs.setdefault((row.criterion_id, row.party_id), [None, None])[row.scorer_id != first_id] = row.value
    expected = ordinal_alpha([[p[0] for p in pairs.values()], [p[1] for p in pairs.values()]], range(0, 5))
    assert agreement.alpha == pytest.approx(expected)
    by_key = {c.key: c for c in agreement.criteria}
    assert all(c.units == 2 for c in agreement.criteria)
    assert by_key["margin"].alpha is not None


def test_unpublished_double_scorings_do_not_count(demo, editor, editor2, reviewer):
    rubric_version = RubricVersion.objects.get(status="active")
    before = rubric_version_agreement(rubric_version)
    draft = workflow.evaluation_version_start(case=Case.objects.get(slug="amazon-anthropic"), by=editor)
    ds.double_scoring_request(version=draft, by=reviewer, first_scorer=editor, second_scorer=editor2)
    for scorer, value in ((editor, 0), (editor2, 4)):
        sheet = [
            ds.RawScoreInput(c.key, p.pk, value)
            for c in rubric_version.criteria.all()
            for p in draft.case.parties.all()
        ]
        ds.double_scoring_submit(version=draft, by=scorer, scores=sheet)
    after = rubric_version_agreement(rubric_version)
    assert (after.alpha, after.cases, after.units) == (before.alpha, before.cases, before.units)
