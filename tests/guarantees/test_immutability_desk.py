"""A published version never changes through the desk; publishing recomputes the case's summary."""

from __future__ import annotations

from django.test import Client

from cases.models import Case
from evaluations.models import EvaluationVersion, RiskSummary
from tests.support.payloads import case_payload, version_payload

COLOSSUS = "xai-anthropic-colossus-1"


def test_every_desk_path_leaves_a_published_version_alone(demo, editor, reviewer):
    version = EvaluationVersion.objects.get(case__slug=COLOSSUS, state="published")
    before = (version.narrative, version.lock_version, version.annotations.count(), version.scores.count())
    note = version.annotations.first()
    client = Client()
    client.force_login(reviewer)
    response = client.get(f"/desk/versions/{version.pk}/edit/", follow=True)
    assert "only a draft can be edited" in response.content.decode()
    response = client.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, narrative="rewritten"))
    assert response.status_code == 409
    assert "Not saved: cannot edit a version that is published" in response.content.decode()
    quote = version.narrative[:20]
    response = client.post(
        f"/desk/versions/{version.pk}/annotations/", {"quote": quote, "kind": "context", "body": "b"}, follow=True
    )
    assert "cannot annotate a version that is published" in response.content.decode()
    response = client.post(f"/desk/annotations/{note.pk}/delete/", follow=True)
    assert "cannot remove annotations from a version that is published" in response.content.decode()
    for action in ("submit", "send-back", "approve"):
        response = client.post(f"/desk/versions/{version.pk}/{action}/", {"comment": "x"}, follow=True)
        assert response.status_code == 200 and "a version that is published" in response.content.decode(), action
    page = client.get(f"/desk/versions/{version.pk}/").content.decode()
    assert "Edit this draft" not in page and "Add a margin note" not in page and "Submit for review" not in page
    version.refresh_from_db()
    assert (version.narrative, version.lock_version, version.annotations.count(), version.scores.count()) == before
    assert version.state == "published"


def test_a_source_a_published_analysis_cites_cannot_be_removed(demo, desk_case, editor, reviewer):
    ed, rv = Client(), Client()
    ed.force_login(editor)
    rv.force_login(reviewer)
    ed.post(f"/desk/cases/{desk_case.pk}/evaluate/")
    version = EvaluationVersion.objects.get(case=desk_case)
    ed.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, narrative="Cited."))
    ed.post(f"/desk/versions/{version.pk}/submit/")
    assert rv.post(f"/desk/versions/{version.pk}/approve/").status_code == 302
    parties = [{"organization": str(p.organization_id), "role": p.role} for p in desk_case.parties.order_by("position")]
    other = {"publisher": "Other", "title": "Other", "url": "https://example.com/o", "published_precision": "day"}
    response = ed.post(f"/desk/cases/{desk_case.pk}/edit/", case_payload(parties=parties, sources=[other]))
    assert response.status_code == 400
    assert "a source cited by a published analysis stays on the record" in response.content.decode()
    assert list(desk_case.sources.values_list("publisher", flat=True)) == ["The Wire"]
    assert version.scores.filter(sources__isnull=False).count() == 12


def test_publishing_recomputes_the_summary_from_the_published_version(
    demo, desk_case, editor, reviewer, django_capture_on_commit_callbacks
):
    ed, rv = Client(), Client()
    ed.force_login(editor)
    rv.force_login(reviewer)
    ed.post(f"/desk/cases/{desk_case.pk}/evaluate/")
    version = EvaluationVersion.objects.get(case=desk_case)
    ed.post(f"/desk/versions/{version.pk}/edit/", version_payload(version, narrative="Scored.", value=4))
    ed.post(f"/desk/versions/{version.pk}/submit/")
    with django_capture_on_commit_callbacks(execute=True):
        assert rv.post(f"/desk/versions/{version.pk}/approve/").status_code == 302
    summary = RiskSummary.objects.get(case=desk_case)
    assert summary.evaluation_version_id == version.pk and not summary.stale and summary.risk_index is not None
    assert Case.objects.get(pk=desk_case.pk).status == "published"
