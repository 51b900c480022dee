"""Adding parties and sources needs no save-and-reopen cycle: the form offers empty rows, those
beyond the first folded behind "Add another party/source" (a <details>, no script)."""

from __future__ import annotations

import re

from cases.forms import EXTRA_ROWS
from cases.models import Case, Organization
from tests.support.payloads import case_payload


def test_the_new_case_form_offers_many_rows_folded_behind_add_another(demo, client, editor):
    client.force_login(editor)
    page = client.get("/desk/cases/new/").content.decode()
    assert f'name="parties-TOTAL_FORMS" value="{EXTRA_ROWS}"' in page
    assert f'name="sources-TOTAL_FORMS" value="{EXTRA_ROWS}"' in page
    assert page.count("<summary>Add another party</summary>") == EXTRA_ROWS - 1
    assert page.count("<summary>Add another source</summary>") == EXTRA_ROWS - 1
    assert "Save, then edit again" not in page


def test_five_parties_and_four_sources_in_one_save(demo, client, editor):
    client.force_login(editor)
    orgs = list(Organization.objects.order_by("pk")[:5])
    parties = [{"organization": str(o.pk), "role": "partner"} for o in orgs]
    sources = [
        {
            "publisher": f"P{i}",
            "title": f"T{i}",
            "url": f"https://example.com/{i}",
            "published_on": "",
            "published_precision": "day",
            "claim": "",
        }
        for i in range(4)
    ]
    response = client.post("/desk/cases/new/", case_payload(parties=parties, sources=sources))
    assert response.status_code == 302
    case = Case.objects.get(title="Nimbus leases chips to Anthropic")
    assert case.parties.count() == 5 and case.sources.count() == 4


def test_the_edit_form_shows_the_rows_held_then_one_open_empty_row(demo, client, editor):
    client.force_login(editor)
    client.post("/desk/cases/new/", case_payload())
    case = Case.objects.get(title="Nimbus leases chips to Anthropic")
    page = client.get(f"/desk/cases/{case.pk}/edit/").content.decode()
    held = case.parties.count()
    assert f'name="parties-TOTAL_FORMS" value="{held + EXTRA_ROWS}"' in page
    assert page.count("<summary>Add another party</summary>") == EXTRA_ROWS - 1
    # A refused save re-opens the folded rows that were filled in.
    rows = [{"organization": "", "role": "customer"}] * 3
    refused = client.post("/desk/cases/new/", case_payload(title="Rows", parties=rows)).content.decode()
    assert len(re.findall(r"<details class=\"desk-more\" open>", refused)) == 2  # rows 2 and 3 of the refused form
