"""Notifications: who is told of each step of the review loop, the desk's list, the email sent once after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.utils import timezone

from evaluations import queue
from evaluations.models import Notification
from evaluations.services import notifications, publishing, review, workflow
from evaluations.tasks import notification_email_send_task
from tests.support.accounts import user_make

Kind = Notification.Kind
SITE = "https://desk.moatwatch.example"


def kinds_for(user) -> list[tuple[str, int]]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", "version_id"))


def with_emails(*users) -> None:
    for user in users:
        user.email = f"{user.username}@newsroom.example"
        user.save(update_fields=["email"])


# --- Who is told ---------------------------------------------------------------------


def test_submit_notifies_the_reviewers_who_did_not_write_it(draft_version, editor, editor2, reviewer, admin_user):
    # A second reviewer who saved part of the draft is a contributor: the four-eyes rule keeps them out.
    contributor = user_make("reviewer2", "Reviewers")
    workflow.evaluation_version_save(
        version=draft_version, by=contributor, expected_lock=draft_version.lock_version, verdict="Tightened."
    )
    # The approve permission held directly, not through a group, counts too.
    direct = user_make("direct")
    direct.user_permissions.add(Permission.objects.get(codename="publish_evaluationversion"))
    user_make("gone", "Reviewers", is_active=False)

    version = workflow.evaluation_version_submit(version=draft_version, by=editor, comment="Ready for a look.")

    told = Notification.objects.filter(version=version, kind=Kind.SUBMIT)
    assert set(told.values_list("recipient__username", flat=True)) == {"reviewer", "admin", "direct"}
    assert {n.text for n in told} == {"Ready for a look."} and {n.actor_id for n in told} == {editor.pk}
    assert not kinds_for(editor) and not kinds_for(editor2) and not kinds_for(contributor)


def test_send_back_and_publish_notify_the_author(in_review_version, editor, reviewer, admin_user):
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="Cite the lease.")
    sent_back = Notification.objects.get(recipient=editor, kind=Kind.SEND_BACK)
    assert (sent_back.version_id, sent_back.actor_id, sent_back.text) == (
        in_review_version.pk,
        reviewer.pk,
        "Cite the lease.",
    )
    assert not kinds_for(reviewer).count((Kind.SEND_BACK, in_review_version.pk))

    version = workflow.evaluation_version_submit(version=in_review_version, by=editor)
    workflow.evaluation_version_approve(version=version, by=reviewer)
    assert Notification.objects.filter(recipient=editor, kind=Kind.PUBLISH, actor=reviewer).count() == 1
    # Only the author: the approver is the actor, the other reviewer was told of the submissions only.
    assert set(Notification.objects.filter(recipient=admin_user).values_list("kind", flat=True)) == {Kind.SUBMIT}


def test_a_scheduled_publication_notifies_the_author_when_it_goes_live(in_review_version, editor, reviewer):
    workflow.evaluation_version_approve(
        version=in_review_version, by=reviewer, publish_at=timezone.now() + timedelta(hours=1)
    )
    assert not Notification.objects.filter(kind=Kind.PUBLISH).exists()
    assert publishing.evaluation_versions_publish_due(now=timezone.now() + timedelta(hours=2)) == 1
    (published,) = Notification.objects.filter(kind=Kind.PUBLISH)
    assert (published.recipient_id, published.actor_id) == (editor.pk, reviewer.pk)


def test_a_comment_goes_to_the_other_side(reviewer, admin_user, in_review_version, editor):
    to_author = notifications.notification_recipients(kind=Kind.COMMENT, version=in_review_version, actor=reviewer)
    to_reviewers = notifications.notification_recipients(kind=Kind.COMMENT, version=in_review_version, actor=editor)
    assert [u.username for u in to_author] == ["editor"]
    assert {u.username for u in to_reviewers} == {"reviewer", "admin"}


def test_review_comments_and_assignment_notify_through_the_review_services(draft_version, editor, reviewer, admin_user):
    """The review loop's own steps: an assignment tells the assignee; a submission then goes to the
    assignee only; a reviewer's comment tells the author, the author's reply the assigned reviewer."""
    review.review_assign(version=draft_version, by=editor, reviewer=reviewer)
    assert kinds_for(reviewer) == [(Kind.ASSIGN, draft_version.pk)]
    version = workflow.evaluation_version_submit(version=draft_version, by=editor)
    submitted = Notification.objects.filter(version=version, kind=Kind.SUBMIT)
    assert list(submitted.values_list("recipient__username", flat=True)) == ["reviewer"]  # not the admin

    thread = review.review_comment_create(version=version, by=reviewer, body="Which lease?")
    told = Notification.objects.get(kind=Kind.COMMENT, recipient=editor)
    assert (told.actor_id, told.text) == (reviewer.pk, "Which lease?")
    review.review_comment_create(version=version, by=editor, body="The 2026 one.", parent=thread)
    reply = Notification.objects.filter(kind=Kind.COMMENT).exclude(recipient=editor)
    assert [(n.recipient.username, n.text) for n in reply] == [("reviewer", "The 2026 one.")]
    assert not Notification.objects.filter(recipient=admin_user).exists()


def test_send_skips_the_actor_inactive_accounts_and_repeats(in_review_version, editor, reviewer, editor2):
    inactive = user_make("left", "Editors", is_active=False)
    sent = notifications.notifications_send(
        kind=Kind.COMMENT,
        version=in_review_version,
        actor=reviewer,
        recipients=[editor, editor, reviewer, inactive, editor2],
        text="  Which lease?  ",
    )
    assert [(n.recipient_id, n.text) for n in sent] == [(editor.pk, "Which lease?"), (editor2.pk, "Which lease?")]
    assert all(n.pk for n in sent)


# --- Mark read ------------------------------------------------------------------------


def test_mark_read_one_and_all(reviewer, admin_user, in_review_version):  # reviewers first: told of the submission
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="Again.")
    mine = Notification.objects.get(recipient=reviewer)
    assert notifications.notification_mark_read(notification=mine, by=reviewer) is True
    assert notifications.notification_mark_read(notification=mine, by=reviewer) is False
    with pytest.raises(PermissionDenied):
        notifications.notification_mark_read(notification=mine, by=admin_user)
    assert notifications.notifications_mark_all_read(by=admin_user) == 1
    assert not Notification.objects.filter(read_at__isnull=True, recipient__in=[reviewer, admin_user]).exists()


# --- Email: after commit, once, with a link on SITE_URL -----------------------------------


@override_settings(SITE_URL=SITE)
def test_the_email_is_queued_after_commit_and_links_to_the_desk(
    draft_version, editor, reviewer, admin_user, django_capture_on_commit_callbacks
):
    with_emails(reviewer, admin_user)
    with django_capture_on_commit_callbacks() as callbacks:
        workflow.evaluation_version_submit(version=draft_version, by=editor, comment="Ready.")
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 2 and mail.outbox == []
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@newsroom.example", "reviewer@newsroom.example"]
    message = mail.outbox[0]
    assert draft_version.case.title in message.subject and "submitted for review" in message.subject
    assert f"{SITE}/desk/versions/{draft_version.pk}/" in message.body
    assert f"{SITE}/desk/notifications/" in message.body
    assert "editor submitted for review version" in message.body and "Ready." in message.body
    assert "testserver" not in message.body
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2


def test_the_task_emails_a_notification_once(in_review_version, editor, reviewer):
    with_emails(editor)
    (notification,) = notifications.notifications_send(
        kind=Kind.SEND_BACK, version=in_review_version, actor=reviewer, recipients=[editor], text="No."
    )
    assert notification_email_send_task.delay(notification.pk).get() is True
    assert notification_email_send_task.delay(notification.pk).get() is False  # a redelivery: nothing more
    assert notification_email_send_task.delay(999_999).get() is False  # gone: quietly nothing
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["editor@newsroom.example"]


def test_no_email_to_someone_who_left_the_newsroom_or_has_no_address(in_review_version, editor, reviewer, reader):
    with_emails(editor, reader)
    (to_reader,) = notifications.notifications_send(
        kind=Kind.COMMENT, version=in_review_version, actor=reviewer, recipients=[reader]
    )
    (to_editor,) = notifications.notifications_send(
        kind=Kind.COMMENT, version=in_review_version, actor=reviewer, recipients=[editor]
    )
    editor.groups.clear()  # left the newsroom after being notified: the draft is no longer theirs to see
    editor = type(editor).objects.get(pk=editor.pk)  # no cached permissions
    (no_address,) = notifications.notifications_send(
        kind=Kind.COMMENT, version=in_review_version, actor=editor, recipients=[reviewer]
    )
    for notification in (to_reader, to_editor, no_address):
        assert notifications.notification_email_send(notification_id=notification.pk) is False
    assert mail.outbox == []


def test_an_email_lost_with_the_broker_is_queued_again_by_the_sweep(
    in_review_version, editor, reviewer, reader, monkeypatch, settings, django_capture_on_commit_callbacks
):
    with_emails(editor, reader)
    send = queue.send
    monkeypatch.setattr(queue, "send", lambda *args, **kwargs: False)  # the broker is down at the commit
    with django_capture_on_commit_callbacks(execute=True):
        (lost,) = notifications.notifications_send(
            kind=Kind.SEND_BACK, version=in_review_version, actor=reviewer, recipients=[editor], text="No."
        )
        (never,) = notifications.notifications_send(
            kind=Kind.COMMENT, version=in_review_version, actor=reviewer, recipients=[reader]
        )
        (read,) = notifications.notifications_send(
            kind=Kind.COMMENT, version=in_review_version, actor=editor, recipients=[reviewer]
        )
    notifications.notification_mark_read(notification=read, by=reviewer)
    assert mail.outbox == [] and Notification.objects.filter(email_owed=True).count() == 3
    later = timezone.now() + timedelta(seconds=settings.STALE_GRACE_SECONDS + 1)
    assert notifications.notification_emails_sweep(now=later) == 0  # still down: nothing claimed either

    monkeypatch.setattr(queue, "send", send)
    assert notifications.notification_emails_sweep() == 0  # within the grace: the first message may still come
    # The one read on the desk is not emailed late; the reader's is decided against (no longer owed).
    assert notifications.notification_emails_sweep(now=later) == 2
    assert [m.to for m in mail.outbox] == [["editor@newsroom.example"]]
    assert list(Notification.objects.filter(email_owed=True).values_list("pk", flat=True)) == [read.pk]
    queue.release_pending("notification", [lost.pk, never.pk])
    assert notifications.notification_emails_sweep(now=later) == 0  # sent once, owed no more
    assert len(mail.outbox) == 1


# --- The desk's list ----------------------------------------------------------------------


def desk_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_only_the_recipients_own_and_counts_unread(reviewer, admin_user, in_review_version, editor):
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="Cite the lease.")
    title = in_review_version.case.title

    page = desk_client(editor).get("/desk/notifications/").content.decode()
    assert "Cite the lease." in page and title in page and "sent back" in page
    assert f'href="/desk/versions/{in_review_version.pk}/"' in page
    assert '<span class="badge">1<span class="visually-hidden"> unread</span></span>' in page

    reviewer_page = desk_client(reviewer).get("/desk/notifications/").content.decode()
    assert "Cite the lease." not in reviewer_page  # the reviewer was told of the submission only
    assert "submitted for review" in reviewer_page

    other = desk_client(user_make("outsider", "Editors")).get("/desk/notifications/").content.decode()
    assert "No notifications." in other and title not in other and 'class="badge"' not in other


def test_mark_read_through_the_desk(reviewer, admin_user, in_review_version, editor):
    workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment="Cite the lease.")
    notification = Notification.objects.get(recipient=editor)
    client = desk_client(editor)
    # Someone else's notification: as if it did not exist.
    assert desk_client(admin_user).post(f"/desk/notifications/{notification.pk}/read/").status_code == 404
    assert client.get(f"/desk/notifications/{notification.pk}/read/").status_code == 405
    response = client.post(f"/desk/notifications/{notification.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/desk/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'class="badge"' not in client.get("/desk/notifications/").content.decode()

    assert Notification.objects.filter(recipient=reviewer, read_at__isnull=True).count() == 1
    response = desk_client(reviewer).post("/desk/notifications/read/", follow=True)
    assert "Marked 1 notification read." in response.content.decode()
    assert not Notification.objects.filter(recipient=reviewer, read_at__isnull=True).exists()
    assert Notification.objects.get(recipient=admin_user).read_at is None  # the other reviewer's stay unread


def test_the_list_is_for_the_newsroom(reader, client):
    assert client.get("/desk/notifications/").status_code == 302
    client.force_login(reader)
    assert client.get("/desk/notifications/").status_code == 403
    assert client.post("/desk/notifications/read/").status_code == 403


@pytest.mark.parametrize("rounds", [1, 4])
def test_the_list_runs_a_fixed_number_of_queries(published_case, editor, reviewer, rounds, django_assert_num_queries):
    version = workflow.evaluation_version_start(case=published_case, by=editor)
    for index in range(rounds):
        version = workflow.evaluation_version_submit(version=version, by=editor)
        version = workflow.evaluation_version_send_back(version=version, by=reviewer, comment=f"Round {index}.")
    client = desk_client(editor)
    # Session, user, the user's and the groups' permissions; the navigation's unread count; the page's count
    # and rows.
    with django_assert_num_queries(NOTIFICATIONS_PAGE_QUERIES):
        response = client.get("/desk/notifications/")
    assert response.content.decode().count('class="notification unread"') == rounds
    with django_assert_num_queries(NOTIFICATIONS_PAGE_QUERIES):
        assert client.get("/desk/notifications/", {"page": "999"}).status_code == 200


NOTIFICATIONS_PAGE_QUERIES = 7


def test_pages_of_thirty(in_review_version, editor, reviewer):
    for index in range(31):
        notifications.notifications_send(
            kind=Kind.COMMENT, version=in_review_version, actor=reviewer, recipients=[editor], text=f"Note {index}."
        )
    client = desk_client(editor)
    first = client.get("/desk/notifications/").content.decode()
    assert first.count('class="notification unread"') == 30 and "Page 1 of 2" in first
    assert client.get("/desk/notifications/", {"page": "2"}).content.decode().count('<li class="notification') == 1
    assert client.get("/desk/notifications/", {"page": "x"}).status_code == 200


def test_the_api_notifies_as_the_desk_does(reviewer, admin_user, draft_version, editor, client_for):
    """The API's submit, send-back and publish go through the same services: the same people are told."""
    js = "application/json"
    path = f"/api/v1/evaluation-versions/{draft_version.pk}"
    assert client_for(editor).post(f"{path}/submit/", {}, content_type=js).status_code == 200
    assert {n.recipient_id for n in Notification.objects.filter(kind=Kind.SUBMIT)} == {reviewer.pk, admin_user.pk}
    back = client_for(reviewer).post(f"{path}/send-back/", {"comment": "Cite it."}, content_type=js)
    assert back.status_code == 200
    assert client_for(editor).post(f"{path}/submit/", {}, content_type=js).status_code == 200
    assert client_for(reviewer).post(f"{path}/publish/", {}, content_type=js).status_code == 200
    assert sorted(Notification.objects.filter(recipient=editor).values_list("kind", flat=True)) == [
        Kind.PUBLISH,
        Kind.SEND_BACK,
    ]
