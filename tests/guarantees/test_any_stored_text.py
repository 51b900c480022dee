"""Any stored string renders: a property test through every renderer (issue 14, "What to build" 1).

The door (core.text) refuses control and private-use characters, but text
stored before the rule, or written by hand, can hold anything the database
takes. Here arbitrary Unicode (with the renderers' own marker characters,
controls, bidirectional and zero-width characters mixed in) is written
straight into every free-text column of a published case, bypassing the
services as old data would, and every page, feed, sitemap, export and API
read of it must answer 200 with a well-formed body.
"""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case, CaseSearchDocument, Organization, Party, Source, Tag, TimelineEvent
from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.models import Annotation, EvaluationVersion, Score

pytestmark = pytest.mark.django_db

SPECIAL = [
    "\ue000", "\ue001", "\ue010", "\ue011", "\ue012", "1", "\ue0101\ue011", "\ue0121\ue011",  # markers, forged
    "&#xE010;", "&#57360;", "&#x0C;", "&#0;",  # character references the Markdown renderer decodes
    "\x0c", "\x0b", "\x1b", "\x7f", "\x85", "\r", "\r\n", "\t", "\n\n",  # controls and line endings
    "\u202e", "\u202d", "\u2067", "\u2069", "\u200f", "\u200e",  # bidi
    "\u200b", "\u200d", "\ufeff", "\u2060",  # zero-width
    "\ufffe", "\uffff", "\ufdd0", "\U0010ffff",  # non-characters
    "<mark>", "</mark>", "<script>", "&", "\"'", "]]>", "=", "@", "*", "_", "`", "[a](b)", "# ", "> ", "- ",
]  # fmt: skip


def _texts() -> st.SearchStrategy[str]:
    # PostgreSQL's text cannot hold NUL (it is refused at the door anyway); SQLite can.
    exclude = ["Cs"] if connection.vendor != "postgresql" else ["Cs", "Cc"]
    pieces = st.one_of(
        st.sampled_from(SPECIAL),
        st.characters(exclude_categories=exclude),
        st.characters(min_codepoint=1, max_codepoint=0x1F),  # C0 controls, NUL left out
    )
    return st.lists(pieces, max_size=12).map("".join)


def _nonempty() -> st.SearchStrategy[str]:
    return _texts().filter(lambda s: s.strip() != "")


def _get(client, url: str, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return b"".join(response.streaming_content) if response.streaming else response.content


def _xml(body: bytes) -> None:
    ElementTree.fromstring(body)  # noqa: S314 - our own output, checked for well-formedness


@pytest.fixture
def stage(published, editor):
    version = published
    case = version.case
    party = case.parties.select_related("organization").first()
    tag = Tag.objects.create(name="probe", slug="probe")
    case.tags.add(tag)
    return {
        "version": version,
        "case": case,
        "organization": party.organization,
        "party": party,
        "source": case.sources.first(),
        "annotation": version.annotations.first(),
        "score": version.scores.first(),
        "tag": tag,
        "editor": editor,
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=_texts(), b=_nonempty(), c=_texts(), d=_texts())
def test_every_renderer_takes_any_stored_text(stage, client, a, b, c, d):
    version, case, organization = stage["version"], stage["case"], stage["organization"]
    Organization.objects.filter(pk=organization.pk).update(name=f"Org {a}"[:200], description=c)
    Case.objects.filter(pk=case.pk).update(title=f"{b}{a}"[:300], summary=c, value_note=d, capacity_note=a)
    Party.objects.filter(pk=stage["party"].pk).update(note=d[:300])
    Source.objects.filter(pk=stage["source"].pk).update(publisher=a[:300], title=b[:500], claim=c)
    TimelineEvent.objects.filter(case=case).update(note=d)
    Tag.objects.filter(pk=stage["tag"].pk).update(name=f"tag {b}"[:100])
    CaseSearchDocument.objects.filter(case_id=case.pk).update(
        title=b, summary=f"Zanzibar {a} Zanzibar", analysis=c, sources=d
    )
    with frozen_writes_allowed():
        EvaluationVersion.objects.filter(pk=version.pk).update(
            narrative=f"{a}{b}{c}", verdict=d[:300], change_note=a, correction_note=c
        )
        Annotation.objects.filter(pk=stage["annotation"].pk).update(quote=b, prefix="", suffix="", body=d)
        Score.objects.filter(pk=stage["score"].pk).update(rationale=f"{c}{a}")

    slug, number = case.slug, version.number
    pages = [
        case.get_absolute_url(),
        reverse("case-history", kwargs={"slug": slug}),
        reverse("case-version", kwargs={"slug": slug, "number": number}),
        reverse("case-compare", kwargs={"slug": slug}) + f"?a=1&b={number}",
        organization.get_absolute_url(),
        reverse("organization-list"),
        reverse("home"),
    ]
    for url in pages:
        _get(client, url)
    _get(client, reverse("home"), search="Zanzibar")
    for name, kwargs in [
        ("feed-analyses", {}),
        ("feed-corrections", {}),
        ("organization-feed", {"slug": organization.slug}),
        ("organization-corrections-feed", {"slug": organization.slug}),
        ("sitemap", {}),
    ]:
        _xml(_get(client, reverse(name, kwargs=kwargs)))
    for url in (
        f"/api/v1/cases/{slug}/",
        f"/api/v1/cases/{slug}/versions/{number}/",
        f"/api/v1/organizations/{organization.slug}/",
        "/api/v1/cases/",
    ):
        json.loads(_get(client, url))
    json.loads(_get(client, "/api/v1/export/cases.json"))
    rows = list(csv.reader(io.StringIO(_get(client, "/api/v1/export/cases.csv").decode(), newline="")))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows[1:] for cell in row)

    client.force_login(stage["editor"])
    for url in (
        reverse("desk-case", args=[case.pk]),
        reverse("desk-version", args=[version.pk]),
        reverse("desk-history", args=[case.pk]),
        reverse("desk-compare", args=[case.pk]) + f"?a=1&b={number}",
        reverse("desk-case-edit", args=[case.pk]),
        reverse("desk-organizations"),
    ):
        _get(client, url)
    client.logout()
