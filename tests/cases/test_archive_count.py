"""The archive's result count: the whole archive's exact total, counted once per change of the
published set (not 100,000 rows per request); a filter's matches counted up to a cap."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from cases import cache_keys, selectors
from cases.filters import CaseFilter
from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import publishing
from tests.support import tiny

pytestmark = pytest.mark.django_db
V = EvaluationVersion.State


@pytest.fixture
def world():
    return {
        "rubric": tiny.rubric_version(),
        "case": tiny.case(),
        "others": [tiny.case(f"old-{n}", orgs=(f"a{n}", f"b{n}"), published=True) for n in range(3)],
        "editor": tiny.user("ed", "Editors"),
        "reviewer": tiny.user("rev", "Reviewers"),
    }


def _total(client) -> str:
    html = client.get(reverse("home")).content.decode()
    return html.split('class="result-count"', 1)[1].split("</p>", 1)[0]


def test_the_total_is_exact_cached_and_new_after_a_first_publication(
    world, client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    published = Case.objects.published().count()
    assert f"<strong>{published}</strong> case" in _total(client)
    with django_assert_num_queries(0):  # counted once: the next reader gets it from the cache
        assert selectors.case_count_published() == published
    version = tiny.version(world["case"], world["editor"], V.IN_REVIEW, rubric=world["rubric"])
    assert world["case"].status == Case.Status.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    # The publication starts a new generation after its commit: the total counts the new case at once.
    now = Case.objects.published().count()
    assert now == published + 1 == 4
    assert f"<strong>{now}</strong> case" in _total(client)
    assert "More than" not in _total(client)


def test_a_count_that_raced_a_publication_is_never_shown(world, django_capture_on_commit_callbacks):
    """The generation is read before counting: a count stored under it after a publication moved it on
    is stored where nobody looks any more."""
    before = selectors.published_generation()
    stale = Case.objects.published().count()
    version = tiny.version(world["case"], world["editor"], V.IN_REVIEW, rubric=world["rubric"])
    with django_capture_on_commit_callbacks(execute=True):
        publishing.evaluation_version_publish(version=version, by=world["reviewer"])
    cache.set(cache_keys.published_count(before), stale)  # the slow reader's late write
    assert selectors.published_generation() != before
    assert selectors.case_count_published() == stale + 1


def test_no_generation_until_commit(world, django_capture_on_commit_callbacks):
    before = selectors.published_generation()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        selectors.archive_choices_forget()
    assert selectors.published_generation() == before  # a rolled-back publication changes nothing
    for callback in callbacks:
        callback()
    assert selectors.published_generation() != before


def test_without_a_cache_the_total_is_still_exact(world, monkeypatch):
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)
    assert selectors.case_count_published() == Case.objects.published().count()


def test_a_filter_counts_up_to_the_cap(world, client, monkeypatch):
    published = Case.objects.published().count()
    assert published > 1
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    html = client.get(reverse("home"), {"announced_after": "1900-01-01"}).content.decode()
    assert "More than <strong>1</strong> case" in html
    # The whole archive (a sort or a page is not a filter) says its exact total.
    html = client.get(reverse("home"), {"sort": "title"}).content.decode()
    assert f"<strong>{published}</strong> cases" in html
    monkeypatch.setattr(selectors, "COUNT_CAP", 1000)
    html = client.get(reverse("home"), {"announced_after": "1900-01-01"}).content.decode()
    assert f"<strong>{published}</strong> cases" in html and "More than" not in html


def test_the_filters_read_the_vocabulary_once_a_request(world, client, monkeypatch):
    """The risk band and classification fields iterate their choices to validate and to render: one
    cache read for the request, and never the whole choices (hundreds of kilobytes at scale)."""
    client.get(reverse("home"), {"risk_band": "high"})  # fills the cache
    for name in ("risk_band", "classification"):  # as the API schema does: the class's fields built first
        assert list(CaseFilter.base_filters[name].field.choices)
    reads: list[str] = []
    real_get = cache.get

    def get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    assert client.get(reverse("home"), {"risk_band": "high", "classification": "mixed"}).status_code == 200
    assert reads.count(cache_keys.ARCHIVE_VOCABULARY) == 1
    assert reads.count(cache_keys.ARCHIVE_CHOICES) == 1  # the page's own, for the organizations and tags
    reads.clear()
    assert client.get("/api/v1/cases/", {"risk_band": "high"}).status_code == 200
    assert reads.count(cache_keys.ARCHIVE_VOCABULARY) == 1
    assert cache_keys.ARCHIVE_CHOICES not in reads
