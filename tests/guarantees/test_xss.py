"""The XSS corpus written through the desk's forms, published, and read on every page.

tests/guarantees/test_bad_input.py writes the corpus through the services and reads
the case and organization pages. Here every field an editor can write goes in
through the desk's own forms (as a browser posts them), is published with a
correction, and every reader page (archive, search snippets, case, history,
version, compare, organization, feeds, sitemap) and desk page that shows it is
parsed: no inline script, no event handler, no script URL, no active element
beyond those a page of plain words has.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from cases.models import Case, Organization
from evaluations import anchoring
from evaluations.models import EvaluationVersion
from tests.support.html_checks import tag_counts, unsafe_html
from tests.support.payloads import case_payload, version_payload
from tests.support.xss_corpus import XSS_CORPUS

pytestmark = pytest.mark.django_db

ACTIVE_TAGS = ("script", "svg", "math", "iframe", "object", "embed", "base", "img", "style", "meta", "form", "details")
GROUP = 5  # payloads per case
# A URL with hostile text in its query: valid for the URL field, so it reaches the pages (as an escaped href).
HOSTILE_URL = 'https://e.example/?q="><script>alert(1)</script><img/src=x/onerror=alert(1)>'


def _ok(response, status: int = 302) -> None:
    if response.status_code != status:
        errors = [line for line in response.content.decode().splitlines() if "errorlist" in line]
        raise AssertionError((response.status_code, errors[:5]))


def write_through_the_desk(index: int, payloads: list[str], ed: Client, rv: Client) -> Case:
    """A case whose every editor-written field holds ``payloads``, published twice (the second a correction).

    Several payloads share a case to keep the test fast: plain-text fields are escaped whatever they
    hold, and each payload alone goes through the Markdown renderer in test_bad_input.py.
    """
    text = "\n\n".join(payloads)  # for the fields that take paragraphs
    line = " ".join(payloads).replace("\n", " ")  # for one-line fields
    anthropic = Organization.objects.get(name="Anthropic")
    source = {
        "publisher": line[:300],
        "title": line[:500],
        "url": HOSTILE_URL,
        "published_on": "2026-03-02",
        "published_precision": "day",
        "claim": text,
    }
    parties = [
        {"organization": str(anthropic.pk), "role": "customer", "note": line[:300]},
        {"new_organization_name": f"{line[:150]} {index}", "new_organization_kind": "cloud_provider"},
    ]
    parties[1]["role"] = "provider"
    data = case_payload(
        parties=parties,
        sources=[source],
        title=f"{line[:280]} #{index}",
        summary=text,
        value_note=text[:2000],
        capacity_note=text[:2000],
        tags=", ".join(p[:90] for p in payloads),
    )
    _ok(ed.post("/desk/cases/new/", data))
    case = Case.objects.order_by("-pk").first()
    organization = case.parties.exclude(organization=anthropic).get().organization
    edit = {"name": organization.name, "kind": "cloud_provider", "description": text}
    _ok(ed.post(f"/desk/organizations/{organization.pk}/edit/", edit))
    timeline = {"kind": "expanded", "occurred_on": "2026-06-01", "precision": "month", "note": text}
    _ok(ed.post(f"/desk/cases/{case.pk}/timeline/", timeline))
    narrative = f"Before the note. {text} After the note."
    for correction in ("", text):
        _ok(ed.post(f"/desk/cases/{case.pk}/evaluate/"))
        version = EvaluationVersion.objects.filter(case=case).order_by("-number").first()
        fields = version_payload(version, narrative=narrative, verdict=line[:300], change_note=text)
        for key in [k for k in fields if k.endswith("-rationale")]:
            fields[key] = text
        _ok(ed.post(f"/desk/versions/{version.pk}/edit/", fields))
        if not correction:
            version.refresh_from_db()
            for payload in payloads:  # one annotation on each payload, quoted from the narrative
                note = {"quote": payload.strip(), "kind": "dissent", "body": payload}
                starts = anchoring.occurrences(version.narrative, note["quote"])
                if len(starts) > 1:  # a quote found more than once is anchored by the words before it
                    note["prefix"] = version.narrative[max(0, starts[0] - 64) : starts[0]]
                _ok(ed.post(f"/desk/versions/{version.pk}/annotations/", note))
        _ok(ed.post(f"/desk/versions/{version.pk}/submit/", {"comment": text}))
        if not correction:  # a round trip through review: the send-back comment is shown to the author
            _ok(rv.post(f"/desk/versions/{version.pk}/send-back/", {"comment": text}))
            _ok(ed.post(f"/desk/versions/{version.pk}/submit/", {"comment": text}))
        _ok(rv.post(f"/desk/versions/{version.pk}/approve/", {"publish_at": "", "correction_note": correction}))
        version.refresh_from_db()
        assert version.state == "published", version.state
    return case


def case_pages(case: Case) -> dict[str, str]:
    organization = case.parties.exclude(organization__name="Anthropic").get().organization
    latest = case.evaluation_versions.order_by("-number").first()
    return {
        "case": f"/cases/{case.slug}/",
        "history": f"/cases/{case.slug}/history/",
        "version": f"/cases/{case.slug}/versions/1/",
        "compare": f"/cases/{case.slug}/compare/?a=1&b=2",
        "organization": f"/organizations/{organization.slug}/",
        "desk-case": f"/desk/cases/{case.pk}/",
        "desk-version": f"/desk/versions/{latest.pk}/",
        "desk-first-version": f"/desk/versions/{latest.pk - 1}/",
        "desk-history": f"/desk/cases/{case.pk}/history/",
        "desk-compare": f"/desk/cases/{case.pk}/compare/?a=1&b=2",
        "desk-case-edit": f"/desk/cases/{case.pk}/edit/",
        "desk-organization-edit": f"/desk/organizations/{organization.pk}/edit/",
    }


def feed_html(xml: bytes) -> list[str]:
    """What a feed reader renders as HTML: the text of Atom elements typed "html", and each link as an <a>.

    Elements without a type (titles) are plain text by the Atom spec and are shown as such.
    """
    root = ElementTree.fromstring(xml)  # noqa: S314 - our own output, in a test
    parts = []
    for element in root.iter():
        if element.attrib.get("type") in ("html", "xhtml"):
            parts.append(element.text or "")
        if element.tag.endswith("}link"):
            parts.append(f'<a href="{escape(element.attrib.get("href", ""))}">link</a>')
    return parts


def html_fields(data, path: str = "") -> dict[str, str]:
    """Every ``*_html`` value in an API response, by its path in the JSON."""
    found: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key.endswith("_html") and isinstance(value, str):
                found[f"{path}.{key}"] = value
            else:
                found.update(html_fields(value, f"{path}.{key}"))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.update(html_fields(value, f"{path}[{index}]"))
    return found


def test_every_field_written_through_the_desk_is_inert_on_every_page(demo, editor, reviewer):
    ed, rv, reader = Client(), Client(), Client()
    ed.force_login(editor)
    rv.force_login(reviewer)
    baseline_case = write_through_the_desk(0, ["Plain words,", "nothing hostile."], ed, rv)
    baseline = {}
    for name, url in case_pages(baseline_case).items():
        client = ed if name.startswith("desk") else reader
        baseline[name] = tag_counts(client.get(url).content.decode(), ACTIVE_TAGS)

    problems: dict[tuple[int, str], object] = {}
    for index, start in enumerate(range(0, len(XSS_CORPUS), GROUP), start=1):
        case = write_through_the_desk(index, XSS_CORPUS[start : start + GROUP], ed, rv)
        for name, url in case_pages(case).items():
            client = ed if name.startswith("desk") else reader
            response = client.get(url)
            html = response.content.decode()
            if response.status_code != 200:
                problems[(index, name)] = response.status_code
            elif unsafe_html(html):
                problems[(index, name)] = unsafe_html(html)
            elif tag_counts(html, ACTIVE_TAGS) != baseline[name]:
                problems[(index, name)] = tag_counts(html, ACTIVE_TAGS)
        # The API's HTML fields (rendered Markdown), which clients insert into their pages as they are.
        api = [f"/api/v1/cases/{case.slug}/", f"/api/v1/cases/{case.slug}/versions/1/"]
        api += [f"/api/v1/evaluation-versions/{v.pk}/" for v in case.evaluation_versions.all()]
        fields: dict[str, str] = {}
        for url in api:
            response = ed.get(url)
            assert response.status_code == 200, url
            fields.update({url + key: value for key, value in html_fields(response.json()).items()})
        assert any(key.endswith("narrative_html") for key in fields), fields.keys()
        for key, value in fields.items():
            if unsafe_html(value, untrusted=True):
                problems[(index, key)] = unsafe_html(value, untrusted=True)
    assert not problems, problems

    # Pages that list many cases, with every hostile case published.
    pages = ["/", "/?sort=oldest", "/organizations/"]
    pages += [f"/?search={word}" for word in ("alert", "script", "onerror", "javascript", "svg", "click")]
    hostile = Case.objects.exclude(pk=baseline_case.pk).filter(summary__contains="<script>")
    pages += [f"/?tag={tag.slug}" for tag in hostile.first().tags.all()]
    pages += [f"/?organization={p.organization.slug}" for p in hostile.first().parties.all()]
    for url in pages:
        response = reader.get(url)
        assert response.status_code == 200, url
        assert unsafe_html(response.content.decode()) == [], url
    search = reader.get("/?search=alert").content.decode()
    assert "<mark>" in search  # the snippets are highlighted, and the highlighting is the only markup added
    for url in ("/desk/", "/desk/cases/", "/desk/cases/?q=alert", "/desk/organizations/"):
        response = ed.get(url)
        assert response.status_code == 200 and unsafe_html(response.content.decode()) == [], url

    # Feeds: what a feed reader renders (the unescaped text) is inert too. Sitemap: only our own URLs.
    for url in ("/feeds/analyses/", "/feeds/corrections/"):
        response = reader.get(url)
        assert response.status_code == 200
        for text in feed_html(response.content):
            assert unsafe_html(text) == [], (url, text)
    for organization in Organization.objects.filter(description__contains="<")[:5]:
        base = f"/organizations/{organization.slug}"
        for url in (f"{base}/feed/", f"{base}/corrections/feed/"):
            for text in feed_html(reader.get(url).content):
                assert unsafe_html(text) == [], (url, text)
    sitemap = reader.get("/sitemap.xml").content
    tree = ElementTree.fromstring(sitemap)  # noqa: S314 - our own output, in a test
    locations = [el.text for el in tree.iter() if el.tag.endswith("loc")]
    on_site = re.escape(settings.SITE_URL) + r"/[a-z0-9/\-.]*"
    assert locations and all(re.fullmatch(on_site, loc) for loc in locations), locations
