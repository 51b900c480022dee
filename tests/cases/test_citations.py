"""Citations: permanent versioned URLs, cite blocks, BibTeX that parses, CSL-JSON that validates, meta tags."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser

import bibtexparser
import jsonschema
import pytest
from django.urls import reverse

from cases import citations
from evaluations.models import RubricVersion
from tests.support.content import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db

# The part of the CSL-JSON schema an item of ours uses, transcribed from the Citation Style
# Language project's schema (citation-style-language/schema, csl-data.json, v1.0): the
# array of items, required id and type, the type vocabulary's entries we use, name and date
# variables in their structured forms, and the standard variables as strings.
CSL_NAME = {
    "type": "object",
    "properties": {
        "family": {"type": "string"},
        "given": {"type": "string"},
        "literal": {"type": "string"},
    },
    "additionalProperties": False,
}
CSL_DATE = {
    "type": "object",
    "properties": {
        "date-parts": {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": ["string", "number"]},
                "minItems": 1,
                "maxItems": 3,
            },
            "minItems": 1,
            "maxItems": 2,
        },
        "raw": {"type": "string"},
        "literal": {"type": "string"},
    },
    "additionalProperties": False,
}
CSL_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "type"],
        "properties": {
            "id": {"type": ["string", "number"]},
            "type": {"type": "string", "enum": ["article", "report", "webpage", "document", "standard"]},
            "title": {"type": "string"},
            "author": {"type": "array", "items": CSL_NAME},
            "issued": CSL_DATE,
            "accessed": CSL_DATE,
            "publisher": {"type": "string"},
            "container-title": {"type": "string"},
            "genre": {"type": "string"},
            "version": {"type": "string"},
            "URL": {"type": "string"},
            "note": {"type": "string"},
            "abstract": {"type": "string"},
        },
        "additionalProperties": False,
    },
}


class MetaTags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.tags.append((attrs["name"], attrs.get("content", "")))


def meta_of(html: str) -> dict[str, str]:
    parser = MetaTags()
    parser.feed(html)
    return dict(parser.tags)


def parse_bibtex(text: str):
    return bibtexparser.loads(text, parser=bibtexparser.bparser.BibTexParser(common_strings=True))


def test_the_case_page_cites_its_published_version_at_a_permanent_url(client, demo):
    response = client.get(reverse("case-detail", args=[COLOSSUS]))
    body = response.content.decode()
    permanent = f"https://moatwatch.example/cases/{COLOSSUS}/versions/1/"
    assert 'class="cite-block"' in body
    assert "Moatwatch, “xAI (SpaceX) leases all of Colossus 1 to Anthropic”, analysis version 1," in body
    assert f"{permanent}." in body
    assert "(Version 1) [Analysis]." in body  # APA
    tags = meta_of(body)
    assert tags["citation_title"] == "xAI (SpaceX) leases all of Colossus 1 to Anthropic"
    assert tags["citation_public_url"] == permanent
    assert tags["citation_author"] == "Moatwatch"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", tags["citation_publication_date"])
    assert tags["DC.identifier"] == permanent and tags["DC.creator"] == "Moatwatch"
    assert client.get(permanent.removeprefix("https://moatwatch.example")).status_code == 200


def test_bibtex_of_a_version_parses_and_says_what_it_cites(client, demo):
    response = client.get(reverse("case-version-cite", args=[COLOSSUS, 1, "bib"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    assert "attachment" in response["Content-Disposition"]
    database = parse_bibtex(response.content.decode())
    (entry,) = database.entries
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["ID"] == f"moatwatch-{COLOSSUS}-v1"
    assert entry["title"] == "xAI (SpaceX) leases all of Colossus 1 to Anthropic"
    assert entry["author"] == "{Moatwatch}"
    assert entry["url"] == f"https://moatwatch.example/cases/{COLOSSUS}/versions/1/"
    assert entry["version"] == "1"


def test_csl_json_of_a_version_validates_against_the_csl_schema(client, demo):
    response = client.get(reverse("case-version-cite", args=[COLOSSUS, 1, "json"]))
    assert response["Content-Type"].startswith("application/vnd.citationstyles.csl+json")
    data = json.loads(response.content)
    jsonschema.validate(data, CSL_SCHEMA)
    assert data[0]["URL"] == f"https://moatwatch.example/cases/{COLOSSUS}/versions/1/"


def test_the_schema_subset_can_fail():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "x", "type": "article", "issued": "2026-05-01"}], CSL_SCHEMA)


def test_awkward_titles_stay_valid_bibtex():
    citation = citations.Citation(
        key="k-1",
        title="Braces {unbalanced and 100% of $5 & #1_x ~ ^ \\ end",
        version=2,
        issued=date(2026, 5, 5),
        url="http://x.example/a_b%20c/",
        genre="Analysis",
        note="Line\nbreaks } too",
    )
    (entry,) = parse_bibtex(citations.bibtex(citation)).entries
    assert entry["ID"] == "k-1" and entry["version"] == "2"
    assert "unbalanced" in entry["title"] and "\n" not in entry["note"]
    jsonschema.validate(citations.csl_json(citation), CSL_SCHEMA)


def test_every_version_has_its_own_citation_and_a_correction_is_noted(client, demo, publish_second_version):
    publish_second_version(note="The lease is 300 MW.")
    (v1,) = parse_bibtex(client.get(reverse("case-version-cite", args=[COLOSSUS, 1, "bib"])).content.decode()).entries
    (v2,) = parse_bibtex(client.get(reverse("case-version-cite", args=[COLOSSUS, 2, "bib"])).content.decode()).entries
    assert v1["url"].endswith("/versions/1/") and v2["url"].endswith("/versions/2/")
    assert "Correction: The lease is 300 MW." in v2["note"]
    body = client.get(reverse("case-version", args=[COLOSSUS, 1])).content.decode()
    assert meta_of(body)["citation_public_url"].endswith("/versions/1/")
    assert "analysis version 1" in body
    assert meta_of(client.get(reverse("case-detail", args=[COLOSSUS])).content.decode())[
        "citation_public_url"
    ].endswith("/versions/2/")


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled"])
def test_unpublished_versions_and_draft_cases_have_no_citation(client, draft_case, unpublished_version, state):
    unpublished_version(state)  # number 2, with SECRET in its verdict
    for fmt in ("bib", "json"):
        assert client.get(reverse("case-version-cite", args=[COLOSSUS, 2, fmt])).status_code == 404
        assert client.get(reverse("case-version-cite", args=[draft_case.slug, 1, fmt])).status_code == 404
        body = client.get(reverse("case-version-cite", args=[COLOSSUS, 1, fmt])).content.decode().lower()
        assert SECRET not in body
    page = client.get(reverse("case-detail", args=[COLOSSUS])).content.decode().lower()
    assert SECRET not in page
    assert client.get(reverse("case-version-cite", args=[COLOSSUS, 1, "txt"])).status_code == 404


def test_a_rubric_version_is_citable_and_a_draft_one_is_not(client, demo):
    version = RubricVersion.objects.get(status="active")
    slug, number = version.rubric.slug, version.number
    body = client.get(reverse("rubric-version", args=[slug, number])).content.decode()
    assert 'class="cite-block"' in body and "Cite this rubric" in body
    tags = meta_of(body)
    assert tags["citation_public_url"] == f"https://moatwatch.example/rubric/{slug}/v{number}/"
    (entry,) = parse_bibtex(
        client.get(reverse("rubric-version-cite", args=[slug, number, "bib"])).content.decode()
    ).entries
    assert entry["type"] == "Rubric" and entry["version"] == str(number)
    data = json.loads(client.get(reverse("rubric-version-cite", args=[slug, number, "json"])).content)
    jsonschema.validate(data, CSL_SCHEMA)
    assert data[0]["type"] == "report"

    draft = RubricVersion.objects.create(rubric=version.rubric, number=number + 1, classification={})
    for fmt in ("bib", "json"):
        assert client.get(reverse("rubric-version-cite", args=[slug, draft.number, fmt])).status_code == 404
