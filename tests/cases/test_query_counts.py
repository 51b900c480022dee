"""Reader pages run the same number of queries whatever the number of rows, cases or annotations."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case, Organization, Party, Source, TimelineEvent
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import Annotation, Evaluation, EvaluationVersion
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.django_db


def _grow(extra: int, author) -> None:
    """Add ``extra`` published cases like Colossus 1 (parties, deal types, tags, a verdict),
    and ``extra`` annotations, sources and timeline events to Colossus 1 itself."""
    with frozen_writes_allowed():  # test data written straight into the frozen record
        _grow_unlocked(extra, author)


def _grow_unlocked(extra: int, author) -> None:
    template = Case.objects.get(slug=COLOSSUS)
    version = EvaluationVersion.objects.get(case=template, state="published")
    evaluation = version.evaluation
    for n in range(extra):
        case = Case.objects.create(
            title=f"Extra {n}", slug=f"extra-{n}", summary="s", announced_on="2026-01-01", status="published"
        )
        case.deal_types.set(template.deal_types.all())
        case.tags.set(template.tags.all())
        for party in template.parties.all():
            Party.objects.create(case=case, organization=party.organization, role=party.role)
        extra_evaluation = Evaluation.objects.create(case=case, rubric_version=evaluation.rubric_version)
        EvaluationVersion.objects.create(
            evaluation=extra_evaluation, case=case, number=1, state="published", author=author,
            verdict=f"Verdict {n}", published_at=version.published_at,
        )  # fmt: skip
        words = version.narrative.split()
        Annotation.objects.create(version=version, quote=words[n * 3], kind="context", body=f"note {n}", author=author)
        Source.objects.create(case=template, publisher=f"P{n}", title=f"T{n}", url=f"https://example.com/{n}")
        TimelineEvent.objects.create(case=template, kind="expanded", occurred_on="2026-02-01")


PAGES = [
    ("home", {}, {}),
    ("home", {}, {"organization": "anthropic", "sort": "risk"}),
    ("home", {}, {"search": "capacity"}),
    ("case-detail", {"slug": COLOSSUS}, {}),
    ("case-version", {"slug": COLOSSUS, "number": 1}, {}),
    ("case-history", {"slug": COLOSSUS}, {}),
    ("organization-detail", {"slug": "anthropic"}, {}),
    ("organization-list", {}, {}),
]


def _counts(client) -> list[int]:
    counts = []
    for name, kwargs, params in PAGES:
        cache.clear()  # cold: the archive's filter choices are cached (selectors.archive_choices)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name, kwargs=kwargs), params).status_code == 200
        counts.append(len(ctx.captured_queries))
    return counts


def test_query_counts_do_not_grow(client, demo, editor):
    before = _counts(client)
    _grow(12, editor)
    assert _counts(client) == before


@pytest.mark.parametrize("extra", [0, 12])
def test_exact_query_counts(client, demo, editor, django_assert_num_queries, extra):
    _grow(extra, editor)
    with django_assert_num_queries(9):  # page, count, parties, deal types, verdicts, 4 for the filter choices
        client.get(reverse("home"))
    # The page: the published total (until a publication), the filter choices and the rows from the cache.
    with django_assert_num_queries(1):
        client.get(reverse("home"))
    with django_assert_num_queries(3):  # the deal type named, page, its count (up to the cap)
        client.get(reverse("home"), {"sort": "risk", "deal_type": "compute_lease"})
    # 8 for the similar deals (cached per generation of the published set, no stamp query), 1 for quotes
    with django_assert_num_queries(22):
        client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    with django_assert_num_queries(9):  # the analysis block and the similar deals are cached
        client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    cache.clear()
    # Organization, page, its roles, the rows' parties, deal types and verdicts, drift, counterparties, relationships,
    # and the exposure's figures (left out of the organization's query: the fragments showing them missed).
    with django_assert_num_queries(10):
        client.get(reverse("organization-detail", kwargs={"slug": "anthropic"}))
    with django_assert_num_queries(4):  # organization, page, its roles, relationships: the rest from the cache
        client.get(reverse("organization-detail", kwargs={"slug": "anthropic"}))


def test_cached_filter_choices_are_forgotten_when_a_case_changes(
    client, demo, editor, django_capture_on_commit_callbacks
):
    from cases import services

    client.get(reverse("home"))  # fills the cache
    organization = Organization.objects.get(slug="anthropic")
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_update(organization=organization, by=editor, name="Anthropic Renamed")
    page = client.get(reverse("home"), {"organization": "anthropic"}).content.decode()
    assert '<option value="anthropic" selected>Anthropic Renamed</option>' in page


def test_cached_drift_is_the_drift_and_follows_the_exposure(demo):
    from cases import web_selectors
    from cases.selectors import organization_exposure
    from evaluations.models import OrganizationExposure

    organization = Organization.objects.get(slug="anthropic")
    cache.clear()
    exposure = organization_exposure(organization)
    assert web_selectors.organization_drift_cached(organization, exposure) == web_selectors.organization_drift(
        organization
    )
    Party.objects.filter(organization=organization).update(role="investor")  # as a recompute would then see
    OrganizationExposure.objects.filter(organization=organization).update(stale=True)
    exposure = organization_exposure(Organization.objects.get(pk=organization.pk))
    assert web_selectors.organization_drift_cached(organization, exposure) == web_selectors.organization_drift(
        organization
    )


def test_organization_page_reads_its_exposure_figures_only_on_a_miss(client, demo):
    """The figures are hundreds of kilobytes for the busiest organization: a page whose fragments
    come from the cache leaves them unread, and a miss reads and shows them."""
    url = reverse("organization-detail", kwargs={"slug": "anthropic"})
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        first = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as warm:
        second = client.get(url).content.decode()
    assert first == second
    assert any('"independent_paths"' in q["sql"] for q in cold.captured_queries)
    assert not any('"suppliers"' in q["sql"] or '"independent_paths"' in q["sql"] for q in warm.captured_queries)
    exposure = Organization.objects.get(slug="anthropic").exposure
    for supplier in exposure.suppliers:
        assert supplier["name"] in first
