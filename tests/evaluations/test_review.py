"""The review loop (evaluations.services.review): withdraw, discard, reviewers, private comments
that block approval until resolved; and the desk pages that show them."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from core.errors import TransitionNotAllowed
from evaluations import policy, selectors
from evaluations.models import AuditEntry, EvaluationVersion, ReviewAssignment, ReviewComment
from evaluations.services import review, workflow

pytestmark = pytest.mark.django_db
State = EvaluationVersion.State


def _quote(version: EvaluationVersion) -> str:
    """Four plain words of the narrative (nothing the page would escape)."""
    return re.search(r"[A-Za-z]+(?: [A-Za-z]+){3}", version.narrative).group(0)


def _score(version: EvaluationVersion):
    return version.scores.select_related("criterion").filter(party__isnull=False).first()


# --- Services ---------------------------------------------------------------------------------


def test_a_comment_on_a_passage_is_anchored_like_a_margin_note(in_review_version, reviewer):
    quote = _quote(in_review_version)
    comment = review.review_comment_create(version=in_review_version, by=reviewer, body="Source?", quote=quote)
    assert (comment.quote, comment.author, comment.parent, comment.resolved_at) == (quote, reviewer, None, None)
    assert in_review_version.narrative.find(comment.prefix + quote + comment.suffix) >= 0
    entry = in_review_version.audit_entries.order_by("-pk").first()
    assert entry.action == AuditEntry.Action.COMMENT and "Source?" not in entry.comment


def test_a_comment_on_a_score_names_its_criterion_and_party(in_review_version, reviewer):
    score = _score(in_review_version)
    comment = review.review_comment_create(
        version=in_review_version,
        by=reviewer,
        body="Too high",
        criterion_key=score.criterion.key,
        party_id=score.party_id,
    )
    assert (comment.criterion_id, comment.party_id, comment.quote) == (score.criterion_id, score.party_id, "")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"body": "  "}, "body"),
        ({"body": "x", "quote": "words that are nowhere in it"}, "quote"),
        ({"body": "x", "criterion_key": "no-such-criterion"}, "criterion"),
        ({"body": "x", "party_id": 1}, "party"),
        ({"body": "x" * 10_001}, "body"),
    ],
)
def test_bad_comments_are_refused_with_the_field(in_review_version, reviewer, kwargs, field):
    with pytest.raises(ValidationError) as caught:
        review.review_comment_create(version=in_review_version, by=reviewer, **kwargs)
    assert field in caught.value.message_dict
    assert not ReviewComment.objects.exists()


def test_a_per_party_score_needs_its_party_and_quote_and_score_exclude_each_other(in_review_version, reviewer):
    score = _score(in_review_version)
    with pytest.raises(ValidationError) as caught:
        review.review_comment_create(
            version=in_review_version, by=reviewer, body="x", criterion_key=score.criterion.key
        )
    assert "party" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        review.review_comment_create(
            version=in_review_version,
            by=reviewer,
            body="x",
            quote=_quote(in_review_version),
            criterion_key=score.criterion.key,
            party_id=score.party_id,
        )
    assert "quote" in caught.value.message_dict


def test_unresolved_comments_block_approval_until_resolved(in_review_version, editor, reviewer, admin_user):
    thread = review.review_comment_create(version=in_review_version, by=reviewer, body="Check the dates")
    reply = review.review_comment_create(version=in_review_version, by=editor, body="Fixed", parent=thread)
    assert reply.parent == thread
    with pytest.raises(TransitionNotAllowed, match="1 review comment is not resolved"):
        workflow.evaluation_version_approve(version=in_review_version, by=reviewer)
    assert not policy.allowed(reviewer, "version.approve", in_review_version)
    with pytest.raises(ValidationError):  # a reply is not a thread
        review.review_comment_resolve(comment=reply, by=editor)
    review.review_comment_resolve(comment=thread, by=editor)
    with pytest.raises(TransitionNotAllowed, match="already resolved"):
        review.review_comment_resolve(comment=thread, by=editor)
    with pytest.raises(TransitionNotAllowed, match="resolved"):
        review.review_comment_create(version=in_review_version, by=editor, body="more", parent=thread)
    published = workflow.evaluation_version_approve(version=in_review_version, by=reviewer)
    assert published.state == State.PUBLISHED
    # A published version takes no more comments.
    with pytest.raises(TransitionNotAllowed):
        review.review_comment_create(version=published, by=reviewer, body="late")


def test_readers_may_not_comment(in_review_version, reader):
    with pytest.raises(PermissionDenied):
        review.review_comment_create(version=in_review_version, by=reader, body="hi")


def test_its_author_withdraws_a_submission_and_nobody_else(in_review_version, editor, editor2, reviewer):
    for other in (editor2, reviewer):
        with pytest.raises(PermissionDenied, match="Only its author"):
            review.evaluation_version_withdraw(version=in_review_version, by=other)
    version = review.evaluation_version_withdraw(version=in_review_version, by=editor, comment="one more source")
    assert version.state == State.DRAFT
    entry = version.audit_entries.order_by("-pk").first()
    assert (entry.action, entry.from_state, entry.to_state, entry.comment) == (
        "withdraw",
        "in_review",
        "draft",
        "one more source",
    )
    with pytest.raises(TransitionNotAllowed):
        review.evaluation_version_withdraw(version=version, by=editor)


def test_a_discarded_draft_frees_the_case(draft_version, editor, reviewer):
    case, number = draft_version.case, draft_version.number
    with pytest.raises(TransitionNotAllowed, match="already"):
        workflow.evaluation_version_start(case=case, by=editor)
    with pytest.raises(PermissionDenied):  # editors may not discard
        review.evaluation_version_discard(version=draft_version, by=editor)
    discarded = review.evaluation_version_discard(version=draft_version, by=reviewer, comment="abandoned")
    assert discarded.state == State.DISCARDED and not discarded.is_open and not discarded.is_public
    assert discarded.audit_entries.order_by("-pk").first().action == "discard"
    again = workflow.evaluation_version_start(case=case, by=editor)
    assert again.number == number + 1 and again.is_open
    review.evaluation_version_discard(version=again, by=reviewer)
    third = workflow.evaluation_version_start(case=case, by=editor)
    with pytest.raises(TransitionNotAllowed):  # only a draft is discarded
        review.evaluation_version_discard(
            version=workflow.evaluation_version_submit(version=third, by=editor), by=reviewer
        )


def test_reviewers_are_assigned_once_and_only_reviewers(in_review_version, editor, editor2, reviewer, admin_user):
    assignment = review.review_assign(version=in_review_version, by=editor, reviewer=reviewer)
    assert isinstance(assignment, ReviewAssignment) and assignment.assigned_by == editor
    for who, message in ((reviewer, "already assigned"), (editor2, "not a reviewer"), (editor, "not a reviewer")):
        with pytest.raises(ValidationError, match=message):
            review.review_assign(version=in_review_version, by=editor, reviewer=who)
    review.review_unassign(version=in_review_version, by=editor, reviewer=reviewer)
    assert not in_review_version.assignments.exists()
    with pytest.raises(ValidationError, match="not assigned"):
        review.review_unassign(version=in_review_version, by=editor, reviewer=reviewer)
    actions = list(in_review_version.audit_entries.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["assign", "unassign"]
    assert selectors.desk_dashboard(reviewer)["assigned_to_me"] == []
    review.review_assign(version=in_review_version, by=editor, reviewer=admin_user)
    assert selectors.desk_dashboard(admin_user)["assigned_to_me"] == [in_review_version]


def test_a_contributor_cannot_be_assigned(in_review_version, editor, reviewer):
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="more")
    version = EvaluationVersion.objects.get(pk=in_review_version.pk)
    workflow.evaluation_version_save(version=version, by=reviewer, expected_lock=version.lock_version, verdict="v")
    with pytest.raises(ValidationError, match="wrote part"):
        review.review_assign(version=version, by=editor, reviewer=reviewer)


def test_the_send_back_banner_shows_only_while_the_draft_is_sent_back(in_review_version, editor, reviewer):
    version = workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="Tighten it")
    entry = selectors.sent_back_by(selectors.desk_version(version.pk))
    assert (entry.actor, entry.comment) == (reviewer, "Tighten it")
    workflow.evaluation_version_submit(version=version, by=editor)
    assert selectors.sent_back_by(selectors.desk_version(version.pk)) is None
    review.evaluation_version_withdraw(version=version, by=editor)
    assert selectors.sent_back_by(selectors.desk_version(version.pk)) is None


# --- Desk pages -----------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_loop_on_the_desk(in_review_version, editor, reviewer, admin_user):
    version, rv, ed = in_review_version, _client(reviewer), _client(editor)
    url = f"/desk/versions/{version.pk}/"
    quote = _quote(version)
    response = rv.post(f"{url}comments/", {"body": "Which source says so?", "quote": quote})
    assert response.status_code == 302 and response["Location"].endswith("#review-h")
    page = rv.get(url).content.decode()
    assert "Which source says so?" in page and f"<mark>{quote}</mark>" in page
    assert "Not ready to approve:" in page and "1 review comment is not resolved" in page
    assert f'action="/desk/versions/{version.pk}/approve/"' not in page
    # Approving anyway is refused with the reason.
    response = rv.post(f"{url}approve/", {}, follow=True)
    assert "1 review comment is not resolved" in response.content.decode()
    assert EvaluationVersion.objects.get(pk=version.pk).state == State.IN_REVIEW
    assert rv.post(f"{url}send-back/", {"comment": "See my comment"}).status_code == 302

    # The author: a badge on the dashboard, the banner on the draft.
    dashboard = ed.get("/desk/").content.decode()
    assert '<span class="badge">sent back</span>' in dashboard and "1 open comment" in dashboard
    page = ed.get(url).content.decode()
    assert "Sent back by reviewer" in page and "See my comment" in page
    thread = ReviewComment.objects.get()
    assert ed.post(f"/desk/comments/{thread.pk}/reply/", {"body": "Added the filing"}).status_code == 302
    assert ed.post(f"/desk/comments/{thread.pk}/reply/", {"body": ""}).status_code == 400
    assert ed.post(f"/desk/comments/{thread.pk}/resolve/").status_code == 302
    assert ed.post(f"{url}submit/").status_code == 302
    page = rv.get(url).content.decode()
    assert "Added the filing" in page and "resolved by editor" in page and "Not ready to approve" not in page
    assert rv.post(f"{url}approve/", {}).status_code == 302
    assert EvaluationVersion.objects.get(pk=version.pk).state == State.PUBLISHED


def test_desk_comment_form_errors_are_400_with_the_message(in_review_version, reviewer):
    url = f"/desk/versions/{in_review_version.pk}/comments/"
    client = _client(reviewer)
    response = client.post(url, {"body": "x", "quote": "nowhere to be found"})
    assert response.status_code == 400 and "the quote does not appear in the narrative" in response.content.decode()
    assert client.post(url, {"body": ""}).status_code == 400
    assert client.post(url, {"body": "x", "score": "bogus:1"}).status_code == 400
    score = _score(in_review_version)
    response = client.post(url, {"body": "Too high", "score": f"{score.criterion.key}:{score.party_id}"})
    assert response.status_code == 302
    assert "On the score" in client.get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    assert client.post("/desk/comments/999999/resolve/").status_code == 404


def test_withdraw_discard_and_assign_on_the_desk(in_review_version, editor, editor2, reviewer, admin_user):
    url = f"/desk/versions/{in_review_version.pk}/"
    ed = _client(editor)
    assert "Withdraw from review" in ed.get(url).content.decode()
    assert _client(editor2).post(f"{url}withdraw/").status_code == 403
    assert ed.post(f"{url}reviewers/", {"reviewer": str(admin_user.pk)}).status_code == 302
    assert ed.post(f"{url}reviewers/", {"reviewer": str(admin_user.pk)}).status_code == 400  # already
    assert ed.post(f"{url}reviewers/", {"reviewer": str(editor2.pk)}).status_code == 400  # not a choice
    assert "Nothing assigned to you." not in _client(admin_user).get("/desk/").content.decode()
    assert ed.post(f"{url}withdraw/").status_code == 302
    assert EvaluationVersion.objects.get(pk=in_review_version.pk).state == State.DRAFT
    assert "Discard this draft" not in ed.get(url).content.decode()
    rv = _client(reviewer)
    assert "Discard this draft" in rv.get(url).content.decode()
    assert ed.post(f"{url}discard/").status_code == 403
    response = rv.post(f"{url}discard/")
    assert response.status_code == 302 and response["Location"] == f"/desk/cases/{in_review_version.case_id}/"
    assert EvaluationVersion.objects.get(pk=in_review_version.pk).state == State.DISCARDED
    assert ed.post(f"{url}reviewers/", {"reviewer": str(admin_user.pk), "unassign": "1"}).status_code == 302


# The version page as its author sees it in review: the version and its content as before, plus
# its review comments (people, criterion and party joined), its assignments and the reviewers one
# may assign. The dashboard: as before, plus "assigned to me" (the badges ride on "my drafts").
VERSION_PAGE_QUERIES = 20  # with the checklist's reads (rubric criteria, the parties) and the unread count
DASHBOARD_QUERIES = 14  # with the navigation's unread count


def test_the_version_page_runs_a_fixed_number_of_queries(
    in_review_version, editor, reviewer, admin_user, django_assert_num_queries
):
    client = _client(editor)
    url = f"/desk/versions/{in_review_version.pk}/"
    review.review_comment_create(version=in_review_version, by=reviewer, body="one", quote=_quote(in_review_version))
    client.get(url)  # warm the content-type cache
    with django_assert_num_queries(VERSION_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    for n in range(3):
        thread = review.review_comment_create(version=in_review_version, by=reviewer, body=f"c{n}")
        review.review_comment_create(version=in_review_version, by=editor, body="r", parent=thread)
    review.review_assign(version=in_review_version, by=editor, reviewer=admin_user)
    with django_assert_num_queries(VERSION_PAGE_QUERIES):
        page = client.get(url).content.decode()
    assert page.count('class="review-thread') == 4 and page.count('class="review-reply"') == 3


def test_the_dashboard_runs_a_fixed_number_of_queries(in_review_version, editor, reviewer, django_assert_num_queries):
    client = _client(editor)
    client.get("/desk/")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get("/desk/")
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="again")
    for n in range(2):
        review.review_comment_create(version=in_review_version, by=reviewer, body=f"c{n}")
    with django_assert_num_queries(DASHBOARD_QUERIES):
        page = client.get("/desk/").content.decode()
    assert '<span class="badge">sent back</span>' in page and "2 open comments" in page


def test_comment_text_is_escaped_on_the_desk(in_review_version, reviewer):
    review.review_comment_create(version=in_review_version, by=reviewer, body='<script>alert("x")</script> **b**')
    page = _client(reviewer).get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; **b**" in page


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_desk_refusals_of_the_review_loop_say_why(in_review_version, editor, reviewer):
    """A state that no longer allows withdraw or discard: a message, back on the version page, nothing
    changed; an empty reply: 400 with the reason in the message."""
    url = f"/desk/versions/{in_review_version.pk}/"
    response = _client(reviewer).post(f"{url}discard/", follow=True)  # in review, not a draft
    assert response.redirect_chain == [(url, 302)]
    assert _messages(response) == ["cannot discard a version that is in review"]
    assert EvaluationVersion.objects.get(pk=in_review_version.pk).state == State.IN_REVIEW
    ed = _client(editor)
    assert ed.post(f"{url}withdraw/", follow=True).status_code == 200
    response = ed.post(f"{url}withdraw/", follow=True)  # a draft now
    assert response.redirect_chain == [(url, 302)]
    assert _messages(response) == ["cannot withdraw a version that is draft"]
    assert (
        AuditEntry.objects.filter(evaluation_version=in_review_version, action=AuditEntry.Action.WITHDRAW).count() == 1
    )
    thread = review.review_comment_create(version=in_review_version, by=reviewer, body="Why?")
    response = ed.post(f"/desk/comments/{thread.pk}/reply/", {"body": ""})
    assert response.status_code == 400 and _messages(response) == ["Not replied: the reply is empty"]
