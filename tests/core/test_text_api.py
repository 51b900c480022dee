"""The API's side of the text rule (core.text): refused characters are a 400 naming the field,
nothing is written; bidirectional and zero-width characters are accepted; what is kept is normalized."""

from __future__ import annotations

from cases.models import Case, Organization
from evaluations.models import EvaluationVersion
from tests.support.payloads import CASE_BODY

BAD = ["\x0c", "\x1b", "\ue010", "\U000f0001", "\ufffe", "\x85"]


def test_case_and_organization_writes_refuse_with_a_field_error(demo, editor, client_for):
    client = client_for(editor)
    for char in BAD:
        for field, body in [
            ("title", {**CASE_BODY, "title": f"A{char}B"}),
            ("summary", {**CASE_BODY, "summary": f"A{char}B"}),
            ("tags", {**CASE_BODY, "tags": [f"A{char}B"]}),
            ("sources", {**CASE_BODY, "sources": [{**CASE_BODY["sources"][0], "title": f"A{char}B"}]}),
        ]:
            before = Case.objects.count()
            response = client.post("/api/v1/cases/", body, format="json")
            assert response.status_code == 400, (char, field)
            assert any(key.startswith(field) for key in response.json()), response.json()
            assert Case.objects.count() == before
        response = client.post("/api/v1/organizations/", {"name": f"Bad{char}Labs", "kind": "investor"}, format="json")
        assert response.status_code == 400 and "name" in response.json()
        assert not Organization.objects.filter(name__startswith="Bad").exists()


def test_version_writes_refuse_and_accept_bidi(draft_version, editor, client_for):
    client = client_for(editor)
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    for char in BAD:
        for field in ("narrative", "verdict", "change_note"):
            etag = EvaluationVersion.objects.get(pk=draft_version.pk).etag
            response = client.patch(url, {field: f"A{char}B"}, format="json", HTTP_IF_MATCH=etag)
            assert response.status_code == 400 and field in response.json(), (char, field, response.json())
    assert EvaluationVersion.objects.get(pk=draft_version.pk).lock_version == draft_version.lock_version
    etag = EvaluationVersion.objects.get(pk=draft_version.pk).etag
    narrative = "\u05e9\u05dc\u05d5\u05dd \u200f(Hebrew)\u200f, a zero\u200dwidth joiner,\r\nand Cafe\u0301."
    response = client.patch(url, {"narrative": narrative}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    stored = EvaluationVersion.objects.get(pk=draft_version.pk).narrative
    assert stored == "\u05e9\u05dc\u05d5\u05dd \u200f(Hebrew)\u200f, a zero\u200dwidth joiner,\nand Caf\u00e9."
