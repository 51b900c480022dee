"""Nothing unpublished reaches a reader: pages, search, feeds, sitemap, history, versions, compare.

First every reader page is read by an anonymous visitor while a draft,
in-review or scheduled version sits on top of a published case. Then the
same pages read by signed-in users who may see drafts on the desk (the reader
site still must not show them), error pages (404 and 500 never echo
unpublished text; DEBUG is off), the desk's refusal pages, and version
numbers of unpublished versions in every place that takes one.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.support.content import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db

READER_URLS = [
    ("home", {}, {}),
    ("home", {}, {"search": SECRET}),
    ("home", {}, {"search": "capacity"}),
    ("home", {}, {"organization": "secretco"}),
    ("case-detail", {"slug": COLOSSUS}, {}),
    ("case-history", {"slug": COLOSSUS}, {}),
    ("case-version", {"slug": COLOSSUS, "number": 1}, {}),
    ("case-rubric-versions", {"slug": COLOSSUS}, {}),
    ("organization-list", {}, {}),
    ("organization-detail", {"slug": "anthropic"}, {}),
    ("organization-detail", {"slug": "xai"}, {}),
    ("rubric-index", {}, {}),
    ("feed-analyses", {}, {}),
    ("feed-corrections", {}, {}),
    ("changelog", {}, {}),
    ("feed-changes", {}, {}),
    ("organization-feed", {"slug": "anthropic"}, {}),
    ("organization-corrections-feed", {"slug": "anthropic"}, {}),
    ("sitemap", {}, {}),
]


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled"])
def test_unpublished_versions_annotations_and_draft_cases_never_show(client, draft_case, unpublished_version, state):
    version = unpublished_version(state)
    note = version.annotations.get()
    for name, kwargs, params in READER_URLS:
        response = client.get(reverse(name, kwargs=kwargs), params)
        assert response.status_code == 200, (name, response.status_code)
        body = response.content.decode().lower()
        if params:  # the reader's own query is echoed in the form; look at the results and the rest
            body = body[body.index('id="results-h"') :]
            # The count, the chips and the no-results advice echo it too.
            body = re.sub(r'<div class="results-bar">.*?</div>|<div class="empty">.*?</div>', "", body, flags=re.S)
        assert SECRET not in body, name
        assert "secretco" not in body and "secret-deal" not in body, name
        assert f'id="note-{note.pk}"' not in body, name
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": version.number})).status_code == 404
    compare = client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), {"a": 1, "b": version.number})
    assert compare.status_code == 404
    for name in ("case-detail", "case-history"):
        assert client.get(reverse(name, kwargs={"slug": draft_case.slug})).status_code == 404
    assert client.get(reverse("case-version", kwargs={"slug": draft_case.slug, "number": 1})).status_code == 404
    # An organization named only by the draft case is not there at all.
    for name in ("organization-detail", "organization-feed"):
        assert client.get(reverse(name, kwargs={"slug": "secretco"})).status_code == 404


def test_a_superseded_version_stays_readable_but_its_successor_draft_does_not(
    client, demo, publish_second_version, unpublished_version
):
    publish_second_version()
    version = unpublished_version("draft")
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": 1})).status_code == 200
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": 2})).status_code == 200
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": version.number})).status_code == 404
    assert client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), {"a": 1, "b": 2}).status_code == 200


def _leaks(body: bytes) -> list[str]:
    text = body.decode().lower()
    return [word for word in (SECRET, "secretco", "secret-deal") if word in text]


@pytest.fixture
def open_versions(demo, draft_case, unpublished_version):
    """A draft on the Colossus case, one in review and one scheduled on two others, and a draft case."""
    from cases.models import Case

    others = Case.objects.filter(status="published").exclude(slug=COLOSSUS).order_by("slug")[:2]
    return {
        "draft": unpublished_version("draft"),
        "in_review": unpublished_version("in_review", slug=others[0].slug),
        "scheduled": unpublished_version("scheduled", slug=others[1].slug),
    }


def test_desk_users_see_only_published_content_on_the_reader_site(open_versions, editor, reviewer, admin_user):
    for user in (editor, reviewer, admin_user):
        client = Client()
        client.force_login(user)
        for name, kwargs, params in READER_URLS:
            response = client.get(reverse(name, kwargs=kwargs), params)
            assert response.status_code == 200, (user, name)
            body = response.content
            if params:  # the reader's own query is echoed in the search form; look at the results
                body = body[body.index(b'id="results-h"') :]
                # The count, the chips and the no-results advice echo it too.
                echoed = rb'<div class="results-bar">.*?</div>|<div class="empty">.*?</div>'
                body = re.sub(echoed, b"", body, flags=re.S)
            assert not _leaks(body), (user, name, params)
        for version in open_versions.values():
            slug = version.case.slug
            url = reverse("case-version", kwargs={"slug": slug, "number": version.number})
            assert client.get(url).status_code == 404, (user, url)
            for a, b in ((1, version.number), (version.number, 1), (version.number, version.number)):
                compare = client.get(reverse("case-compare", kwargs={"slug": slug}), {"a": a, "b": b})
                assert compare.status_code == 404, (user, slug, a, b)
            history = client.get(reverse("case-history", kwargs={"slug": slug})).content.decode()
            assert f"/versions/{version.number}/" not in history, (user, slug)


def test_error_pages_never_echo_unpublished_text(open_versions, draft_case, reader, monkeypatch):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    draft = open_versions["draft"]
    not_found = [
        reverse("case-detail", kwargs={"slug": draft_case.slug}),
        reverse("case-history", kwargs={"slug": draft_case.slug}),
        reverse("case-version", kwargs={"slug": COLOSSUS, "number": draft.number}),
        reverse("case-compare", kwargs={"slug": COLOSSUS}) + f"?a=1&b={draft.number}",
        f"/cases/{SECRET}/",
    ]
    for url in not_found:
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.content.decode()
        assert SECRET not in body.lower() and "No published" not in body, url  # no exception text either

    # A page that fails while a draft sits on top of its case: the 500 page is generic.
    def explode(*args, **kwargs):
        raise RuntimeError(f"failed on the draft about {SECRET}")

    monkeypatch.setattr("cases.views.render_annotated", explode)
    response = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    assert response.status_code == 500
    assert not _leaks(response.content) and "Traceback" not in response.content.decode()

    # The desk's refusals say no without showing what they refuse.
    client.force_login(reader)
    for url in (f"/desk/versions/{draft.pk}/", f"/desk/versions/{draft.pk}/edit/", f"/desk/cases/{draft_case.pk}/"):
        response = client.get(url)
        assert response.status_code == 403 and not _leaks(response.content), url


def test_the_api_and_exports_show_nothing_unpublished(open_versions, draft_case, reader):
    """Every public API read, anonymous and as a signed-in reader, while drafts, reviews and schedules are open."""
    draft = open_versions["draft"]
    reads = [
        "/api/v1/cases/",
        f"/api/v1/cases/?search={SECRET}",
        "/api/v1/cases/?search=capacity",
        "/api/v1/cases/?organization=secretco",
        "/api/v1/organizations/",
        "/api/v1/organizations/anthropic/",
        "/api/v1/rubrics/",
        "/api/v1/changes/",
        f"/api/v1/changes/?case={COLOSSUS}",
        "/api/v1/export/cases.csv",
        "/api/v1/export/cases.json",
    ]
    for version in open_versions.values():
        base = f"/api/v1/cases/{version.case.slug}"
        reads += [f"{base}/", f"{base}/versions/", f"{base}/versions/1/", f"{base}/rubric-versions/"]
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(reader)
    for client in (anonymous, signed_in):
        for url in reads:
            response = client.get(url)
            assert response.status_code == 200, url
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert not _leaks(body), url
        for version in open_versions.values():
            base = f"/api/v1/cases/{version.case.slug}"
            assert client.get(f"{base}/versions/{version.number}/").status_code == 404
            assert client.get(f"{base}/versions/compare/", {"a": 1, "b": version.number}).status_code == 404
            assert client.get(f"/api/v1/evaluation-versions/{version.pk}/").status_code == 404
            # Nor its kept saves (those of a published version are the newsroom's too).
            assert client.get(f"/api/v1/evaluation-versions/{version.pk}/revisions/").status_code == 404
            assert client.get(f"/api/v1/evaluation-versions/{version.pk}/revisions/2/").status_code == 404
            published_pk = version.case.evaluation_versions.get(state="published").pk
            assert client.get(f"/api/v1/evaluation-versions/{published_pk}/revisions/").status_code == 404
        assert client.get(f"/api/v1/cases/{draft_case.slug}/").status_code == 404
        # An organization named only by unpublished cases is as unknown as on the reader site.
        assert (
            client.get("/api/v1/organizations/secretco/").status_code
            == client.get("/organizations/secretco/").status_code
        )
    draft_note = draft.annotations.get()
    published = anonymous.get(f"/api/v1/cases/{COLOSSUS}/").json()["current_version"]
    assert draft_note.body not in str(published) and published["number"] == 1


def test_an_organization_named_only_by_a_draft_is_not_there_for_readers(draft_case, reader, editor):
    urls = [
        "/organizations/secretco/",
        "/organizations/secretco/feed/",
        "/organizations/secretco/corrections/feed/",
        "/api/v1/organizations/secretco/",
    ]
    for user in (None, reader):
        client = Client()
        if user:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert b"SecretCo" not in response.content, (user, url)
    newsroom = Client()
    newsroom.force_login(editor)
    assert newsroom.get("/api/v1/organizations/secretco/").json()["name"] == "SecretCo"
