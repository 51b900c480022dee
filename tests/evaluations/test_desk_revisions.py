"""The desk: four eyes that hold (contributors on the approve screen, the sidestep refused), and
a version's revisions listed, compared and restored; changes since the last review first."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from evaluations.models import AuditEntry, Revision
from evaluations.services import workflow
from tests.support.content import checklist_cleared
from tests.support.payloads import version_payload

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _edit(client, version, **fields):
    version.refresh_from_db()
    response = client.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, **fields))
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def test_the_sidestep_is_refused_on_the_desk(draft_version, editor, reviewer, admin_user):
    """A reviewer edits the verdict and scores, the editor submits unchanged, the reviewer tries to approve."""
    as_reviewer, as_editor = _signed_in(reviewer), _signed_in(editor)
    _edit(as_reviewer, draft_version, narrative=draft_version.narrative, verdict="The reviewer's verdict", value=1)
    assert as_editor.post(f"/desk/versions/{draft_version.pk}/submit/").status_code == 302
    page = as_reviewer.get(f"/desk/versions/{draft_version.pk}/").content.decode()
    assert "Approve and publish" not in page
    assert "You contributed to this version" in page and "editor, reviewer" in page
    response = as_reviewer.post(f"/desk/versions/{draft_version.pk}/approve/", {"publish_at": ""})
    assert response.status_code == 403
    assert "saved part of this version" in response.content.decode()
    draft_version.refresh_from_db()
    assert draft_version.state == "in_review"
    # The approve screen tells another reviewer who contributed.
    page = _signed_in(admin_user).get(f"/desk/versions/{draft_version.pk}/").content.decode()
    assert "Approve and publish" in page
    assert "Contributors (they may not approve): <strong>editor</strong>, <strong>reviewer</strong>.</div>" in page
    # The history shows the reviewer's save.
    history = as_editor.get(f"/desk/cases/{draft_version.case_id}/history/").content.decode()
    assert re.search(r"revision 2: [a-z, ]*verdict, scores", history)


def test_revisions_are_listed_compared_and_restored(draft_version, editor, editor2):
    as_editor, as_editor2 = _signed_in(editor), _signed_in(editor2)
    original = draft_version.narrative
    _edit(as_editor2, draft_version, narrative="A shorter analysis.", verdict=draft_version.verdict, value=3)
    page = as_editor.get(f"/desk/versions/{draft_version.pk}/revisions/").content.decode()
    assert 'id="revision-1"' in page and 'id="revision-2"' in page
    assert "Contributors: <strong>editor</strong>, <strong>editor2</strong>." in page
    assert "Restore revision 1" in page and "Restore revision 2" not in page  # the current one is not offered
    compare = as_editor.get(f"/desk/versions/{draft_version.pk}/revisions/compare/", {"a": 1, "b": 2})
    html = compare.content.decode()
    assert compare.status_code == 200
    assert re.search(r"<ins>[^<]*shorter", html) and "<del>" in html
    assert 'class="score-changed">3<' in html
    assert as_editor.get(f"/desk/versions/{draft_version.pk}/revisions/compare/", {"a": 1, "b": 9}).status_code == 400
    assert as_editor.get(f"/desk/versions/{draft_version.pk}/revisions/compare/", {"a": "x"}).status_code == 400
    # Restore with the lock the page showed: a new save, by whoever restores.
    draft_version.refresh_from_db()
    lock = draft_version.lock_version
    stale = as_editor.post(f"/desk/versions/{draft_version.pk}/revisions/1/restore/", {"lock_version": lock - 1})
    assert stale.status_code == 302
    draft_version.refresh_from_db()
    assert draft_version.narrative == "A shorter analysis."  # a stale lock restores nothing
    response = as_editor.post(
        f"/desk/versions/{draft_version.pk}/revisions/1/restore/", {"lock_version": lock}, follow=True
    )
    assert "Revision 1 restored as a new save." in response.content.decode()
    draft_version.refresh_from_db()
    assert draft_version.narrative == original and draft_version.lock_version == lock + 1
    latest = Revision.objects.filter(version=draft_version).order_by("-number").first()
    assert (latest.number, latest.saved_by, latest.restored_from) == (3, editor, 1)
    # Bad input: no lock, an unknown revision.
    assert as_editor.post(f"/desk/versions/{draft_version.pk}/revisions/1/restore/", {}).status_code == 302
    response = as_editor.post(
        f"/desk/versions/{draft_version.pk}/revisions/99/restore/",
        {"lock_version": draft_version.lock_version},
        follow=True,
    )
    assert "has no revision 99" in response.content.decode()
    assert Revision.objects.filter(version=draft_version).count() == 3


def test_restore_needs_edit_rights_and_a_draft(in_review_version, editor, reader):
    assert _signed_in(reader).post(f"/desk/versions/{in_review_version.pk}/revisions/1/restore/").status_code == 403
    response = _signed_in(editor).post(
        f"/desk/versions/{in_review_version.pk}/revisions/1/restore/",
        {"lock_version": in_review_version.lock_version},
        follow=True,
    )
    assert "Not restored:" in response.content.decode()
    assert Revision.objects.filter(version=in_review_version).count() == 1


def test_after_a_resubmission_the_reviewer_sees_the_changes_since_their_review_first(
    in_review_version, editor, reviewer
):
    as_reviewer, as_editor = _signed_in(reviewer), _signed_in(editor)
    response = as_reviewer.post(
        f"/desk/versions/{in_review_version.pk}/send-back/", {"comment": "Score compute lower."}
    )
    assert response.status_code == 302
    _edit(as_editor, in_review_version, narrative=in_review_version.narrative + "\n\nA new paragraph.", value=1)
    assert as_editor.post(f"/desk/versions/{in_review_version.pk}/submit/").status_code == 302
    page = as_reviewer.get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    assert "Changes since your last review" in page
    section = page[page.index('class="since-review') : page.index('class="desk-workflow"')]
    assert "Score compute lower." in section and "new paragraph.</ins>" in section
    assert "revision 1" in section.lower() and "revision 2" in section.lower()
    assert 'class="score-changed">1<' in section
    # First: before the review forms and the analysis.
    assert page.index("Changes since your last review") < page.index("Approve and publish")
    # Another reviewer sees the same changes, named as someone else's review.
    other = Client()
    other.force_login(editor)  # an editor looking (no approve button, but the changes are shown)
    page = other.get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    assert "Changes since the last review (by reviewer)" in page
    # Nothing to show before any send-back.
    assert AuditEntry.objects.filter(evaluation_version=in_review_version, action="send_back").count() == 1


# Session, user, and the user's group permissions are included, and the navigation's unread notifications.
REVISIONS_PAGE_QUERIES = 7
REVISION_COMPARE_QUERIES = 8
# Session, user; the version (case, author, rubric joined), its scores, their sources, their citations,
# annotations, audit entries, revisions; the two revisions compared since the last review; whether the
# case has a published version; the version it is based on (its facts, for the facts' changes);
# the checklist's rubric criteria and the draft's parties (two).
# plus the review loop's: comments, assignments, reviewers one may assign; the navigation's
# unread notifications.
VERSION_PAGE_IN_REVIEW_QUERIES = 19


@pytest.mark.parametrize("saves", [1, 6])
def test_revision_pages_run_a_fixed_number_of_queries(draft_version, editor, editor2, saves, django_assert_num_queries):
    for index in range(saves):
        draft_version.refresh_from_db()
        workflow.evaluation_version_save(
            version=draft_version,
            by=editor if index % 2 else editor2,
            expected_lock=draft_version.lock_version,
            narrative=f"Text {index}.",
        )
    client = _signed_in(editor)
    with django_assert_num_queries(REVISIONS_PAGE_QUERIES):
        response = client.get(f"/desk/versions/{draft_version.pk}/revisions/")
    assert response.content.decode().count('id="revision-') == saves + 1
    with django_assert_num_queries(REVISION_COMPARE_QUERIES):
        response = client.get(f"/desk/versions/{draft_version.pk}/revisions/compare/", {"a": 1, "b": saves + 1})
    assert response.status_code == 200


@pytest.mark.parametrize("rounds", [1, 3])
def test_the_review_screen_runs_a_fixed_number_of_queries(
    in_review_version, editor, reviewer, admin_user, rounds, django_assert_num_queries
):
    for index in range(rounds):
        workflow.evaluation_version_send_back(version=in_review_version, by=reviewer, comment=f"Round {index}")
        in_review_version.refresh_from_db()
        workflow.evaluation_version_save(
            version=in_review_version,
            by=editor,
            expected_lock=in_review_version.lock_version,
            narrative=f"Round {index} text.",
        )
        checklist_cleared(in_review_version, editor)  # the new text left the margin notes without a passage
        workflow.evaluation_version_submit(version=in_review_version, by=editor)
    client = _signed_in(admin_user)
    with django_assert_num_queries(VERSION_PAGE_IN_REVIEW_QUERIES):
        response = client.get(f"/desk/versions/{in_review_version.pk}/")
    html = response.content.decode()
    assert "Changes since the last review (by reviewer)" in html and "Approve and publish" in html
