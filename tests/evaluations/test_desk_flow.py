"""The whole editorial flow through HTTP: write, submit, review, publish, edit again, compare."""

from __future__ import annotations

from django.test import Client
from django.utils.html import escape

from cases.models import Case, Organization
from evaluations.models import AuditEntry, EvaluationVersion
from tests.support.payloads import version_payload

V1_TEXT = (
    "Nimbus turns an idle cluster into revenue.\n\n"
    "Anthropic gains compute now but adds another outside supplier to its dependencies."
)
V2_TEXT = (
    "Nimbus turns an idle cluster into steady revenue for three years.\n\n"
    "Anthropic gains compute now but adds another outside supplier to its dependencies."
)
QUOTE = "adds another outside supplier"


def _start(client: Client, case: Case) -> EvaluationVersion:
    response = client.post(f"/desk/cases/{case.pk}/evaluate/")
    version = EvaluationVersion.objects.filter(case=case).order_by("-number").first()
    assert response.status_code == 302 and response["Location"] == f"/desk/versions/{version.pk}/edit/"
    return version


def test_the_whole_flow(demo, desk_case, editor, reviewer):
    case = desk_case
    assert case.status == "draft"
    assert Organization.objects.filter(name="Nimbus Compute", kind="cloud_provider").exists()
    assert [p.organization.name for p in case.parties.order_by("position")] == ["Anthropic", "Nimbus Compute"]
    assert case.sources.count() == 1 and case.deal_types.get().slug == "compute_lease"
    assert sorted(case.tags.values_list("name", flat=True)) == ["compute", "leases"]

    ed, rv, anon = Client(), Client(), Client()
    ed.force_login(editor)
    rv.force_login(reviewer)

    # The editor starts an evaluation and writes it.
    v1 = _start(ed, case)
    assert ed.get(f"/desk/versions/{v1.pk}/edit/").status_code == 200
    response = ed.post(f"/desk/versions/{v1.pk}/edit/", version_payload(v1, narrative=V1_TEXT, value=3))
    assert response.status_code == 302, response.content.decode()[:2000]
    v1.refresh_from_db()
    assert v1.narrative == V1_TEXT and v1.scores.count() == 12 and v1.scores.filter(sources__isnull=False).count() == 12

    # A margin note on the draft.
    response = ed.post(
        f"/desk/versions/{v1.pk}/annotations/", {"quote": QUOTE, "kind": "dissent", "body": "Is it *really* new?"}
    )
    assert response.status_code == 302
    note = v1.annotations.get()
    assert note.prefix.endswith("but ") and note.suffix.startswith(" to its")

    # Nobody outside the desk sees the draft.
    assert anon.get(f"/cases/{case.slug}/").status_code == 404
    assert anon.get(f"/desk/versions/{v1.pk}/").status_code == 302

    # Submit; the editor cannot approve.
    assert ed.post(f"/desk/versions/{v1.pk}/submit/", {"comment": "ready"}).status_code == 302
    v1.refresh_from_db()
    assert v1.state == "in_review"
    page = ed.get(f"/desk/versions/{v1.pk}/").content.decode()
    assert "Approve and publish" not in page
    assert ed.post(f"/desk/versions/{v1.pk}/approve/", {}).status_code == 403
    v1.refresh_from_db()
    assert v1.state == "in_review"

    # The reviewer sends it back; a comment is required.
    response = rv.post(f"/desk/versions/{v1.pk}/send-back/", {"comment": ""})
    assert response.status_code == 400 and "Say what needs to change" in response.content.decode()
    assert rv.post(f"/desk/versions/{v1.pk}/send-back/", {"comment": "cite the lease terms"}).status_code == 302
    v1.refresh_from_db()
    assert v1.state == "draft"
    entry = AuditEntry.objects.get(evaluation_version=v1, action="send_back")
    assert (entry.actor, entry.from_state, entry.to_state, entry.comment) == (
        reviewer,
        "in_review",
        "draft",
        "cite the lease terms",
    )

    # The editor resubmits; the reviewer approves.
    assert ed.post(f"/desk/versions/{v1.pk}/submit/", {"comment": "terms cited"}).status_code == 302
    assert "Approve and publish" in rv.get(f"/desk/versions/{v1.pk}/").content.decode()
    assert rv.post(f"/desk/versions/{v1.pk}/approve/", {"publish_at": "", "correction_note": ""}).status_code == 302
    v1.refresh_from_db()
    case.refresh_from_db()
    assert v1.state == "published" and v1.published_by == reviewer and case.status == "published"

    # An anonymous reader sees the published analysis.
    reader_page = anon.get(f"/cases/{case.slug}/").content.decode()
    assert "Nimbus turns an idle cluster into revenue." in reader_page

    # A second edit makes version 2, prefilled; version 1 stays.
    v2 = _start(ed, case)
    assert v2.number == 2 and v2.narrative == V1_TEXT and v2.scores.count() == 12
    payload = version_payload(v2, narrative=V2_TEXT, value=3, change_note="longer term")
    dependency_field = f"s-dependency-{case.parties.get(organization__name='Anthropic').pk}-value"
    payload[dependency_field] = "4"
    assert ed.post(f"/desk/versions/{v2.pk}/edit/", payload).status_code == 302

    # The draft's text never reaches the reader, while v1 is still what they see.
    reader_page = anon.get(f"/cases/{case.slug}/").content.decode()
    assert "steady revenue" not in reader_page and "Nimbus turns an idle cluster into revenue." in reader_page

    # Compare: the changed score and the narrative diff (drafts too).
    page = ed.get(f"/desk/cases/{case.pk}/compare/?a=1&b=2").content.decode()
    assert "1 score changed" in page
    assert '<strong class="score-changed">4</strong>' in page
    assert "<del>revenue." in page and "<ins>steady revenue for three years." in page

    # The annotation carried over and anchors to the same passage in both versions.
    carried = v2.annotations.get()
    assert not carried.orphaned and carried.quote == QUOTE
    for version in (v1, v2):
        page = ed.get(f"/desk/versions/{version.pk}/").content.decode()
        assert f"<mark>{escape(QUOTE)}</mark>" in page
        assert escape("compute now but ") + f"<mark>{escape(QUOTE)}</mark>" + " to its dependencies" in page
        assert "orphaned" not in page.split('id="notes-h"')[1].split("<h3>")[0]

    # Version 2 through review; version 1 is superseded and still readable on the desk.
    assert ed.post(f"/desk/versions/{v2.pk}/submit/").status_code == 302
    assert rv.post(f"/desk/versions/{v2.pk}/approve/", {}).status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == ("superseded", "published")
    assert rv.get(f"/desk/versions/{v1.pk}/").status_code == 200
    reader_page = anon.get(f"/cases/{case.slug}/").content.decode()
    assert "steady revenue for three years" in reader_page

    # The history lists every state change.
    history = ed.get(f"/desk/cases/{case.pk}/history/").content.decode()
    for text in ("cite the lease terms", "superseded by version 2", "send back", "publish"):
        assert text in history


def test_a_reviewer_cannot_approve_their_own_version(demo, desk_case, reviewer):
    client = Client()
    client.force_login(reviewer)
    version = _start(client, desk_case)
    assert (
        client.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, narrative="Mine.")).status_code
        == 302
    )
    assert client.post(f"/desk/versions/{version.pk}/submit/").status_code == 302
    page = client.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Approve and publish" not in page and "another reviewer must approve it" in page
    response = client.post(f"/desk/versions/{version.pk}/approve/", {})
    assert response.status_code == 403
    assert "You cannot approve a version you wrote" in response.content.decode()
    version.refresh_from_db()
    assert version.state == "in_review"


def test_preview_renders_sanitized_markdown_without_saving(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    version = _start(client, desk_case)
    payload = version_payload(version, narrative="## Heading\n\n<script>alert(1)</script> **bold**", preview="1")
    response = client.post(f"/desk/versions/{version.pk}/edit/", payload)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Heading</h2>" in html and "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the textarea keeps what was typed
    version.refresh_from_db()
    assert version.narrative == "" and version.lock_version == 1


def test_orphaned_annotation_is_flagged_and_can_be_deleted(demo, desk_case, editor):
    client = Client()
    client.force_login(editor)
    version = _start(client, desk_case)
    client.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, narrative="The quoted words are here."))
    client.post(
        f"/desk/versions/{version.pk}/annotations/", {"quote": "quoted words", "kind": "fact_check", "body": "check"}
    )
    version.refresh_from_db()
    payload = version_payload(version, narrative="All rewritten now.")
    assert client.post(f"/desk/versions/{version.pk}/edit/", payload).status_code == 302
    note = version.annotations.get()
    assert note.orphaned
    assert (
        "orphaned: its quote is no longer in the text" in client.get(f"/desk/versions/{version.pk}/").content.decode()
    )
    assert client.post(f"/desk/annotations/{note.pk}/delete/").status_code == 302
    assert not version.annotations.exists()
    # A quote that is not in the text is a form error, not a 500.
    response = client.post(
        f"/desk/versions/{version.pk}/annotations/", {"quote": "not there", "kind": "context", "body": "x"}
    )
    assert response.status_code == 400 and "does not appear in the narrative" in response.content.decode()
