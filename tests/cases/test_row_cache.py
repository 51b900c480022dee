"""Cached archive rows and API list items stay cached until what they show changes.

A rubric activation marks every summary stale, then rewrites each one under the new version
(a new computed_at, rubric version and inputs hash). Neither the archive row nor the API list
item shows the stale flag, and a stale summary's figures are what readers see until the
recompute writes new ones, so neither step may throw a cached row away unless its figures
come out different. The case page, which says "being recomputed", does change (see
``test_conditional_get``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cases import cache_keys, selectors
from cases.models import Case
from evaluations.models import RiskSummary, RubricVersion
from evaluations.services import recompute, rubric_versions
from tests.support.content import COLOSSUS, draft_version_make
from tests.support.synthetic import new_rubric_version_data

pytestmark = pytest.mark.django_db

HOME = reverse("home")
API_LIST = reverse("api:case-list")
# The archive's first page: its cases with their summaries and published versions (the total is cached
# per generation of the published set, the filter choices with it); a row missing from the cache adds
# its parties, deal types and verdicts.
HOME_CACHED_QUERIES = 1
HOME_MISS_QUERIES = HOME_CACHED_QUERIES + 3
# The API list: its page of cases with their summaries; a missing item adds parties, deal types, tags.
API_CACHED_QUERIES = 1
API_MISS_QUERIES = API_CACHED_QUERIES + 3


def _same_criteria(active: RubricVersion) -> dict:
    """A new rubric version with the active one's criteria and weights: no figure changes."""
    data = new_rubric_version_data(active)
    data["criteria"] = [
        {"key": c.key, "family": c.family, "weight": str(c.weight), "per_party": c.per_party, "question": c.question}
        for c in active.criteria.all()
    ]
    return data


def _activate_same_criteria(admin_user) -> RubricVersion:
    """Activate it; the recompute it queues after commit does not run (a test's transaction never commits)."""
    active = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    draft = rubric_versions.rubric_version_create(rubric=active.rubric, data=_same_criteria(active), by=admin_user)
    return rubric_versions.rubric_version_activate(version=draft, by=admin_user)


def _figures() -> dict[int, tuple]:
    return dict(
        (row[0], row[1:])
        for row in RiskSummary.objects.values_list("case_id", "risk_index", "risk_band", "classification")
    )


def test_an_activation_keeps_cached_rows_while_stale_and_after_a_recompute_that_changes_no_figure(
    client, demo, admin_user, django_assert_num_queries
):
    page, items = client.get(HOME), client.get(API_LIST)  # warm: every row in the cache
    figures = _figures()
    new = _activate_same_criteria(admin_user)
    assert not RiskSummary.objects.filter(stale=False).exists()  # the whole archive marked stale

    with django_assert_num_queries(HOME_CACHED_QUERIES):
        stale_page = client.get(HOME)
    with django_assert_num_queries(API_CACHED_QUERIES):
        stale_items = client.get(API_LIST)
    assert stale_page.content == page.content
    assert stale_items["ETag"] == items["ETag"] and stale_items.content == items.content

    recompute.risk_summaries_recompute(case_ids=list(figures), queue_exposures=False)
    assert RiskSummary.objects.filter(stale=False, rubric_version=new).count() == len(figures)
    assert _figures() == figures  # the same criteria and weights: the same figures

    with django_assert_num_queries(HOME_CACHED_QUERIES):
        recomputed_page = client.get(HOME)
    with django_assert_num_queries(API_CACHED_QUERIES):
        recomputed_items = client.get(API_LIST)
    assert recomputed_page.content == page.content
    assert recomputed_items["ETag"] == items["ETag"]


def test_a_new_figure_rebuilds_its_row_and_changes_the_etag(client, demo, django_assert_num_queries):
    client.get(HOME)
    items = client.get(API_LIST)
    case = Case.objects.get(slug=COLOSSUS)
    RiskSummary.objects.filter(case=case).update(risk_index=Decimal("3.5"), risk_band="low")

    with django_assert_num_queries(HOME_MISS_QUERIES):
        page = client.get(HOME).content.decode()
    assert "index 3.5" in page and "low risk" in page
    with django_assert_num_queries(API_MISS_QUERIES):
        changed = client.get(API_LIST)
    assert changed["ETag"] != items["ETag"]
    assert next(item for item in changed.json()["results"] if item["slug"] == COLOSSUS)["risk_index"] == 3.5


def test_a_new_versions_verdict_reaches_its_row_before_the_recompute(client, demo, editor, reviewer):
    client.get(HOME)
    case = Case.objects.get(slug=COLOSSUS)
    before = cache_keys.archive_row(selectors.case_list_published().get(pk=case.pk))
    from evaluations.services import workflow

    draft = draft_version_make(case, editor, narrative_extra="", verdict="A landlord, not a lab.", annotate=None)
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    # Stale, not recomputed: the figures are the last ones; the verdict is the new version's.
    assert RiskSummary.objects.get(case=case).stale
    assert cache_keys.archive_row(selectors.case_list_published().get(pk=case.pk)) != before
    assert "A landlord, not a lab." in client.get(HOME).content.decode()


def test_the_case_page_still_says_its_figures_are_being_recomputed(client, demo, admin_user):
    url = reverse("case-detail", kwargs={"slug": COLOSSUS})
    etag = client.get(url)["ETag"]
    _activate_same_criteria(admin_user)
    page = client.get(url, headers={"If-None-Match": etag})
    assert page.status_code == 200 and page["ETag"] != etag
    assert "being recomputed" in page.content.decode()
