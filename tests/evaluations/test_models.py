"""What the database itself protects."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from cases.models import Case
from evaluations.models import Criterion, EvaluationVersion, RubricVersion, Score


def test_score_outside_its_rubric_scale_is_refused_by_the_database(demo):
    score = Score.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.filter(pk=score.pk).update(value=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(version=score.version, criterion=score.criterion, party=None, value=-1)


def test_one_score_per_version_criterion_and_party(demo):
    score = Score.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(version=score.version, criterion=score.criterion, party=score.party, value=1)


def test_one_active_version_per_rubric(demo):
    active = RubricVersion.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.create(rubric=active.rubric, number=2, status="active", classification={})


def test_unique_version_numbers(demo):
    version = EvaluationVersion.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationVersion.objects.create(
            evaluation=version.evaluation, case=version.case, number=version.number, author=version.author
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RubricVersion.objects.create(rubric=RubricVersion.objects.get().rubric, number=1, classification={})


def test_one_published_version_per_case(demo):
    version = EvaluationVersion.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationVersion.objects.create(
            evaluation=version.evaluation,
            case=version.case,
            number=2,
            author=version.author,
            state="published",
            published_at=version.published_at,
        )


def test_unique_slugs_and_criterion_keys(demo):
    case = Case.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(title="x", slug=case.slug, summary="x", announced_on=case.announced_on)
    criterion = Criterion.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Criterion.objects.create(version=criterion.version, key=criterion.key, family="leverage", question="?")
