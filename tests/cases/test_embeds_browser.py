"""Embeds framed by a page of another origin, and the cite block, in headless Chromium.

A local static server on another port plays the publisher's site: it pastes the iframe our
oEmbed endpoint hands out, and also tries to frame an ordinary case page (refused:
frame-ancestors 'none'). Its script then tries to read the embed's document and to fetch our
pages: the same-origin policy stops both. Screenshots at 1280 and 390 px go to
``artifacts/screens/``: the cite block, and the embed inside the other site.
"""

from __future__ import annotations

import functools
import json
import threading
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from evaluations.services import workflow
from tests.support.browser import DESKTOP, PHONE, shot

pytestmark = pytest.mark.browser

COLOSSUS = "xai-anthropic-colossus-1"
TITLE = "xAI (SpaceX) leases all of Colossus 1 to Anthropic"


PUBLISHER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The Daily Example</title>
<style>body {{ font: 16px/1.5 sans-serif; margin: 1rem; max-width: 700px; }} iframe {{ max-width: 100%; }}</style>
</head><body>
<h1>The Daily Example</h1>
<p>Our story on the Colossus 1 lease, with Moatwatch's analysis:</p>
<div id="oembed">{html}</div>
<p>An ordinary Moatwatch page, which must refuse to be framed:</p>
<iframe name="casepage" src="{case_url}" width="300" height="80"></iframe>
<pre id="result">pending</pre>
<script>
window.addEventListener("load", async () => {{
  const out = {{}};
  const frame = document.querySelector("#oembed iframe");
  try {{ out.document = frame.contentDocument === null ? "null" : "readable"; }}
  catch (e) {{ out.document = "blocked"; }}
  try {{ out.location = String(frame.contentWindow.location.href); }} catch (e) {{ out.location = "blocked"; }}
  try {{ out.body = frame.contentWindow.document.body.innerHTML; }} catch (e) {{ out.body = "blocked"; }}
  for (const [name, path] of [["page", "{case_path}"], ["api", "/api/v1/cases/"], ["embed", "{embed_path}"]]) {{
    try {{
      const r = await fetch("{base}" + path, {{credentials: "include"}});
      out[name] = "read " + (await r.text()).length;
    }}
    catch (e) {{ out[name] = "blocked"; }}
  }}
  document.getElementById("result").textContent = JSON.stringify(out);
}});
</script>
</body></html>
"""


@pytest.fixture
def corrected(demo_committed):
    """Colossus 1 corrected in a second version, so the embed carries its correction line."""
    from cases.models import Case

    users = get_user_model().objects
    writer = users.create_superuser("embed-writer", "w@example.com", "pw-writer-123456")
    approver = users.create_superuser("embed-approver", "a@example.com", "pw-approver-123456")
    version = workflow.evaluation_version_start(case=Case.objects.get(slug=COLOSSUS), by=writer)
    version = workflow.evaluation_version_save(
        version=version, by=writer, expected_lock=version.lock_version, narrative=version.narrative + "\n\nA filing."
    )
    version = workflow.evaluation_version_submit(version=version, by=writer)
    return workflow.evaluation_version_approve(version=version, by=approver, correction_note="The lease is 300 MW.")


@pytest.fixture
def publisher_site(live_server, tmp_path, settings):
    """The other origin: a static server on another port, serving a page built from our oEmbed answer."""
    base = settings.SITE_URL = live_server.url  # the links the oEmbed answer holds are on SITE_URL
    case_path = f"/cases/{COLOSSUS}/"
    query = urlencode({"url": base + case_path, "format": "json", "maxwidth": 640})
    with urllib.request.urlopen(f"{base}/oembed?{query}") as response:  # noqa: S310 - our own live server
        data = json.load(response)
    page = PUBLISHER_PAGE.format(
        html=data["html"],
        case_url=base + case_path,
        case_path=case_path,
        embed_path=f"/embed/cases/{COLOSSUS}/card/",
        base=base,
    )
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("viewport,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_embed_renders_inside_another_origin_and_its_parent_reads_nothing_else(
    live_server, browser, corrected, publisher_site, viewport, label
):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(publisher_site)
    page.wait_for_function("document.getElementById('result').textContent !== 'pending'")

    embed = page.frame_locator("#oembed iframe")
    assert embed.locator("h1.embed-title").inner_text() == TITLE
    assert "The lease is 300 MW." in embed.locator(".embed-correction").inner_text()
    assert "version 2" in embed.locator(".embed-version").inner_text()
    back = embed.locator("a.embed-more")
    assert back.get_attribute("href") == f"{live_server.url}/cases/{COLOSSUS}/"
    assert back.get_attribute("target") == "_blank"
    box = page.locator("#oembed iframe").bounding_box()
    assert box["width"] > 200 and box["height"] > 200

    result = json.loads(page.locator("#result").inner_text())
    assert result == {
        "document": "null",
        "location": "blocked",
        "body": "blocked",
        "page": "blocked",
        "api": "blocked",
        "embed": "blocked",
    }
    # The ordinary case page refused to be framed: its frame holds no part of it.
    case_frame = page.frame(name="casepage")
    assert TITLE not in case_frame.content()
    shot(page, f"embed-in-other-site-{label}", full_page=False)
    context.close()


@pytest.mark.parametrize("viewport,label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_the_cite_block_and_the_ledger_embed(live_server, browser, demo_committed, viewport, label, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(f"{live_server.url}/cases/{COLOSSUS}/")
    block = page.locator(".cite-block")
    assert "Cite this analysis" in block.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    block.scroll_into_view_if_needed()
    shot(block, f"cite-block-{label}", full_page=False)
    page.goto(f"{live_server.url}/embed/cases/{COLOSSUS}/ledger/")
    assert page.locator(".ledger-party").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
    shot(page, f"embed-ledger-{label}")
    page.goto(f"{live_server.url}/embed/cases/{COLOSSUS}/chart/")
    shot(page, f"embed-chart-{label}")
    context.close()
