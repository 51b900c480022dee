"""The case page, its history, versions and compare; organization and rubric pages; feeds."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from cases.models import Case, Organization
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import Annotation, EvaluationVersion, RiskSummary, RubricVersion
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.django_db


def _page(client, name, **kwargs) -> str:
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_case_page_marks_each_annotation_beside_its_passage(client, demo):
    html = _page(client, "case-detail", slug=COLOSSUS)
    version = EvaluationVersion.objects.get(case__slug=COLOSSUS, state="published")
    notes = list(version.annotations.all())
    assert notes
    for note in notes:
        assert f'<mark id="anchor-{note.pk}" class="anchor kind-{note.kind}">' in html
        assert f'id="note-{note.pk}"' in html and f'href="#note-{note.pk}"' in html
        # The note sits right after its passage (beside it on a wide screen, under it on a phone).
        after_mark = html[html.index(f'id="anchor-{note.pk}"') :]
        assert after_mark.index(f'id="note-{note.pk}"') < after_mark.index("</p>")
        assert escape(note.get_kind_display()) in html


def test_case_page_has_chart_scores_sources_og_and_print(client, demo):
    html = _page(client, "case-detail", slug=COLOSSUS)
    assert '<svg class="chart chart-wide"' in html and 'role="img"' in html and '<title id="risk-chart-t">' in html
    assert 'class="chart-bar dependency"' in html and "82.5" in html
    assert f'<link rel="canonical" href="{settings.SITE_URL}/cases/xai-anthropic-colossus-1/">' in html
    assert 'property="og:title"' in html
    assert "<caption>Anthropic</caption>" in html  # score table per party
    assert "rubric/partnership-leverage/v1/" in html
    assert "512 Pixels" in html
    assert "style=" not in html and "<script" not in html  # the strict CSP
    css = (pytest.importorskip("pathlib").Path(__file__).resolve().parents[2] / "static/css/site.css").read_text()
    assert "@media print" in css


def test_needs_reevaluation_and_stale_are_shown(client, demo):
    RiskSummary.objects.filter(case__slug=COLOSSUS).update(
        needs_reevaluation=True, missing_criteria=["data_rights"], stale=True
    )
    html = _page(client, "case-detail", slug=COLOSSUS)
    assert "Needs re-evaluation." in html and "data_rights" in html
    assert "out of date and being recomputed" in html


def test_history_versions_and_compare(client, demo, publish_second_version):
    second = publish_second_version(note="Fixed the megawatt figure.")
    html = _page(client, "case-history", slug=COLOSSUS)
    assert "Version 1" in html and "Version 2" in html and "Fixed the megawatt figure." in html
    v1 = _page(client, "case-version", slug=COLOSSUS, number=1)
    assert "as of version 1" in v1 and "has been superseded" in v1
    assert "A later paragraph added in review." not in v1
    assert "A later paragraph added in review." in _page(client, "case-version", slug=COLOSSUS, number=2)
    compare = client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), {"a": 1, "b": second.number})
    assert compare.status_code == 200
    assert "<ins>" in compare.content.decode() and "later paragraph" in compare.content.decode()
    detail = _page(client, "case-detail", slug=COLOSSUS)
    assert "Corrections" in detail and "Fixed the megawatt figure." in detail


@pytest.mark.parametrize("params", [{"a": "x", "b": "1"}, {"a": "1"}, {"a": "1", "b": "99"}, {}])
def test_compare_with_bad_numbers_is_404(client, demo, params):
    assert client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), params).status_code == 404


def test_organization_pages(client, demo):
    from evaluations.services import exposures

    exposures.organization_exposures_recompute(organization_ids=Organization.objects.values_list("pk", flat=True))
    index = _page(client, "organization-list")
    assert "Anthropic" in index
    bad = client.get(reverse("organization-list"), {"cursor": "junk"})
    assert bad.status_code == 400 and "Anthropic" in bad.content.decode()
    bad = client.get(reverse("organization-detail", kwargs={"slug": "anthropic"}), {"cursor": "junk"})
    assert bad.status_code == 400 and "not valid" in bad.content.decode()
    html = _page(client, "organization-detail", slug="anthropic")
    anthropic = Organization.objects.get(slug="anthropic")
    for case in Case.objects.published().filter(parties__organization=anthropic):
        assert escape(case.title) in html
    assert "Anthropic: customer" in html
    assert "Counterparties" in html and reverse("organization-detail", kwargs={"slug": "xai"}) in html
    assert '<svg class="chart chart-wide"' in html and "Concentration" in html
    assert client.get(reverse("organization-detail", kwargs={"slug": "nobody"})).status_code == 404


def test_rubric_pages_hide_drafts_and_show_changes(client, demo, admin_user):
    from evaluations.services import rubric_versions

    active = RubricVersion.objects.get(status="active")
    html = _page(client, "rubric-index")
    assert f"/rubric/{active.rubric.slug}/v{active.number}/" in html
    draft = rubric_versions.rubric_version_clone(version=active, by=admin_user)
    assert (
        client.get(
            reverse("rubric-version", kwargs={"rubric_slug": active.rubric.slug, "number": draft.number})
        ).status_code
        == 404
    )
    assert f"v{draft.number}/" not in _page(client, "rubric-index")
    page = _page(client, "rubric-version", rubric_slug=active.rubric.slug, number=active.number)
    assert "first version" in page and "Criteria" in page and "dependency risk at" in page
    rubric_versions.rubric_version_activate(version=draft, by=admin_user)
    page = _page(client, "rubric-version", rubric_slug=active.rubric.slug, number=draft.number)
    assert "What changed from" in page


def test_feeds_sitemap_robots(client, demo, publish_second_version):
    publish_second_version(note="A correction for the feed.")
    analyses = client.get(reverse("feed-analyses"))
    assert analyses.status_code == 200 and analyses["Content-Type"].startswith("application/atom+xml")
    assert "Colossus 1" in analyses.content.decode()
    corrections = client.get(reverse("feed-corrections")).content.decode()
    assert "A correction for the feed." in corrections
    org_feed = client.get(reverse("organization-feed", kwargs={"slug": "anthropic"})).content.decode()
    assert "Colossus 1" in org_feed and "involving Anthropic" in org_feed
    org_corrections = client.get(reverse("organization-corrections-feed", kwargs={"slug": "anthropic"}))
    assert "A correction for the feed." in org_corrections.content.decode()
    sitemap = client.get(reverse("sitemap")).content.decode()
    assert "/cases/xai-anthropic-colossus-1/" in sitemap and "/organizations/anthropic/" in sitemap
    assert "/rubric/" in sitemap
    robots = client.get("/robots.txt").content.decode()
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in robots


def test_nav_links_sign_in_and_sign_out(client, demo, reader):
    html = _page(client, "home")
    assert "Sign in" in html and 'href="#main"' in html
    client.force_login(reader)
    html = _page(client, "home")
    assert 'action="/accounts/logout/"' in html and 'method="post"' in html


def test_annotation_markup_in_note_is_sanitized(client, demo):
    note = Annotation.objects.filter(version__case__slug=COLOSSUS).first()
    with frozen_writes_allowed():  # a published note changed behind the services' back
        Annotation.objects.filter(pk=note.pk).update(body="<script>x()</script> **ok** [a](javascript:alert(1))")
    html = _page(client, "case-detail", slug=COLOSSUS)
    assert "<script>x()" not in html and 'href="javascript:' not in html
    assert "<strong>ok</strong>" in html
