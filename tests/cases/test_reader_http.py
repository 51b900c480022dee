"""How the reader's pages answer HTTP itself: HEAD and OPTIONS, absolute links from SITE_URL,
feed ids and authors, conditional GET on feeds."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.http import http_date, parse_http_date
from PIL import Image

from cases.models import Case, Organization
from tests.support.content import COLOSSUS

pytestmark = pytest.mark.django_db


def reader_urls() -> list[str]:
    organization = Organization.objects.filter(parties__case__status="published").first()
    return [
        "/",
        f"/cases/{COLOSSUS}/",
        f"/cases/{COLOSSUS}/history/",
        f"/cases/{COLOSSUS}/versions/1/",
        f"/cases/{COLOSSUS}/chart.png",
        "/organizations/",
        f"/organizations/{organization.slug}/",
        f"/organizations/{organization.slug}/feed/",
        f"/organizations/{organization.slug}/corrections/feed/",
        "/rubric/",
        "/feeds/analyses/",
        "/feeds/corrections/",
        "/sitemap.xml",
        "/robots.txt",
        "/health/",
    ]


def test_head_and_options_on_every_read(client, demo):
    for url in reader_urls():
        get = client.get(url)
        assert get.status_code == 200, url
        head = client.head(url)
        assert head.status_code == 200, (url, head.status_code)
        assert head["Content-Type"] == get["Content-Type"], url
        options = client.options(url)
        assert options.status_code == 200, (url, options.status_code)
        assert set(options["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}, url
        assert client.post(url).status_code in (403, 405), url  # 403: CSRF refuses first


def _links(content: str) -> list[str]:
    return re.findall(r"""(?:href|url|content)=["'](https?://[^"']+)""", content) + re.findall(
        r"<(?:id|loc)>(https?://[^<]+)</", content
    )


def test_absolute_links_come_from_site_url_not_the_host_header(client, demo):
    """A request naming another (allowed) host gets the same absolute links."""
    organization = Organization.objects.filter(parties__case__status="published").first()
    urls = [
        f"/cases/{COLOSSUS}/",
        "/",
        f"/cases/{COLOSSUS}/history/",
        f"/organizations/{organization.slug}/",
        "/sitemap.xml",
        "/robots.txt",
        "/feeds/analyses/",
        f"/organizations/{organization.slug}/corrections/feed/",
    ]
    for url in urls:
        content = client.get(url, HTTP_HOST="localhost").content.decode()
        links = _links(content) + re.findall(r"Sitemap: (\S+)", content)
        assert links, url
        assert "localhost" not in content, url
        assert any(link.startswith(settings.SITE_URL + "/") for link in links), (url, links)
    page = client.get(f"/cases/{COLOSSUS}/", HTTP_HOST="localhost").content.decode()
    assert f'<meta property="og:url" content="{settings.SITE_URL}/cases/{COLOSSUS}/">' in page


def _feed_id(content: bytes) -> str:
    return re.search(rb"<feed[^>]*>.*?<id>([^<]+)</id>", content, re.S).group(1).decode()


def test_feeds_have_distinct_ids_and_an_author(client, demo):
    organization = Organization.objects.filter(parties__case__status="published").first()
    urls = [
        "/feeds/analyses/",
        "/feeds/corrections/",
        f"/organizations/{organization.slug}/feed/",
        f"/organizations/{organization.slug}/corrections/feed/",
    ]
    ids = []
    for url in urls:
        content = client.get(url).content
        ids.append(_feed_id(content))
        head = content.split(b"<entry>")[0]
        assert b"<author><name>Moatwatch</name>" in head, url
    assert len(set(ids)) == len(ids), ids
    assert ids[0] == settings.SITE_URL + "/feeds/analyses/"


def test_feeds_answer_conditional_gets(client, demo):
    url = reverse("feed-analyses")
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=http_date(0)).status_code == 200
    # An entry shows its case's title: editing it moves Last-Modified, so a poller sees it.
    later = parse_http_date(modified) + 2  # HTTP dates have whole seconds
    Case.objects.filter(slug=COLOSSUS).update(
        title="Colossus, renamed", updated_at=datetime.fromtimestamp(later, tz=UTC)
    )
    changed = client.get(url, HTTP_IF_MODIFIED_SINCE=modified)
    assert changed.status_code == 200 and b"Colossus, renamed" in changed.content
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_case_chart_png_is_the_og_image(client, demo, draft_case):
    page = client.get(f"/cases/{COLOSSUS}/").content.decode()
    url = f"{settings.SITE_URL}/cases/{COLOSSUS}/chart.png"
    assert f'<meta property="og:image" content="{url}">' in page
    response = client.get(f"/cases/{COLOSSUS}/chart.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1200, 630)
    assert client.get(f"/cases/{COLOSSUS}/chart.png", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(f"/cases/{draft_case.slug}/chart.png").status_code == 404
    assert client.get("/cases/no-such-case/chart.png").status_code == 404
