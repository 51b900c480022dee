"""The site read by other people's software, on the demo archive.

feedparser (every feed parses cleanly, each with its own id), openapi-spec-validator
(the schema) and jsonschema (every API response crawled from the demo, exports
included, against the schema it declares), lxml with the sitemaps XSD (vendored in
this folder), html5lib's strict parser (every reader and desk page), and pandas
(both exports, numeric columns, as many rows as the API lists).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import feedparser
import html5lib
import jsonschema
import pandas as pd
import pytest
from lxml import etree
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from cases.models import Case, Organization
from cases.selectors import organizations_visible
from evaluations.models import EvaluationVersion
from evaluations.services import workflow
from tests.support.accounts import PASSWORD
from tests.support.api import openapi_path

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Feeds ---------------------------------------------------------------------------


def feed_urls() -> list[str]:
    urls = ["/feeds/analyses/", "/feeds/corrections/"]
    for slug in (
        Organization.objects.filter(parties__case__status="published").distinct().values_list("slug", flat=True)
    ):
        urls += [f"/organizations/{slug}/feed/", f"/organizations/{slug}/corrections/feed/"]
    return urls


def test_every_feed_parses_cleanly_with_its_own_id(client, demo):
    ids: dict[str, str] = {}
    for url in feed_urls():
        parsed = feedparser.parse(_body(client.get(url)))
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        assert parsed.version == "atom10", url
        assert parsed.feed.get("author"), url
        assert parsed.feed.id not in ids, (url, ids.get(parsed.feed.id))
        ids[parsed.feed.id] = url
        for entry in parsed.entries:
            assert entry.id and entry.link and entry.published_parsed, (url, entry)
    assert len(ids) == len(feed_urls()) > 4


# --- OpenAPI -------------------------------------------------------------------------


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` and boolean exclusive bounds as JSON Schema says them, recursively."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _json_schema(value) for key, value in node.items()}
    for bound in ("Maximum", "Minimum"):  # 3.0's boolean exclusiveMaximum: a number in JSON Schema
        if node.get(f"exclusive{bound}") is True:
            node[f"exclusive{bound}"] = node.pop(bound.lower())
        elif node.get(f"exclusive{bound}") is False:
            del node[f"exclusive{bound}"]
    if node.pop("nullable", False):
        if "enum" in node:
            node["enum"] = [*node["enum"], None]
        if "type" in node:
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


class ResponseChecker:
    def __init__(self, document: dict) -> None:
        self.document = document
        resource = Resource.from_contents(_json_schema(document), default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:openapi", resource)
        self.checked = 0

    def check(self, path: str, response) -> None:
        template = openapi_path(path)
        operation = self.document["paths"][template]["get"]
        content = operation["responses"][str(response.status_code)]["content"]
        media = response["Content-Type"].split(";")[0]
        declared = content[media]["schema"]
        schema = _json_schema(declared)
        validator = jsonschema.Draft202012Validator(
            self._rooted(schema), registry=self.registry, format_checker=jsonschema.FormatChecker()
        )
        errors = sorted(validator.iter_errors(json.loads(_body(response))), key=str)
        assert not errors, (path, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])
        self.checked += 1

    def _rooted(self, node):
        if isinstance(node, list):
            return [self._rooted(item) for item in node]
        if isinstance(node, dict):
            return {
                key: ("urn:openapi" + value if key == "$ref" and value.startswith("#") else self._rooted(value))
                for key, value in node.items()
            }
        return node


def test_schema_is_valid_openapi_and_every_response_matches_it(client, demo):
    document = json.loads(client.get("/api/v1/schema/", {"format": "json"}).content)
    validate_openapi(document)
    checker = ResponseChecker(document)
    paths = ["/api/v1/cases/?page_size=100", "/api/v1/organizations/?page_size=100", "/api/v1/rubrics/"]
    for slug in Case.objects.published().values_list("slug", flat=True):
        paths += [f"/api/v1/cases/{slug}/", f"/api/v1/cases/{slug}/versions/"]
    # Organizations a reader can look up (the demo's SpaceX and Alphabet are named only by relationships).
    for slug in organizations_visible().values_list("slug", flat=True):
        paths += [f"/api/v1/organizations/{slug}/", f"/api/v1/organizations/{slug}/web/"]
    paths += ["/api/v1/graph/?collapse=1", "/api/v1/organizations/anthropic/graph/"]
    paths.append("/api/v1/compare/?cases=xai-anthropic-colossus-1,amazon-anthropic")
    for version in EvaluationVersion.objects.filter(state="published").select_related("case")[:5]:
        paths.append(f"/api/v1/evaluation-versions/{version.pk}/")
    paths.append("/api/v1/export/cases.json")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        checker.check(path.split("?")[0], response)
    assert checker.checked == len(paths)


# --- Sitemap -------------------------------------------------------------------------


def test_sitemap_validates_against_the_sitemaps_xsd(client, demo):
    schema = etree.XMLSchema(etree.parse(str(HERE / "sitemap.xsd")))
    document = etree.fromstring(_body(client.get("/sitemap.xml")))
    assert schema.validate(document), schema.error_log
    locations = document.findall("{http://www.sitemaps.org/schemas/sitemap/0.9}url")
    assert len(locations) >= Case.objects.published().count()


# --- HTML ----------------------------------------------------------------------------


def _strict_parse(url: str, html: bytes) -> None:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        document = parser.parse(html)
    except html5lib.html5parser.ParseError as exc:
        raise AssertionError(f"{url}: {exc} at {parser.errors[:1]}") from None
    ids = {el.get("id") for el in document.iter() if el.get("id")}
    for element in document.iter():
        for name in ("aria-describedby", "aria-labelledby"):
            for target in (element.get(name) or "").split():
                assert target in ids, f"{url}: {name}={target!r} on <{element.tag}> points at nothing"
        if element.tag == "p":
            blocks = [child.tag for child in element.iter() if child.tag in {"div", "ul", "ol", "table", "p"}]
            assert blocks == ["p"], f"{url}: block elements inside <p>: {blocks}"


def reader_pages() -> list[str]:
    urls = ["/", "/organizations/", "/rubric/", "/accounts/login/"]
    for case in Case.objects.published():
        urls += [f"/cases/{case.slug}/", f"/cases/{case.slug}/history/", f"/cases/{case.slug}/versions/1/"]
    for slug in (
        Organization.objects.filter(parties__case__status="published").distinct().values_list("slug", flat=True)
    ):
        urls.append(f"/organizations/{slug}/")
    return urls


def test_every_reader_page_parses_strictly(client, demo):
    from evaluations.models import RubricVersion

    urls = reader_pages() + [
        f"/rubric/{v.rubric.slug}/v{v.number}/" for v in RubricVersion.objects.exclude(status="draft")
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        _strict_parse(url, response.content)


def test_every_desk_page_parses_strictly(client, demo, editor):

    case = Case.objects.published().first()
    draft = workflow.evaluation_version_start(case=case, by=editor)
    organization = Organization.objects.first()
    client.login(username=editor.username, password=PASSWORD)
    urls = ["/desk/", "/desk/cases/", "/desk/cases/new/", "/desk/organizations/"]
    urls += [f"/desk/organizations/{organization.pk}/edit/"]
    for pk in Case.objects.values_list("pk", flat=True)[:6]:
        urls += [f"/desk/cases/{pk}/", f"/desk/cases/{pk}/edit/", f"/desk/cases/{pk}/history/"]
    urls += [f"/desk/versions/{draft.pk}/", f"/desk/versions/{draft.pk}/edit/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _strict_parse(url, response.content)
    # A form with errors follows the same rules (error ids, no blocks in paragraphs).
    score = draft.scores.select_related("criterion").first()
    field = f"s-{score.criterion.key}-{score.party_id or 'deal'}-value"
    response = client.post(
        f"/desk/versions/{draft.pk}/edit/", {"lock_version": draft.lock_version, "save": "1", field: "99"}
    )
    assert response.status_code == 400 and b'aria-invalid="true"' in response.content
    _strict_parse("version edit with errors", response.content)
    html = client.get(f"/desk/versions/{draft.pk}/edit/").content.decode()
    party = case.parties.select_related("organization").first()
    key = draft.scores.first().criterion.key.replace("_", " ")
    assert f"Score: {key}, " in html and party.organization.name in html


# --- pandas --------------------------------------------------------------------------


def test_pandas_reads_both_exports_with_numeric_columns(client, demo):
    count = len(client.get("/api/v1/cases/", {"page_size": 100}).json()["results"])
    csv = pd.read_csv(io.BytesIO(_body(client.get("/api/v1/export/cases.csv"))))
    rows = pd.read_json(io.BytesIO(_body(client.get("/api/v1/export/cases.json"))))
    for frame in (csv, rows):
        assert len(frame) == count == Case.objects.published().count()
        for column in ("risk_index", "capacity_mw", "rubric_version", "evaluation_version"):
            assert pd.api.types.is_numeric_dtype(frame[column]), (column, frame[column].dtype)
        assert frame["risk_index"].max() == pytest.approx(
            float(
                Case.objects.published()
                .order_by("-risk_summary__risk_index")
                .values_list("risk_summary__risk_index", flat=True)[0]
            )
        )
    assert (pd.to_datetime(csv["first_published_at"]) == pd.to_datetime(rows["first_published_at"])).all()
