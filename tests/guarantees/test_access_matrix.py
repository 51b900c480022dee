"""Every URL of the site, as each kind of user: the status each one gets.

The table is checked against the URL resolver: a named URL without a row
fails the test with its name, so a new page or endpoint cannot be forgotten.
Only Django admin internals (a handful are tested below) and static files are
left out.

One demo load for the whole table: each role's requests run inside a
savepoint that is rolled back, so every role meets the same state and the
actions (POSTs) really run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cases.models import Case, Organization, Source
from evaluations.models import EvaluationVersion, Notification, RubricVersion
from tests.support.accounts import PASSWORD
from tests.support.content import COLOSSUS, draft_case_make, unpublished_version_make

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reader", "editor", "editor2", "reviewer", "admin_user")
DESK = ("editor", "editor2", "reviewer", "admin_user")
REVIEW = ("reviewer", "admin_user")
LOGIN = "/accounts/login/"


@dataclass(frozen=True)
class Row:
    """One request: ``name`` (a URL name, namespaced as ``api:...``) with its arguments, and the status per role."""

    name: str
    expected: dict[str, int]
    kwargs: dict = field(default_factory=dict)
    method: str = "get"
    data: dict = field(default_factory=dict)  # query string for GET, form body for POST
    content_type: str | None = None  # for API writes (JSON)
    headers: dict = field(default_factory=dict)  # e.g. If-Match for API writes

    def url(self) -> str:
        return reverse(self.name, kwargs=self.kwargs)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def desk(status: int, review: int | None = None) -> dict[str, int]:
    """A desk URL: anonymous users are sent to sign in, readers get 403; ``review``: the reviewers' status."""
    answers = {"anonymous": 302, "reader": 403}
    for role in DESK:
        answers[role] = review if review is not None and role in REVIEW else status
    return answers


@dataclass
class World:
    """The objects the table points at (all made once, before any role's requests)."""

    case: Case  # published, version 1 published, version 2 a draft by the editor with an annotation
    draft: EvaluationVersion
    in_review: EvaluationVersion  # another published case's version 2, written by the editor, in review
    draft_case: Case  # never published, no versions
    draft_source: Source  # the never-published case's one source
    organization: Organization
    rubric_version: RubricVersion
    api_draft: EvaluationVersion  # for the API's writes: a draft and a version in review on two more cases
    api_in_review: EvaluationVersion
    api_to_send_back: EvaluationVersion
    scheduled: EvaluationVersion  # a fifth published case's version 2, by the editor, approved for later


def site_rows(w: World) -> list[Row]:
    slug, org = w.case.slug, w.organization.slug
    draft_number = w.draft.number
    return [
        # --- Operations and sign-in -------------------------------------------------------
        Row("health", everyone(200)),
        Row("login", everyone(200)),
        Row("login", everyone(200), method="post", data={"username": "nobody", "password": "wrong"}),
        Row("logout", everyone(405)),  # sign-out is POST only (no sign-out by a link on another site)
        # Changing one's own password: anyone signed in; anonymous users are sent to sign in.
        Row("password_change", {**everyone(200), "anonymous": 302}),
        Row("password_change_done", {**everyone(200), "anonymous": 302}),
        # --- The reader site: the same for everyone, signed in or not -----------------------
        Row("home", everyone(200)),
        Row("home", everyone(200), data={"search": "capacity", "sort": "relevance"}),
        Row("home", everyone(400), data={"cursor": "not-a-cursor"}),
        Row("home", everyone(405), method="post"),
        Row("case-detail", everyone(200), {"slug": slug}),
        Row("case-detail", everyone(404), {"slug": w.draft_case.slug}),  # the desk is where drafts are read
        Row("case-chart", everyone(200), {"slug": slug}),
        Row("case-chart", everyone(404), {"slug": w.draft_case.slug}),
        Row("case-history", everyone(200), {"slug": slug}),
        Row("case-history", everyone(404), {"slug": w.draft_case.slug}),
        Row("case-version", everyone(200), {"slug": slug, "number": 1}),
        Row("case-version", everyone(404), {"slug": slug, "number": draft_number}),
        Row("case-version", everyone(404), {"slug": w.in_review.case.slug, "number": w.in_review.number}),
        Row("case-compare", everyone(404), {"slug": slug}, data={"a": 1, "b": draft_number}),
        Row("case-compare", everyone(404), {"slug": slug}, data={"a": "x", "b": "1"}),
        # A published case under two rubric versions: published data only, for everyone.
        Row("case-rubric-versions", everyone(200), {"slug": slug}),
        Row("case-rubric-versions", everyone(404), {"slug": slug}, data={"a": 9}),
        Row("case-rubric-versions", everyone(400), {"slug": slug}, data={"a": "x"}),
        Row("case-rubric-versions", everyone(404), {"slug": w.draft_case.slug}),
        Row("organization-list", everyone(200)),
        Row("organization-detail", everyone(200), {"slug": org}),
        Row("organization-detail", everyone(404), {"slug": "no-such-org"}),
        Row("graph", everyone(200)),
        Row("graph", everyone(400), data={"from": "soon"}),
        Row("organization-supply", everyone(200), {"slug": org}),
        Row("organization-supply", everyone(404), {"slug": "no-such-org"}),
        Row("organization-supply", everyone(404), {"slug": "secretco"}),
        Row("organization-supply-groups", everyone(200), {"slug": org, "resource": "compute"}),
        Row("organization-supply-groups", everyone(404), {"slug": org, "resource": "nothing"}),
        Row("organization-graph", everyone(200), {"slug": org}),
        Row("organization-graph", everyone(404), {"slug": "no-such-org"}),
        Row("deals-compare", everyone(400), data={"cases": f"{slug},{w.draft_case.slug}"}),
        Row("organization-feed", everyone(200), {"slug": org}),
        Row("organization-corrections-feed", everyone(200), {"slug": org}),
        Row("rubric-index", everyone(200)),
        Row("rubric-version", everyone(200), {"rubric_slug": w.rubric_version.rubric.slug, "number": 1}),
        Row("rubric-version", everyone(404), {"rubric_slug": w.rubric_version.rubric.slug, "number": 99}),
        Row("feed-analyses", everyone(200)),
        Row("feed-corrections", everyone(200)),
        Row("changelog", everyone(200)),
        Row("changelog", everyone(200), data={"organization": org, "since": "2026-01-01"}),
        Row("changelog", everyone(400), data={"since": "2026-05-01", "until": "2026-01-01"}),
        Row("changelog", everyone(400), data={"organization": "secretco"}),
        Row("feed-changes", everyone(200)),
        Row("feed-changes", everyone(400), data={"since": "soon"}),
        Row("sitemap", everyone(200)),
        Row("robots-txt", everyone(200)),
        # --- The journalist's toolkit: embeds, oEmbed, citations, alerts (no account) --------
        Row("case-embed", everyone(200), {"slug": slug, "widget": "card"}),
        Row("case-embed", everyone(200), {"slug": slug, "widget": "ledger"}),
        Row("case-embed", everyone(404), {"slug": w.draft_case.slug, "widget": "chart"}),
        Row("case-embed", everyone(404), {"slug": slug, "widget": "nope"}),
        Row("case-embed", everyone(405), {"slug": slug, "widget": "card"}, method="post"),
        Row("oembed", everyone(200), data={"url": f"http://testserver/cases/{slug}/"}),
        Row("oembed", everyone(404), data={"url": f"http://testserver/cases/{w.draft_case.slug}/"}),
        Row("oembed", everyone(501), data={"url": f"http://testserver/cases/{slug}/", "format": "xml"}),
        Row("case-version-cite", everyone(200), {"slug": slug, "number": 1, "fmt": "bib"}),
        Row("case-version-cite", everyone(200), {"slug": slug, "number": 1, "fmt": "json"}),
        Row("case-version-cite", everyone(404), {"slug": slug, "number": draft_number, "fmt": "bib"}),
        Row(
            "rubric-version-cite",
            everyone(200),
            {"rubric_slug": w.rubric_version.rubric.slug, "number": 1, "fmt": "json"},
        ),
        Row(
            "rubric-version-cite",
            everyone(404),
            {"rubric_slug": w.rubric_version.rubric.slug, "number": 99, "fmt": "bib"},
        ),
        Row("alerts-subscribe", everyone(200)),
        Row("alerts-subscribe", everyone(400), method="post", data={"email": "nope"}),
        Row(
            "alerts-subscribe",
            everyone(200),
            method="post",
            data={"email": "matrix@example.org", "topic": "all", "frequency": "weekly", "consent": "on"},
        ),
        Row("alerts-confirm", everyone(404), {"token": "not-a-token"}),
        Row("alerts-confirm", everyone(404), {"token": "not-a-token"}, method="post"),
        Row("alerts-preferences", everyone(404), {"token": "not-a-token"}),
        Row("alerts-unsubscribe", everyone(404), {"token": "not-a-token"}, method="post"),
        # --- The desk: pages ------------------------------------------------------------
        Row("desk-dashboard", desk(200)),
        Row("desk-case-list", desk(200)),
        Row("desk-case-list", desk(200), data={"q": "colossus", "page": "x"}),
        Row("desk-case-create", desk(200)),
        Row("desk-case", desk(200), {"pk": w.case.pk}),
        Row("desk-case", desk(200), {"pk": w.draft_case.pk}),
        Row("desk-case", desk(404), {"pk": 999_999}),
        Row("desk-case-edit", desk(200), {"pk": w.case.pk}),
        Row("desk-source-excerpt", desk(200), {"pk": w.case.pk, "source_pk": _source_pk(w)}),
        Row("desk-source-excerpt", desk(404), {"pk": w.case.pk, "source_pk": 999_999}),
        Row("desk-compare", desk(200), {"case_pk": w.case.pk}, data={"a": 1, "b": draft_number}),
        Row("desk-compare", desk(400), {"case_pk": w.case.pk}, data={"a": "x", "b": "y"}),
        Row("desk-history", desk(200), {"case_pk": w.case.pk}),
        Row("desk-organizations", desk(200)),
        Row("desk-organization-edit", desk(200), {"pk": w.organization.pk}),
        # Merging organizations: admins only (organization.merge).
        Row("desk-organization-merge", {**desk(403), "admin_user": 200}),
        Row("desk-organization-merge", {**desk(403), "admin_user": 400}, data={"source": "x"}),
        Row("desk-version", desk(200), {"pk": w.draft.pk}),
        Row("desk-version", desk(404), {"pk": 999_999}),
        Row("desk-version-edit", desk(200), {"pk": w.draft.pk}),
        # checklist: the draft as readers will see it, for the newsroom only
        Row("desk-version-preview", desk(200), {"pk": w.draft.pk}),
        Row("desk-version-preview", desk(200), {"pk": w.in_review.pk}),
        Row("desk-version-preview", desk(404), {"pk": 999_999}),
        Row("desk-version-rebase", desk(405), {"pk": w.draft.pk}),
        # ergo: the edit pages' last-save marker; a timeline event's edit form
        Row("desk-version-saved", desk(200), {"pk": w.draft.pk}),
        Row("desk-version-saved", desk(404), {"pk": 999_999}),
        Row("desk-timeline-edit", desk(200), {"pk": w.case.pk, "n": 0}),
        Row("desk-timeline-edit", desk(404), {"pk": w.case.pk, "n": 999}),
        Row("desk-version-revisions", desk(200), {"pk": w.draft.pk}),
        Row("desk-version-revisions", desk(404), {"pk": 999_999}),
        # Independent double scoring: a version's page and the reconciliation queue (evaluations.double_desk_views).
        Row("desk-double-scoring", desk(200), {"pk": w.draft.pk}),
        Row("desk-double-scoring", desk(404), {"pk": 999_999}),
        Row("desk-reconciliation", desk(200)),
        Row("desk-revision-compare", desk(200), {"pk": w.draft.pk}, data={"a": 1, "b": 2}),
        Row("desk-revision-compare", desk(400), {"pk": w.draft.pk}, data={"a": 1, "b": 99}),
        Row("desk-revision-restore", desk(405), {"pk": w.draft.pk, "number": 1}),
        # Actions are POST only; a GET is refused after the permission check.
        Row("desk-timeline-add", desk(405), {"pk": w.case.pk}),
        Row("desk-evaluation-start", desk(405), {"case_pk": w.draft_case.pk}),
        Row("desk-version-submit", desk(405), {"pk": w.draft.pk}),
        Row("desk-version-send-back", desk(403, review=405), {"pk": w.in_review.pk}),
        Row("desk-version-approve", desk(403, review=405), {"pk": w.in_review.pk}),
        Row("desk-version-reschedule", desk(403, review=405), {"pk": w.scheduled.pk}),
        Row("desk-version-unschedule", desk(403, review=405), {"pk": w.scheduled.pk}),
        # The review loop: POST only.
        Row("desk-version-withdraw", desk(405), {"pk": w.in_review.pk}),
        Row("desk-version-discard", desk(403, review=405), {"pk": w.draft.pk}),
        Row("desk-version-assign", desk(405), {"pk": w.draft.pk}),
        Row("desk-review-comment-add", desk(405), {"pk": w.draft.pk}),
        Row("desk-review-comment-reply", desk(405), {"pk": 999_999}),
        Row("desk-review-comment-resolve", desk(405), {"pk": 999_999}),
        Row("desk-annotation-add", desk(405), {"pk": w.draft.pk}),
        Row("desk-annotation-delete", desk(405), {"pk": _note_pk(w)}),
        Row("desk-worksheet", desk(200)),
        Row("desk-worksheet-draft", desk(405)),
        # Notifications: each member of the newsroom sees only their own.
        Row("desk-notifications", desk(200)),
        Row("desk-notifications", desk(200), data={"page": "x"}),
        Row("desk-notification-read", desk(405), {"pk": _notification_pk(w)}),
        Row("desk-notifications-read-all", desk(405)),
    ]


def desk_action_rows(w: World) -> list[Row]:
    return [
        # --- The desk: actions (in this order; each role starts again from the same state) ------
        Row("desk-case-create", desk(400), method="post"),
        Row("desk-case-edit", desk(400), {"pk": w.case.pk}, method="post"),
        Row(
            "desk-source-excerpt",
            desk(400),
            {"pk": w.case.pk, "source_pk": _source_pk(w)},
            method="post",
            data={"excerpt": "x" * 20_001},
        ),
        Row(
            "desk-timeline-add",
            desk(302),
            {"pk": w.case.pk},
            method="post",
            data={"kind": "expanded", "occurred_on": "2026-06-01", "precision": "month", "note": "doubled"},
        ),
        Row("desk-organizations", desk(302), method="post", data={"name": "Matrix Labs", "kind": "model_lab"}),
        Row("desk-organization-merge", {**desk(403), "admin_user": 400}, method="post", data={"source": ""}),
        Row(
            "desk-organization-edit",
            desk(400),
            {"pk": w.organization.pk},
            method="post",
            data={"name": "", "kind": "model_lab"},
        ),
        Row("desk-evaluation-start", desk(302), {"case_pk": w.draft_case.pk}, method="post"),
        Row("desk-version-edit", desk(400), {"pk": w.draft.pk}, method="post", data={"narrative": "x"}),
        Row("desk-annotation-add", desk(400), {"pk": w.draft.pk}, method="post", data={"quote": ""}),
        Row("desk-worksheet", desk(400), method="post", data={"text": ""}),
        Row("desk-worksheet-draft", desk(400), method="post", data={"text": "x"}),
        Row("desk-annotation-delete", desk(302), {"pk": _note_pk(w)}, method="post"),
        Row(
            "desk-revision-restore",
            desk(302),
            {"pk": w.draft.pk, "number": 1},
            method="post",
            data={"lock_version": w.draft.lock_version},
        ),
        # checklist: refused with a message (the draft is under the active rubric version already)
        Row(
            "desk-version-rebase",
            desk(302),
            {"pk": w.draft.pk},
            method="post",
            data={"lock_version": w.draft.lock_version},
        ),
        # The review loop on the editor's draft: a private comment, a bad assignment, a withdrawal
        # refused (it is not in review; only its author is told so, the others may not withdraw it).
        Row("desk-review-comment-add", desk(302), {"pk": w.draft.pk}, method="post", data={"body": "Matrix"}),
        Row("desk-review-comment-add", desk(400), {"pk": w.draft.pk}, method="post", data={"body": ""}),
        Row("desk-review-comment-reply", desk(404), {"pk": 999_999}, method="post", data={"body": "x"}),
        Row("desk-review-comment-resolve", desk(404), {"pk": 999_999}, method="post"),
        Row("desk-version-assign", desk(400), {"pk": w.draft.pk}, method="post", data={"reviewer": ""}),
        Row("desk-version-withdraw", {**desk(403), "editor": 302}, {"pk": w.draft.pk}, method="post"),
        Row("desk-version-discard", desk(403, review=302), {"pk": w.scheduled.pk}, method="post"),
        Row("desk-double-scoring", desk(400), {"pk": w.draft.pk}, method="post", data={"action": "nonsense"}),
        Row("desk-double-scoring", desk(400), {"pk": w.draft.pk}, method="post", data={"action": "request"}),
        Row("desk-version-submit", desk(302), {"pk": w.draft.pk}, method="post"),
        Row("desk-version-send-back", desk(403, review=400), {"pk": w.in_review.pk}, method="post"),
        Row("desk-version-approve", desk(403, review=302), {"pk": w.in_review.pk}, method="post"),
        Row("desk-version-reschedule", desk(403, review=400), {"pk": w.scheduled.pk}, method="post"),
        Row(
            "desk-version-reschedule",
            desk(403, review=302),
            {"pk": w.scheduled.pk},
            method="post",
            data={"publish_at": _later()},
        ),
        Row("desk-version-unschedule", desk(403, review=302), {"pk": w.scheduled.pk}, method="post"),
        # The reviewer's notification of the submission: nobody else's to mark read (404, as if absent).
        Row("desk-notification-read", {**desk(404), "reviewer": 302}, {"pk": _notification_pk(w)}, method="post"),
        Row("desk-notifications-read-all", desk(302), method="post"),
        Row("logout", everyone(302), method="post"),  # last: it signs the client out
    ]


def _later() -> str:
    return (timezone.now() + timedelta(days=5)).isoformat()


def _source_pk(w: World) -> int:
    return w.case.sources.order_by("pk").values_list("pk", flat=True)[0]


def _notification_pk(w: World) -> int:
    return Notification.objects.get(version=w.in_review, recipient__username="reviewer", kind="submit").pk


def _note_pk(w: World) -> int:
    return w.draft.annotations.order_by("pk").values_list("pk", flat=True)[0]


def api(status: int, *, reader: int = 403, review: int | None = None, admin: int | None = None) -> dict[str, int]:
    """An API write: anonymous 401 (with WWW-Authenticate), readers ``reader`` (404 where it is a draft)."""
    answers = {"anonymous": 401, "reader": reader}
    for role in DESK:
        answers[role] = review if review is not None and role in REVIEW else status
    if admin is not None:
        answers["admin_user"] = admin
    return answers


def _double_scored(w: World) -> EvaluationVersion:
    """The demo's published version scored independently by two editors."""
    return EvaluationVersion.objects.get(case__slug="microsoft-openai", state="published")


def drafts(status: int = 200) -> dict[str, int]:
    """A read of something unpublished: the newsroom sees it, everyone else is told it does not exist."""
    return {"anonymous": 404, "reader": 404, **dict.fromkeys(DESK, status)}


def api_rows(w: World) -> list[Row]:
    """Every /api/v1/ endpoint (names ``api:...``): reads, then writes in the order they run."""
    slug, draft_slug, org = w.case.slug, w.draft_case.slug, w.organization.slug
    rubric = w.rubric_version.rubric.slug
    source = w.case.sources.order_by("pk").first()
    # The demo's Colossus analysis cites all its sources (its evidence): a source no analysis cites, to delete.
    uncited = Source.objects.filter(case__status="published", scores__isnull=True).order_by("pk").first()
    source_body = {
        "publisher": "Wire",
        "title": "A report",
        "url": "https://example.com/r",
        "published_on": "2026-03-02",
    }
    case_body = {
        "title": "A deal made through the API",
        "summary": "Who gains what.",
        "announced_on": "2026-03-01",
        "parties": [{"organization": "xai", "role": "provider"}, {"organization": "anthropic", "role": "customer"}],
    }
    js = "application/json"
    return [
        # Reads: public, and drafts only for the newsroom.
        Row("api:schema", everyone(200)),
        Row("api:docs", everyone(200)),
        Row("api:case-list", everyone(200)),
        Row("api:case-list", everyone(404), data={"cursor": "junk"}),
        Row("api:case-detail", everyone(200), {"slug": slug}),
        Row("api:case-detail", drafts(), {"slug": draft_slug}),
        Row("api:case-versions", everyone(200), {"slug": slug}),
        Row("api:case-version", everyone(200), {"slug": slug, "number": 1}),
        Row("api:case-version", everyone(404), {"slug": slug, "number": w.draft.number}),
        Row("api:case-versions-compare", everyone(404), {"slug": slug}, data={"a": 1, "b": w.draft.number}),
        Row("api:case-rubric-versions", everyone(200), {"slug": slug}),
        Row("api:case-rubric-versions", everyone(404), {"slug": slug}, data={"b": 9}),
        Row("api:case-rubric-versions", everyone(404), {"slug": draft_slug}),
        Row("api:version", drafts(), {"pk": w.draft.pk}),
        Row("api:version", drafts(), {"pk": w.in_review.pk}),
        # A version's revisions are work in progress: the newsroom's only, even of a published version.
        # The review loop's comments and reviewers: the newsroom only.
        Row("api:version-comments", drafts(), {"pk": w.draft.pk}),
        Row("api:version-reviewers", drafts(), {"pk": w.draft.pk}),
        Row("api:version-revisions", drafts(), {"pk": w.draft.pk}),
        Row("api:version-revisions", drafts(), {"pk": w.case.evaluation_versions.get(number=1).pk}),
        Row("api:version-revisions", everyone(404), {"pk": 999_999}),
        Row("api:version-revision", drafts(), {"pk": w.draft.pk, "number": 2}),
        # Double scoring: a draft not double scored, then the demo's published double-scored case.
        Row("api:version-double-scoring", everyone(404), {"pk": w.draft.pk}),
        Row("api:version-double-scoring", everyone(200), {"pk": _double_scored(w).pk}),
        Row("api:case-version-double-scoring", everyone(200), {"slug": "microsoft-openai", "number": 1}),
        Row("api:case-version-double-scoring", everyone(404), {"slug": slug, "number": w.draft.number}),
        Row("api:rubric-version-agreement", everyone(200), {"slug": rubric, "number": w.rubric_version.number}),
        Row("api:version-revision", everyone(404), {"pk": w.draft.pk, "number": 99}),
        Row("api:organization-list", everyone(200)),
        Row("api:organization-detail", everyone(200), {"slug": org}),
        Row("api:graph", everyone(200)),
        Row("api:graph-graphml", everyone(200)),
        Row("api:organization-graph", everyone(200), {"slug": org}),
        Row("api:organization-graph-graphml", everyone(200), {"slug": org}),
        Row("api:organization-web", everyone(200), {"slug": org}),
        Row("api:organization-web", everyone(404), {"slug": "no-such-org"}),
        Row("api:deals-compare", everyone(400), data={"cases": f"{slug},{w.draft_case.slug}"}),
        Row("api:rubric-list", everyone(200)),
        Row("api:changelog", everyone(200)),
        Row("api:changelog", everyone(200), data={"organization": "anthropic", "since": "2026-01-01"}),
        Row("api:changelog", everyone(400), data={"since": "soon"}),
        Row("api:changelog", everyone(400), data={"case": "not a slug\x00"}),
        Row("api:rubric-versions", everyone(200), {"slug": rubric}),
        Row("api:rubric-version", everyone(200), {"slug": rubric, "number": w.rubric_version.number}),
        Row("api:export-csv", everyone(200)),
        Row("api:export-json", everyone(200)),
        # Writes.
        Row("api:token", everyone(400), method="post", data={"username": "nobody", "password": "x"}, content_type=js),
        Row("api:case-list", api(201), method="post", data=case_body, content_type=js),
        # A published case's facts (its own fields, parties, sources) change only through a draft version:
        # the newsroom's writes to them are refused with 409, cited source or not. A case never published
        # is still edited in place.
        Row("api:case-detail", api(409), {"slug": slug}, "patch", {"summary": "Changed."}, js),
        Row("api:case-detail", api(200, reader=404), {"slug": draft_slug}, "patch", {"summary": "Changed."}, js),
        Row("api:case-parties", api(409), {"slug": slug}, "post", {"organization": "openai", "role": "partner"}, js),
        Row(
            "api:case-parties",
            api(201, reader=404),
            {"slug": draft_slug},
            "post",
            {"organization": "openai", "role": "partner"},
            js,
        ),
        Row("api:case-party", api(204, reader=404), {"slug": draft_slug, "organization": "secretco"}, "delete"),
        Row("api:case-sources", api(201, reader=404), {"slug": draft_slug}, "post", source_body, js),
        Row("api:case-source", api(409), {"slug": slug, "pk": source.pk}, "put", source_body, js),
        Row(
            "api:case-source",
            api(200, reader=404),
            {"slug": draft_slug, "pk": w.draft_source.pk},
            "put",
            source_body,
            js,
        ),
        Row("api:case-source", api(409), {"slug": slug, "pk": source.pk}, "delete"),  # cited, and published
        Row("api:case-source", api(409), {"slug": uncited.case.slug, "pk": uncited.pk}, "delete"),
        Row("api:case-source", api(204, reader=404), {"slug": draft_slug, "pk": w.draft_source.pk}, "delete"),
        Row(
            "api:organization-list",
            api(201),
            method="post",
            data={"name": "API Org", "kind": "investor"},
            content_type=js,
        ),
        Row("api:organization-detail", api(200), {"slug": org}, "patch", {"description": "Changed."}, js),
        Row("api:case-evaluations", api(201, reader=404), {"slug": draft_slug}, "post", {}, js),
        # checklist: refused (409) for a draft already under the active rubric version
        Row(
            "api:version-rebase",
            api(409, reader=404),
            {"pk": w.api_draft.pk},
            "post",
            {},
            js,
            {"If-Match": w.api_draft.etag},
        ),
        Row(
            "api:version",
            api(200, reader=404),
            {"pk": w.api_draft.pk},
            "patch",
            # Added to, not replaced: the margin notes keep their passages, so the submit below passes the checklist.
            {"narrative": w.api_draft.narrative + "\n\nRewritten through the API."},
            js,
            {"If-Match": w.api_draft.etag},
        ),
        # The review loop (on the desk's draft by the editor; nothing here changes a version's state).
        Row("api:version-comments", api(201, reader=404), {"pk": w.draft.pk}, "post", {"body": "Matrix"}, js),
        Row(
            "api:version-comment-replies",
            api(404, reader=404),
            {"pk": w.draft.pk, "comment_pk": 999_999},
            "post",
            {"body": "x"},
            js,
        ),
        Row("api:version-comment-resolve", api(404, reader=404), {"pk": w.draft.pk, "comment_pk": 999_999}, "post"),
        Row("api:version-reviewers", api(400, reader=404), {"pk": w.draft.pk}, "post", {"reviewer": "nobody"}, js),
        Row("api:version-withdraw", {**api(403, reader=404), "editor": 409}, {"pk": w.draft.pk}, "post", {}, js),
        Row("api:version-discard", api(403, reader=404, review=409), {"pk": w.scheduled.pk}, "post", {}, js),
        Row("api:version-submit", api(200, reader=404), {"pk": w.api_draft.pk}, "post", {}, js),
        # Valid bodies: the service decides who may (it validates the input first, so a malformed body
        # from someone without the permission is a 400 rather than a 403).
        Row(
            "api:version-send-back",
            api(403, reader=404, review=200),
            {"pk": w.api_to_send_back.pk},
            "post",
            {"comment": "Cite the lease."},
            js,
        ),
        Row("api:version-publish", api(403, reader=404, review=200), {"pk": w.api_in_review.pk}, "post", {}, js),
        Row(
            "api:version-reschedule",
            api(403, reader=404, review=200),
            {"pk": w.scheduled.pk},
            "post",
            {"publish_at": _later()},
            js,
        ),
        Row("api:version-unschedule", api(403, reader=404, review=200), {"pk": w.scheduled.pk}, "post", {}, js),
        Row("api:rubric-versions", api(403, admin=400), {"slug": rubric}, "post", {"version": {}}, js),
        Row(
            "api:rubric-version",
            api(403, admin=409),
            {"slug": rubric, "number": 1},
            "patch",
            {"version": {"changelog": "x"}},
            js,
        ),
        Row("api:rubric-version-activate", api(403, admin=409), {"slug": rubric, "number": 1}, "post", {}, js),
        # A read for admins: anonymous is refused like a reader (no credentials to ask for on a GET).
        Row(
            "api:rubric-version-activation-impact",
            {**api(403, admin=409), "anonymous": 403},
            {"slug": rubric, "number": 1},
        ),
        # Double scoring writes, each refused without changing anything (any order holds).
        Row(
            "api:version-double-scoring",
            api(403, reader=404, review=400),
            {"pk": w.api_draft.pk},
            "post",
            {"first_scorer": "editor", "second_scorer": "nobody"},
            js,
        ),
        Row(
            "api:version-double-scoring-submit",
            api(400, reader=404),
            {"pk": w.api_draft.pk},
            "post",
            {"scores": "x"},
            js,
        ),
        Row(
            "api:version-double-scoring-settle",
            api(403, review=409),
            {"pk": _double_scored(w).pk, "difference": _double_scored(w).reconciliations.first().pk},
            "post",
            {"value": 2, "note": "Settled again."},
            js,
        ),
    ]


ADMIN_ROWS: list[tuple[str, dict[str, int]]] = [
    # Not the whole admin: that it is closed to all but staff, and open to the admin.
    ("/admin/", {**dict.fromkeys(ROLES, 302), "admin_user": 200}),
    ("/admin/login/", {**dict.fromkeys(ROLES, 200), "admin_user": 302}),
    ("/admin/cases/case/", {**dict.fromkeys(ROLES, 302), "admin_user": 200}),
    ("/admin/evaluations/evaluationversion/", {**dict.fromkeys(ROLES, 302), "admin_user": 200}),
    ("/admin/auth/user/", {**dict.fromkeys(ROLES, 302), "admin_user": 200}),
]


def named_urls() -> set[str]:
    """Every named URL pattern, walking includes (``namespace:name``); the admin's own are left out."""
    names: set[str] = set()

    def walk(patterns, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


@pytest.fixture
def world(demo, editor, editor2, reviewer, admin_user, reader) -> World:
    case = Case.objects.get(slug=COLOSSUS)
    draft = unpublished_version_make("draft", editor, reviewer)
    others = list(Case.objects.filter(status="published").exclude(pk=case.pk).order_by("slug")[:5])
    in_review = unpublished_version_make("in_review", editor, reviewer, slug=others[0].slug)
    draft_case = draft_case_make()
    draft_source = Source.objects.create(
        case=draft_case, publisher="Wire", title="A first report", url="https://example.com/first"
    )
    return World(
        api_draft=unpublished_version_make("draft", editor, reviewer, slug=others[1].slug),
        api_in_review=unpublished_version_make("in_review", editor, reviewer, slug=others[2].slug),
        api_to_send_back=unpublished_version_make("in_review", editor, reviewer, slug=others[3].slug),
        scheduled=unpublished_version_make("scheduled", editor, reviewer, slug=others[4].slug),
        case=case,
        draft=draft,
        in_review=in_review,
        draft_case=draft_case,
        draft_source=draft_source,
        organization=Organization.objects.get(slug="anthropic"),
        rubric_version=RubricVersion.objects.get(status="active"),
    )


def _client_for(request: pytest.FixtureRequest, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _state(w: World) -> tuple:
    """What the actions can change: compared before and after a role that may change nothing."""
    return (
        tuple(EvaluationVersion.objects.order_by("pk").values_list("pk", "state", "lock_version")),
        Organization.objects.count(),
        w.case.timeline.count(),
        w.draft.annotations.count(),
    )


def _run(client: Client, row: Row):
    if row.content_type:
        return getattr(client, row.method)(row.url(), row.data, content_type=row.content_type, headers=row.headers)
    return getattr(client, row.method)(row.url(), row.data, headers=row.headers)


def test_every_url_is_in_the_table_and_answers_each_role_as_it_says(request, world):
    rows = site_rows(world) + api_rows(world) + desk_action_rows(world)
    names = named_urls()
    assert {"home", "desk-dashboard", "sitemap", "login"} <= names  # the walk found the includes
    missing = sorted(names - {row.name for row in rows})
    assert not missing, f"URLs with no row in the access matrix: {missing}"
    assert {row.name for row in rows} <= names  # no row for a URL that is gone
    wrong: dict[tuple[str, str, str, str], tuple[int, int]] = {}
    for role in ROLES:
        before = _state(world)
        cache.clear()  # the sign-in throttle counts failures per address across roles
        with transaction.atomic():
            client = _client_for(request, role)
            for row in rows:
                response = _run(client, row)
                want = row.expected[role]
                if response.status_code != want:
                    wrong[(role, row.method, row.url(), str(row.data))] = (response.status_code, want)
                elif want == 302 and role == "anonymous" and row.name.startswith("desk-"):
                    assert response["Location"].startswith(f"{LOGIN}?next=/desk/"), row
                elif want == 401:
                    assert response["WWW-Authenticate"].startswith("Token"), row
            if role in ("anonymous", "reader"):
                assert _state(world) == before, f"{role} changed something"
            transaction.set_rollback(True)
    assert not wrong, "\n".join(f"{key}: got {got}, want {want}" for key, (got, want) in wrong.items())


def test_the_admin_is_for_staff_only(request, editor, editor2, reviewer, admin_user, reader):
    wrong = {}
    for role in ROLES:
        client = _client_for(request, role)
        for url, expected in ADMIN_ROWS:
            response = client.get(url)
            if response.status_code != expected[role]:
                wrong[(role, url)] = (response.status_code, expected[role])
            elif response.status_code == 302 and url != "/admin/login/":
                assert response["Location"].startswith("/admin/login/"), (role, url)
    assert not wrong, wrong


def _csrf_token(client: Client, url: str) -> str:
    assert client.get(url).status_code == 200
    return client.cookies["csrftoken"].value


def test_csrf_is_enforced_on_desk_actions_and_sign_in(editor):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "editor", "password": PASSWORD}
    assert client.post(LOGIN, data).status_code == 403
    assert "_auth_user_id" not in client.session
    data["csrfmiddlewaretoken"] = _csrf_token(client, LOGIN)
    assert client.post(LOGIN, data).status_code == 302

    organizations = Organization.objects.count()
    new = {"name": "Forged Labs", "kind": "model_lab"}
    assert client.post("/desk/organizations/", new).status_code == 403
    assert Organization.objects.count() == organizations
    # The API with the session cookie is held to the same rule (a token in a header needs none).
    assert client.post("/api/v1/organizations/", new, content_type="application/json").status_code == 403
    assert Organization.objects.count() == organizations
    token = _csrf_token(client, "/desk/organizations/")
    assert client.post("/desk/organizations/", {**new, "csrfmiddlewaretoken": token}).status_code == 302
    assert Organization.objects.count() == organizations + 1
    other = {"name": "Forged Labs Two", "kind": "model_lab"}
    headers = {"X-CSRFToken": token}
    assert (
        client.post("/api/v1/organizations/", other, content_type="application/json", headers=headers).status_code
        == 201
    )
