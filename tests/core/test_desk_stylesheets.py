"""The desk's stylesheet comes after the site's, so its rules for shared selectors win."""

from __future__ import annotations

from django.urls import reverse


def test_desk_css_is_linked_after_site_css(client, editor):
    client.force_login(editor)
    page = client.get(reverse("desk-dashboard")).content.decode()
    assert 0 < page.index("css/site.css") < page.index("css/desk.css")


def test_reader_pages_link_only_the_site_css(db, client):
    page = client.get("/rubric/").content.decode()
    assert "css/site.css" in page and "css/desk.css" not in page
