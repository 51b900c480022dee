"""The checklist, the move onto the active rubric and the preview, through the desk and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case
from evaluations import checklist as checklists
from evaluations.models import AuditEntry, EvaluationVersion, RubricVersion
from evaluations.services import annotations, rubric_versions, workflow
from tests.support.content import SECRET, checklist_cleared

V = EvaluationVersion.State


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _partial_draft(case: Case, editor) -> EvaluationVersion:
    """A draft of a never-published case with one score: the rest of the criteria are unscored."""
    version = workflow.evaluation_version_start(case=case, by=editor)
    party = case.parties.order_by("position", "id").first()
    return workflow.evaluation_version_save(
        version=version,
        by=editor,
        expected_lock=version.lock_version,
        narrative="Nimbus leases chips to Anthropic for two years.",
        scores=[workflow.ScoreInput("margin", party.pk, 1, "Thin margin.")],
        annotations=[annotations.AnnotationInput(quote="for two years", kind="context", body="A short term.")],
    )


def _new_active_rubric(admin_user) -> RubricVersion:
    active = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    return rubric_versions.rubric_version_activate(
        version=rubric_versions.rubric_version_clone(version=active, by=admin_user), by=admin_user
    )


# --- The checklist on the draft page, at submit, in the approve box ---------------------------------


def test_the_draft_page_lists_what_is_missing_and_submit_is_refused_with_the_list(desk_case, editor):
    version = _partial_draft(desk_case, editor)
    client = _client(editor)
    page = client.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Checklist before submitting" in page and "Submitting is blocked until these are fixed" in page
    assert "Criteria not scored" in page and "distribution (Anthropic)" in page
    assert f'href="/desk/versions/{version.pk}/preview/"' in page
    refused = client.post(f"/desk/versions/{version.pk}/submit/", {"comment": "ready"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Not submitted" in html and "Criteria not scored: " in html and "dependency (Nimbus Compute)" in html
    version.refresh_from_db()
    assert version.state == V.DRAFT
    # Fixed: nothing blocks any more (the warnings stay), and it goes through.
    checklist_cleared(version, editor)
    page = client.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Submitting is blocked" not in page and "Worth a look" in page and "Scores resting on nothing" in page
    assert client.post(f"/desk/versions/{version.pk}/submit/", {"comment": ""}).status_code == 302
    version.refresh_from_db()
    assert version.state == V.IN_REVIEW


def test_an_orphaned_note_blocks_submission_on_the_desk(desk_case, editor):
    version = checklist_cleared(_partial_draft(desk_case, editor), editor)
    version = workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, narrative="Entirely new words."
    )
    client = _client(editor)
    refused = client.post(f"/desk/versions/{version.pk}/submit/", {})
    assert refused.status_code == 400
    assert "Margin notes whose passage is gone: “for two years” (context)" in refused.content.decode()


def test_the_approve_box_shows_the_checklist_and_the_preview_link(in_review_version, reviewer, editor):
    page = _client(reviewer).get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    approve = page[page.index('id="approve-h"') : page.index("Approve and publish")]
    assert 'id="checklist-h-approve"' in approve and "Preview the reader page" in approve
    # The author's own page in review: no approve box, and no draft checklist either.
    own = _client(editor).get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    assert "checklist-h-approve" not in own and "Checklist before submitting" not in own


def test_an_item_that_blocks_approval_shows_in_the_approve_box_and_refuses_it(in_review_version, reviewer, monkeypatch):
    extra = checklists.Check("held", "Held", lambda reads: ["a reason"], blocks=frozenset({checklists.APPROVE}))
    monkeypatch.setattr(checklists, "CHECKS", (*checklists.CHECKS, extra))
    client = _client(reviewer)
    page = client.get(f"/desk/versions/{in_review_version.pk}/").content.decode()
    approve = page[page.index('id="approve-h"') : page.index("Approve and publish")]
    assert "Not ready:" in approve and "a reason" in approve
    refused = client.post(f"/desk/versions/{in_review_version.pk}/approve/", {})
    assert refused.status_code == 400 and "Held: a reason" in refused.content.decode()
    in_review_version.refresh_from_db()
    assert in_review_version.state == V.IN_REVIEW


# --- Moving onto the active rubric version ---------------------------------------------------------


def test_the_desk_offers_the_move_when_the_rubric_moved_on_and_makes_it(draft_version, editor, admin_user):
    client = _client(editor)
    before = client.get(f"/desk/versions/{draft_version.pk}/").content.decode()
    assert "Move onto the active rubric version" not in before
    v2 = _new_active_rubric(admin_user)
    page = client.get(f"/desk/versions/{draft_version.pk}/").content.decode()
    assert "The rubric moved on" in page and "Move onto the active rubric version" in page
    url = f"/desk/versions/{draft_version.pk}/rebase/"
    stale = client.post(url, {"lock_version": draft_version.lock_version - 1}, follow=True)
    assert "Not moved: someone saved this draft" in stale.content.decode()
    assert client.post(url, {"lock_version": "x"}, follow=True).status_code == 200
    moved = client.post(url, {"lock_version": draft_version.lock_version}, follow=True)
    assert f"Moved from rubric v{v2.number - 1} to v{v2.number}" in moved.content.decode()
    draft_version.refresh_from_db()
    assert draft_version.evaluation.rubric_version_id == v2.pk
    assert AuditEntry.objects.filter(evaluation_version=draft_version, action=AuditEntry.Action.REBASE).count() == 1
    again = client.post(url, {"lock_version": draft_version.lock_version}, follow=True)
    assert "Not moved: this draft is already under the active rubric version" in again.content.decode()


# --- The API -------------------------------------------------------------------------------------------


def test_the_api_refuses_an_incomplete_submission_with_the_list(desk_case, editor, client_for):
    version = _partial_draft(desk_case, editor)
    response = client_for(editor).post(f"/api/v1/evaluation-versions/{version.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    (unscored,) = response.json()["checklist"]
    assert unscored.startswith("Criteria not scored: ") and "distribution (Anthropic)" in unscored


def test_the_api_moves_a_draft_onto_the_active_rubric(draft_version, editor, reader, admin_user, client_for):
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/rebase/"
    api = client_for(editor)
    assert api.post(url, {}, format="json", HTTP_IF_MATCH=draft_version.etag).status_code == 409
    v2 = _new_active_rubric(admin_user)
    assert api.post(url, {}, format="json").status_code == 428
    assert api.post(url, {}, format="json", HTTP_IF_MATCH=f'"ev{draft_version.pk}-0"').status_code == 412
    assert client_for(reader).post(url, {}, format="json", HTTP_IF_MATCH=draft_version.etag).status_code == 404
    assert client_for(None).post(url, {}, format="json", HTTP_IF_MATCH=draft_version.etag).status_code == 401
    response = api.post(url, {}, format="json", HTTP_IF_MATCH=draft_version.etag)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["to_rubric_version"] == v2.number and body["dropped"] == [] and body["to_score"] == []
    assert body["carried"] and body["version"]["id"] == draft_version.pk
    assert response["ETag"] == f'"ev{draft_version.pk}-{draft_version.lock_version + 1}"'


# --- The preview -------------------------------------------------------------------------------------


def test_the_preview_is_the_reader_page_of_the_draft_marked_as_a_preview(draft_version, editor):
    case = draft_version.case
    facts = {**draft_version.facts, "title": f"Retitled {SECRET}"}
    draft = workflow.evaluation_version_save(
        version=draft_version,
        by=editor,
        expected_lock=draft_version.lock_version,
        verdict=f"A draft verdict {SECRET}",
        facts=facts,
    )
    response = _client(editor).get(f"/desk/versions/{draft.pk}/preview/")
    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow" and "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert f"Preview of draft version {draft.number}" in html and "it is not published" in html
    assert f"Retitled {SECRET}" in html and f"A draft verdict {SECRET}" in html  # the draft's facts and text
    assert 'id="anchor-' in html and "Editors' notes" in html  # margin notes beside their passages
    assert 'class="scores-section"' in html and "Risk summary" in html
    assert "Computed by the scoring engine from this draft's scores" in html
    assert "Change from the published figures" in html
    published = case.risk_summary
    assert f"<td>{published.risk_index}</td>" in html  # the published figure beside the draft's
    # Nothing of the reader page's published-only furniture: no citation block, no embed offer.
    assert "cite-block" not in html and "embed" not in html.lower().split("<main", 1)[1].split("</article>")[0]


def test_the_preview_of_a_first_draft_says_nothing_is_published(desk_case, editor):
    version = _partial_draft(desk_case, editor)
    html = _client(editor).get(f"/desk/versions/{version.pk}/preview/").content.decode()
    assert "Nothing published yet" in html and desk_case.title in html
    assert "Not yet scored:" in html  # the engine leaves the unscored criteria out, and says so


def test_the_preview_is_for_the_newsroom_only(draft_version, reader, client):
    url = f"/desk/versions/{draft_version.pk}/preview/"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    refused = _client(reader).get(url)
    assert refused.status_code == 403 and draft_version.narrative[:40].encode() not in refused.content
    assert _client(reader).get("/desk/versions/999999/preview/").status_code == 403


# Session, user, permissions (two); the version (case, author, rubric joined), its scores, their sources,
# their citations, its annotations; the published summary and its party figures (organizations joined
# by a third); the rubric's criteria (the engine's spec); the facts' organizations (twice: parsing,
# then the names) and deal types (and tags, for a case that has some).
PREVIEW_QUERIES = 17  # the draft facts resolve slugs through the organizations and their redirects


@pytest.mark.parametrize("extra_notes", [0, 3])
def test_the_preview_runs_a_fixed_number_of_queries(draft_version, editor, extra_notes, django_assert_num_queries):
    if extra_notes:
        words = draft_version.narrative.split()
        notes = [
            annotations.AnnotationInput(quote=" ".join(words[i * 5 : i * 5 + 3]), kind="context", body=f"Note {i}.")
            for i in range(1, extra_notes + 1)
        ]
        held = [
            annotations.AnnotationInput(quote=n.quote, kind=n.kind, body=n.body, prefix=n.prefix, suffix=n.suffix)
            for n in draft_version.annotations.all()
        ]
        draft_version = workflow.evaluation_version_save(
            version=draft_version, by=editor, expected_lock=draft_version.lock_version, annotations=held + notes
        )
    client = _client(editor)
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.get(f"/desk/versions/{draft_version.pk}/preview/")
    assert response.status_code == 200
