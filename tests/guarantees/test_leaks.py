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
    ("organization-supply", {"slug": "anthropic"}, {}),
    ("organization-supply", {"slug": "xai"}, {}),
    ("organization-supply-groups", {"slug": "anthropic", "resource": "compute"}, {}),
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
    for name in ("organization-detail", "organization-supply", "organization-feed"):
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

    monkeypatch.setattr("cases.views.version_reading", explode)
    response = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS}))
    assert response.status_code == 500
    assert not _leaks(response.content) and "Traceback" not in response.content.decode()

    # The desk's refusals say no without showing what they refuse.
    # checklist: the preview of a draft's reader page is the desk's too: sign in first, then 403 for readers.
    desk_urls = (
        f"/desk/versions/{draft.pk}/",
        f"/desk/versions/{draft.pk}/edit/",
        f"/desk/versions/{draft.pk}/preview/",
        f"/desk/versions/{draft.pk}/saved.json",  # the edit pages' last-save marker
        f"/desk/cases/{draft_case.pk}/",
        f"/desk/cases/?q={SECRET}",
        f"/desk/cases/{draft_case.pk}/timeline/0/",
        "/desk/notifications/",
    )
    for url in desk_urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
        assert not _leaks(response.content), url
    client.force_login(reader)
    for url in desk_urls:
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
        "/organizations/secretco/suppliers/",
        "/organizations/secretco/suppliers/compute-groups/",
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


@pytest.fixture
def review_comments(demo, editor, reviewer, admin_user):
    """Private review comments (with the secret word) on a version since published, and on a
    discarded draft of another case: neither may reach a reader."""
    from cases.models import Case
    from evaluations.services import review, workflow

    version = workflow.evaluation_version_submit(
        version=workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor), by=editor
    )
    quote = re.search(r"[A-Za-z]+(?: [A-Za-z]+){3}", version.narrative).group(0)
    thread = review.review_comment_create(version=version, by=reviewer, body=f"Is {SECRET} right?", quote=quote)
    review.review_comment_create(version=version, by=editor, body=f"Yes, {SECRET}.", parent=thread)
    review.review_comment_resolve(comment=thread, by=editor)
    review.review_assign(version=version, by=editor, reviewer=admin_user)
    published = workflow.evaluation_version_approve(version=version, by=reviewer)
    other = Case.objects.filter(status="published").exclude(slug=COLOSSUS).order_by("slug").first()
    draft = workflow.evaluation_version_start(case=other, by=editor)
    review.review_comment_create(version=draft, by=reviewer, body=f"Drop the {SECRET} part")
    review.evaluation_version_discard(version=draft, by=reviewer, comment=f"{SECRET} abandoned")
    return {"published": published, "discarded": draft}


def test_review_comments_and_discarded_drafts_never_reach_readers(review_comments, reader, admin_user):
    published, discarded = review_comments["published"], review_comments["discarded"]
    assert published.state == "published" and published.review_comments.count() == 2
    pages = [(reverse(name, kwargs=kwargs), params) for name, kwargs, params in READER_URLS if not params]
    for version in (published, discarded):
        slug = version.case.slug
        pages += [
            (reverse("case-detail", kwargs={"slug": slug}), {}),
            (reverse("case-history", kwargs={"slug": slug}), {}),
            (f"/api/v1/cases/{slug}/", {}),
            (f"/api/v1/cases/{slug}/versions/", {}),
            (f"/api/v1/changes/?case={slug}", {}),
        ]
    pages += [
        (reverse("case-version", kwargs={"slug": COLOSSUS, "number": published.number}), {}),
        (f"/api/v1/cases/{COLOSSUS}/versions/{published.number}/", {}),
        (f"/api/v1/evaluation-versions/{published.pk}/", {}),
        ("/api/v1/export/cases.csv", {}),
        ("/api/v1/export/cases.json", {}),
        ("/api/v1/cases/", {"search": "right"}),
    ]
    signed_in = Client()
    signed_in.force_login(reader)
    for client in (Client(), signed_in):
        for url, params in pages:
            response = client.get(url, params)
            assert response.status_code == 200, url
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert not _leaks(body), url
            assert b"review_comment" not in body and b"review-thread" not in body, url
        slug = discarded.case.slug
        assert client.get(reverse("case-version", kwargs={"slug": slug, "number": discarded.number})).status_code == 404
        assert client.get(f"/api/v1/evaluation-versions/{discarded.pk}/").status_code == 404
        assert client.get(f"/api/v1/cases/{slug}/versions/{discarded.number}/").status_code == 404
    # The reader search finds nothing by the comments' words.
    response = Client().get(reverse("home"), {"search": SECRET})
    body = response.content[response.content.index(b'id="results-h"') :]
    assert b"/cases/" not in re.sub(
        rb'<div class="results-bar">.*?</div>|<div class="empty">.*?</div>', b"", body, flags=re.S
    )


def test_a_notification_about_a_draft_reaches_nobody_outside_the_newsroom(open_versions, reader, reviewer, mailoutbox):
    """A notification addressed to someone who cannot see drafts (left the newsroom): no email, no list."""
    from evaluations.models import Notification
    from evaluations.services import notifications

    reader.email = "reader@example.org"
    reader.save(update_fields=["email"])
    (notification,) = notifications.notifications_send(
        kind=Notification.Kind.COMMENT,
        version=open_versions["in_review"],
        actor=reviewer,
        recipients=[reader],
        text=f"About the {SECRET} passage.",
    )
    assert notifications.notification_email_send(notification_id=notification.pk) is False
    assert mailoutbox == []
    client = Client()
    client.force_login(reader)
    for response in (client.get("/desk/notifications/"), client.post(f"/desk/notifications/{notification.pk}/read/")):
        assert response.status_code == 403 and not _leaks(response.content)


def test_a_parked_rationale_never_shows(client, demo, editor, client_for):
    """A rationale parked without a score in a draft (issue 15): in no reader page, feed, search or API answer."""
    from cases.models import Case
    from evaluations.services import workflow

    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=editor)
    score = version.scores.select_related("criterion").filter(party__isnull=False).first()
    kept = [
        workflow.ScoreInput(s.criterion.key, s.party_id, s.value, s.rationale)
        for s in version.scores.select_related("criterion")
        if s.pk != score.pk
    ]
    parked = workflow.ScoreInput(score.criterion.key, score.party_id, None, f"Parked: {SECRET}")
    workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, scores=[*kept, parked]
    )
    for name, kwargs, params in READER_URLS:
        body = client.get(reverse(name, kwargs=kwargs), params).content.decode().lower()
        if params:  # the reader's own query is echoed in the form
            body = body[body.index('id="results-h"') :]
            body = re.sub(r'<div class="results-bar">.*?</div>|<div class="empty">.*?</div>', "", body, flags=re.S)
        assert SECRET not in body, name
    api = client_for(None)
    for url in (
        f"/api/v1/cases/{COLOSSUS}/",
        f"/api/v1/evaluation-versions/{version.pk}/",
        f"/api/v1/cases/?search={SECRET}",
    ):
        assert SECRET not in api.get(url).content.decode(), url
    export = client.get("/api/v1/export/cases.json")
    assert SECRET not in b"".join(export.streaming_content).decode()
