"""Cache-Control by kind of page, the favicon, and Brotli for static files."""

from __future__ import annotations

import pytest
from django.conf import settings
from whitenoise.compress import Compressor

from tests.support.accounts import PASSWORD
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.django_db

PUBLIC = [
    "/",
    f"/cases/{COLOSSUS}/",
    f"/cases/{COLOSSUS}/chart.png",
    "/organizations/",
    "/rubric/",
    "/feeds/analyses/",
    "/sitemap.xml",
    "/robots.txt",
    "/api/v1/cases/",
    "/api/v1/schema/",
    "/api/v1/export/cases.csv",
    "/api/v1/export/cases.json",
]


def _directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_public_reads_are_publicly_cacheable_for_a_short_while(client, demo):
    for url in PUBLIC:
        response = client.get(url)
        assert response.status_code == 200, url
        directives = _directives(response)
        assert "public" in directives, (url, directives)
        max_age = next(int(d.split("=")[1]) for d in directives if d.startswith("max-age="))
        assert 0 < max_age <= 3600, url
        if response["Content-Type"].startswith("text/html"):
            assert "Cookie" in response["Vary"], url  # the header shows who is signed in


def test_signed_in_pages_are_private_and_the_desk_is_never_stored(client, demo, editor):
    client.login(username=editor.username, password=PASSWORD)
    for url in ["/", f"/cases/{COLOSSUS}/", "/api/v1/cases/"]:
        directives = _directives(client.get(url))
        assert "private" in directives and "public" not in directives, (url, directives)
    for url in ["/desk/", "/desk/cases/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert {"private", "no-store"} <= _directives(response), url
    client.logout()
    assert {"private", "no-store"} <= _directives(client.get("/accounts/login/"))


def test_token_requests_are_private(client, demo, editor):
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=editor)
    response = client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert "private" in _directives(response) and "public" not in _directives(response)


def test_health_is_never_cached(client, db):
    assert "no-store" in _directives(client.get("/health/"))


def test_favicon_is_linked_and_served(client, demo):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"<svg") and b'xmlns="http://www.w3.org/2000/svg"' in body


def test_static_files_are_compressed_with_brotli_beside_gzip(tmp_path):
    """WhiteNoise's compressor (what collectstatic runs) writes .br only when the Brotli package
    is installed (requirements.txt)."""
    css = tmp_path / "site.css"
    css.write_bytes((settings.BASE_DIR / "static" / "css" / "site.css").read_bytes())
    written = list(Compressor(quiet=True).compress(str(css)))
    assert str(css) + ".br" in written and str(css) + ".gz" in written, written
