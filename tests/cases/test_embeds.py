"""Embeds and oEmbed: only published content, a frame policy of their own, no cookies, no script."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from tests.support.content import COLOSSUS, SECRET

SITE = "https://moatwatch.example"  # SITE_URL in the tests (tests/env_defaults.py): every link is on it

pytestmark = pytest.mark.django_db

WIDGETS = ["card", "chart", "ledger"]


def embed_url(slug: str, widget: str) -> str:
    return reverse("case-embed", args=[slug, widget])


def oembed(client, url: str, **params):
    return client.get(reverse("oembed"), {"url": url, "format": "json", **params})


@pytest.mark.parametrize("widget", WIDGETS)
def test_an_embed_may_be_framed_anywhere_runs_no_script_and_sets_no_cookie(client, demo, widget):
    response = client.get(embed_url(COLOSSUS, widget))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "script-src 'none'" in csp and "form-action 'none'" in csp
    assert "X-Frame-Options" not in response
    assert not response.cookies
    body = response.content.decode()
    assert "<script" not in body.lower()
    assert "xAI (SpaceX) leases all of Colossus 1 to Anthropic" in body
    assert f'href="https://moatwatch.example/cases/{COLOSSUS}/"' in body  # back to the full analysis
    assert "version 1</a>" in body  # the version it shows


def test_every_other_page_keeps_frame_ancestors_none(client, demo):
    for url in [reverse("case-detail", args=[COLOSSUS]), reverse("home"), reverse("oembed")]:
        response = client.get(url, {"url": "x"})
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url
        assert response["X-Frame-Options"] == "DENY", url


def test_a_signed_in_editor_viewing_an_embed_gets_no_cookie_either(client, demo, editor):
    client.force_login(editor)
    response = client.get(embed_url(COLOSSUS, "card"))
    assert response.status_code == 200 and not response.cookies
    assert "Desk" not in response.content.decode()


def test_the_ledger_lists_each_party_with_its_scores(client, demo):
    body = client.get(embed_url(COLOSSUS, "ledger")).content.decode()
    assert "Anthropic" in body and "xAI" in body
    assert body.count('class="ledger-party"') == 2


def test_the_chart_embed_draws_the_risk_chart(client, demo):
    body = client.get(embed_url(COLOSSUS, "chart")).content.decode()
    assert "<svg" in body and "risk index" in body.lower()


@pytest.mark.parametrize("widget", WIDGETS)
def test_an_embed_of_a_later_corrected_case_shows_one_correction_line(client, demo, publish_second_version, widget):
    assert "embed-correction" not in client.get(embed_url(COLOSSUS, widget)).content.decode()
    publish_second_version(note="The lease is 300 MW, not 200 MW.")
    body = client.get(embed_url(COLOSSUS, widget)).content.decode()
    assert body.count('class="embed-correction"') == 1
    assert "The lease is 300 MW, not 200 MW." in body
    assert "version 2</a>" in body


@pytest.mark.parametrize("widget", WIDGETS)
@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled"])
def test_unpublished_versions_and_draft_cases_never_reach_an_embed(
    client, draft_case, unpublished_version, widget, state
):
    unpublished_version(state)
    body = client.get(embed_url(COLOSSUS, widget)).content.decode()
    assert SECRET not in body.lower()
    assert "version 1</a>" in body and "version 2" not in body
    assert client.get(embed_url(draft_case.slug, widget)).status_code == 404
    assert client.get(embed_url("no-such-case", widget)).status_code == 404


def test_an_unknown_widget_is_not_found(client, demo):
    assert client.get(embed_url(COLOSSUS, "everything")).status_code == 404


# --- oEmbed --------------------------------------------------------------------------------------

# The oEmbed spec (https://oembed.com/, 2.3.4): every response has type and version "1.0";
# a "rich" response also has html, width and height. Optional fields have fixed types.
REQUIRED = {"type": str, "version": str}
REQUIRED_RICH = {"html": str, "width": int, "height": int}
OPTIONAL = {
    "title": str,
    "author_name": str,
    "author_url": str,
    "provider_name": str,
    "provider_url": str,
    "cache_age": int,
}


def assert_valid_oembed(data: dict) -> None:
    for name, kind in {**REQUIRED, **REQUIRED_RICH}.items():
        assert isinstance(data.get(name), kind), name
    assert data["version"] == "1.0" and data["type"] == "rich"
    for name, kind in OPTIONAL.items():
        if name in data:
            assert isinstance(data[name], kind), name
    assert data["width"] > 0 and data["height"] > 0


@pytest.mark.parametrize(
    "path,widget",
    [
        (f"/cases/{COLOSSUS}/", "card"),
        (f"/cases/{COLOSSUS}/versions/1/", "card"),
        (f"/embed/cases/{COLOSSUS}/chart/", "chart"),
        (f"/embed/cases/{COLOSSUS}/ledger/", "ledger"),
    ],
)
def test_oembed_answers_a_rich_response_for_a_case_or_embed_url(client, demo, path, widget):
    response = oembed(client, "https://moatwatch.example" + path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert_valid_oembed(data)
    assert f'src="https://moatwatch.example/embed/cases/{COLOSSUS}/{widget}/"' in data["html"]
    assert "<script" not in data["html"]


def test_oembed_honours_maxwidth_and_maxheight(client, demo):
    data = oembed(client, f"https://moatwatch.example/cases/{COLOSSUS}/", maxwidth=300, maxheight=200).json()
    assert data["width"] <= 300 and data["height"] <= 200
    assert f'width="{data["width"]}"' in data["html"]


def test_oembed_refuses_what_it_does_not_serve(client, demo, draft_case):
    assert (
        client.get(
            reverse("oembed"), {"url": f"https://moatwatch.example/cases/{COLOSSUS}/", "format": "xml"}
        ).status_code
        == 501
    )
    assert client.get(reverse("oembed")).status_code == 400
    assert oembed(client, f"https://moatwatch.example/cases/{COLOSSUS}/", maxwidth="wide").status_code == 400
    assert oembed(client, f"https://moatwatch.example/cases/{COLOSSUS}/", maxwidth="-3").status_code == 400
    assert oembed(client, f"https://elsewhere.example/cases/{COLOSSUS}/").status_code == 404
    assert oembed(client, "https://moatwatch.example/organizations/anthropic/").status_code == 404
    assert oembed(client, "javascript:alert(1)").status_code == 404
    assert oembed(client, "https://moatwatch.example/cases/\x00/").status_code == 404
    # A draft case answers exactly like a slug that was never used.
    draft = oembed(client, f"https://moatwatch.example/cases/{draft_case.slug}/")
    never = oembed(client, "https://moatwatch.example/cases/never-was/")
    assert draft.status_code == never.status_code == 404
    assert draft.content == never.content


def test_case_pages_advertise_oembed(client, demo):
    body = client.get(reverse("case-detail", args=[COLOSSUS])).content.decode()
    href = f"{SITE}/oembed?url={quote(f'{SITE}/cases/{COLOSSUS}/', safe='')}&amp;format=json"
    assert f'<link rel="alternate" type="application/json+oembed" href="{href}"' in body
    assert "/embed/cases/" in body  # the embed offer with its iframe code
