"""A tiny world for the mutation tests (``tests/*/test_*_mutations.py``) of the services and
selectors that need a database: a hand-built rubric, a case or two, users in their groups.

Built with the ORM directly, never through the services under mutation: mutmut reruns every
test that reached a mutated function, so a fixture that went through ``evaluation_version_start``
would put every test behind every mutant of it. No password hashing (slow on purpose).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.utils import timezone

from cases.models import Case, CaseSearchDocument, Organization, Party, Source
from evaluations.models import Criterion, Evaluation, EvaluationVersion, Rubric, RubricVersion, Score

V = EvaluationVersion.State


@contextmanager
def later(seconds: float) -> Iterator[None]:
    """The clock ``seconds`` ahead, for the in-process cache's expiry (Redis keeps its own clock)."""
    if not isinstance(caches["default"], LocMemCache):
        pytest.skip("the cache's clock is Redis's")
    now = time.time()
    with mock.patch("time.time", return_value=now + seconds):
        yield


# The shape of rubric_v1.json's classification, with its thresholds.
CLASSIFICATION = {
    "dependency_risk_at": 60,
    "leverage_at": 50,
    "workaround_at": 50,
    "workaround_share_in_risk_index": 0.1,
    "risk_bands": {"low": 0, "elevated": 40, "high": 70},
}
# key -> (family, per party, weight)
CRITERIA = {
    "lev": (Criterion.Family.LEVERAGE, True, "1"),
    "dep": (Criterion.Family.DEPENDENCY, True, "1"),
    "work": (Criterion.Family.WORKAROUND, True, "1"),
    "data": (Criterion.Family.LEVERAGE, False, "1"),
}


def user(username: str, group: str | None = None) -> User:
    person = User.objects.create(username=username)
    if group:
        person.groups.add(Group.objects.get(name=group))
    return person


def rubric_version(
    *,
    slug: str = "tiny",
    number: int = 1,
    status: str = RubricVersion.Status.ACTIVE,
    criteria: dict[str, tuple[str, bool, str]] | None = None,
    scale_max: int = 4,
    classification: dict | None = None,
    crosswalk: dict | None = None,
) -> RubricVersion:
    rubric, _ = Rubric.objects.get_or_create(slug=slug, defaults={"name": f"Rubric {slug}"})
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=number,
        scale_min=0,
        scale_max=scale_max,
        classification=dict(CLASSIFICATION) if classification is None else classification,
        crosswalk=crosswalk or {},
    )
    Criterion.objects.bulk_create(
        Criterion(version=version, key=key, family=family, per_party=per_party, weight=Decimal(weight), position=n)
        for n, (key, (family, per_party, weight)) in enumerate((criteria or CRITERIA).items())
    )
    if status != RubricVersion.Status.DRAFT:  # criteria first: an active version's never change (triggers)
        RubricVersion.objects.filter(pk=version.pk).update(status=status, activated_at=timezone.now())
        version.refresh_from_db()
    return version


def case(slug: str = "deal", *, orgs: tuple[str, str] = ("alpha", "beta"), published: bool = False) -> Case:
    """A case with two parties (provider, customer) and two sources."""
    made = Case.objects.create(
        title=f"The {slug} deal",
        slug=slug,
        summary=f"Summary of {slug}",
        announced_on=date(2026, 3, 1),
        status=Case.Status.PUBLISHED if published else Case.Status.DRAFT,
        first_published_at=timezone.now() if published else None,
    )
    for position, (name, role) in enumerate(zip(orgs, ("provider", "customer"), strict=True)):
        organization, _ = Organization.objects.get_or_create(
            slug=name, defaults={"name": name.title(), "kind": Organization.Kind.values[0]}
        )
        Party.objects.create(case=made, organization=organization, role=role, position=position)
    for n in range(2):
        Source.objects.create(
            case=made, publisher=f"Paper {n}", title=f"Story {n}", url=f"https://example.com/{slug}/{n}", position=n
        )
    return made


def version(
    made: Case,
    author: User,
    state: str = V.DRAFT,
    *,
    rubric: RubricVersion,
    number: int = 1,
    scores: dict[tuple[str, int | None], int] | None = None,
    narrative: str = "The provider leases capacity to the customer.",
    verdict: str = "A lease.",
    **fields: object,
) -> EvaluationVersion:
    """A version in any state, made directly; ``scores`` by (criterion key, party position or None);
    ``fields`` set along with the state (a frozen version cannot change afterwards)."""
    evaluation, _ = Evaluation.objects.get_or_create(case=made, rubric_version=rubric)
    frozen = state in EvaluationVersion.FROZEN_STATES
    made_version = EvaluationVersion.objects.create(
        evaluation=evaluation,
        case=made,
        number=number,
        author=author,
        narrative=narrative,
        verdict=verdict,
    )
    parties = list(made.parties.order_by("position"))
    criteria = {c.key: c for c in rubric.criteria.all()}
    Score.objects.bulk_create(
        Score(
            version=made_version,
            criterion=criteria[key],
            party=None if position is None else parties[position],
            value=value,
            rationale=f"why {key} {position}",
        )
        for (key, position), value in (scores or {}).items()
    )
    if state != V.DRAFT or fields:  # scores first: a frozen version's never change (triggers)
        values: dict[str, object] = {
            "state": state,
            "published_at": timezone.now() if frozen else None,
            "published_by": author if frozen or state == V.SCHEDULED else None,
            "publish_at": timezone.now() + timedelta(days=1) if state == V.SCHEDULED else None,
            "submitted_at": None if state == V.DRAFT else timezone.now(),
        }
        EvaluationVersion.objects.filter(pk=made_version.pk).update(**{**values, **fields})
        made_version.refresh_from_db()
    return made_version


FULL_SCORES = {
    ("lev", 0): 3,
    ("dep", 0): 1,
    ("work", 0): 2,
    ("lev", 1): 1,
    ("dep", 1): 4,
    ("work", 1): 3,
    ("data", None): 2,
}

# Every criterion of the tiny rubric scored 2, for both parties and the deal: nothing blocks submitting.
COMPLETE_SCORES = {**{(key, index): 2 for key in ("lev", "dep", "work") for index in (0, 1)}, ("data", None): 2}


def search_document(made: Case, **parts: str) -> None:
    """``made``'s search document with these parts (``summary``, ``analysis``, ``sources``) written
    over it, and on PostgreSQL the vector they make; the services never write such a document."""
    documents = CaseSearchDocument.objects.filter(case=made)
    documents.update(**parts)
    if connection.vendor == "postgresql":
        from cases.search import _vector

        documents.update(vector=_vector())
