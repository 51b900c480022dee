"""Many published, scored cases made quickly (bulk_create), for worker and scale tests."""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases.models import Case, DealType, Organization, Party
from evaluations import scoring, selectors
from evaluations.models import Evaluation, EvaluationVersion, RubricVersion, Score

DEAL_TYPES = ["compute_lease", "cloud_commitment", "equity_investment", "distribution"]
ROLES = [("provider", "customer"), ("investor", "investee"), ("licensor", "licensee")]


@transaction.atomic
def make_cases(n: int, rubric_version: RubricVersion, *, seed: int = 7, prefix: str = "syn") -> list[int]:
    """``n`` published cases, two parties each, every criterion scored; returns their ids."""
    rng = random.Random(seed)
    author, _ = get_user_model().objects.get_or_create(username=f"{prefix}-author")
    organizations = [
        Organization.objects.get_or_create(
            slug=f"{prefix}-org-{i}", defaults={"name": f"{prefix} org {i}", "kind": "model_lab"}
        )[0]
        for i in range(12)
    ]
    deal_types = [DealType.objects.get_or_create(slug=s, defaults={"name": s.replace("_", " ")})[0] for s in DEAL_TYPES]
    now = timezone.now()
    cases = Case.objects.bulk_create(
        Case(
            title=f"{prefix} case {i}",
            slug=f"{prefix}-case-{i}",
            summary="synthetic",
            announced_on=f"{2020 + i % 7}-0{1 + i % 9}-1{i % 10}",
            status=Case.Status.PUBLISHED,
            first_published_at=now,
            is_synthetic=True,
        )
        for i in range(n)
    )
    Case.deal_types.through.objects.bulk_create(
        Case.deal_types.through(case_id=case.pk, dealtype_id=deal_types[i % len(deal_types)].pk)
        for i, case in enumerate(cases)
    )
    parties = []
    for i, case in enumerate(cases):
        first, second = rng.sample(organizations, 2)
        roles = ROLES[i % len(ROLES)]
        parties.append(Party(case=case, organization=first, role=roles[0], position=0))
        parties.append(Party(case=case, organization=second, role=roles[1], position=1))
    Party.objects.bulk_create(parties)
    evaluations = Evaluation.objects.bulk_create(Evaluation(case=case, rubric_version=rubric_version) for case in cases)
    versions = EvaluationVersion.objects.bulk_create(
        EvaluationVersion(
            evaluation=evaluation,
            case_id=evaluation.case_id,
            number=1,
            # Scored while in review, then published, as the workflow does: the
            # database refuses scores added to a published version.
            state=EvaluationVersion.State.IN_REVIEW,
            author=author,
            narrative="synthetic",
        )
        for evaluation in evaluations
    )
    criteria = list(rubric_version.criteria.all())
    scores = []
    for index, version in enumerate(versions):
        for party in parties[2 * index : 2 * index + 2]:
            for criterion in criteria:
                value = rng.randint(rubric_version.scale_min, rubric_version.scale_max)
                scores.append(Score(version=version, criterion=criterion, party=party, value=value))
    Score.objects.bulk_create(scores, batch_size=5000)
    EvaluationVersion.objects.filter(pk__in=[v.pk for v in versions]).update(
        state=EvaluationVersion.State.PUBLISHED, published_at=now
    )
    return [case.pk for case in cases]


def expected_summary(case_id: int, rubric_version: RubricVersion) -> scoring.Summary:
    """The pure engine's answer for a case under ``rubric_version``, from its published scores."""
    spec = selectors.rubric_spec(rubric_version)
    party_scores: dict[int, dict[str, int]] = {}
    version = EvaluationVersion.objects.get(case_id=case_id, state=EvaluationVersion.State.PUBLISHED)
    for party_id, key, value in version.scores.values_list("party_id", "criterion__key", "value"):
        party_scores.setdefault(party_id, {})[key] = value
    return scoring.summarize(spec, party_scores)


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
