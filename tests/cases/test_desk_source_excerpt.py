"""The desk's evidence: pasting a source's excerpt, and quoting it per score on the version's edit page."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case
from evaluations.models import Citation
from evaluations.services import workflow
from tests.support.content import COLOSSUS
from tests.support.payloads import version_payload

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_pastes_an_excerpt_and_the_drafts_quotes_are_checked_again(demo, editor, reader):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    source = Citation.objects.filter(score__version=draft).first().source
    url = f"/desk/cases/{case.pk}/sources/{source.pk}/excerpt/"
    client = _signed_in(editor)
    page = client.get(url)
    assert page.status_code == 200 and source.excerpt[:40] in page.content.decode()
    assert f'href="{url}"' in client.get(f"/desk/cases/{case.pk}/").content.decode()
    response = client.post(url, {"excerpt": "A different text altogether."})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.excerpt == "A different text altogether."
    assert not Citation.objects.filter(score__version=draft, source=source, orphaned=False).exists()
    # Bad input is a form error, and readers have no way in.
    assert client.post(url, {"excerpt": "x" * 20_001}).status_code == 400
    assert _signed_in(reader).post(url, {"excerpt": "mine"}).status_code == 403
    assert Client().get(url).status_code == 302  # to sign in
    assert client.get(f"/desk/cases/{case.pk}/sources/999999/excerpt/").status_code == 404


def test_the_version_edit_page_quotes_sources_by_number(demo, desk_case, editor):
    source = desk_case.sources.order_by("position", "id").first()
    from cases.source_excerpts import source_excerpt_set

    source_excerpt_set(source=source, by=editor, excerpt="Nimbus will supply 20,000 accelerators over two years.")
    version = workflow.evaluation_version_start(case=desk_case, by=editor)
    client = _signed_in(editor)
    edit = f"/desk/versions/{version.pk}/edit/"
    party = desk_case.parties.order_by("position", "id").first()
    field = f"s-compute_access-{party.pk}-quotes"
    payload = version_payload(version, narrative="First.", **{field: "1: 20,000 accelerators over two years"})
    assert client.post(edit, payload).status_code == 302
    citation = Citation.objects.get(score__version=version)
    assert citation.quote == "20,000 accelerators over two years" and citation.source == source
    page = client.get(edit).content.decode()
    assert "1: 20,000 accelerators over two years" in page  # shown back as typed
    # A line without a source number, or a quote the excerpt lacks: form errors, nothing saved.
    version.refresh_from_db()
    for bad in ("no number here", "1: words the excerpt does not have", "7: 20,000 accelerators"):
        data = version_payload(version, narrative="Second.", **{field: bad})
        response = client.post(edit, data)
        assert response.status_code == 400, bad
    version.refresh_from_db()
    assert version.narrative == "First."
