"""Nothing unpublished reaches a reader: pages, search, feeds, sitemap, history, versions, compare."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .conftest import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db

READER_URLS = [
    ("home", {}, {}),
    ("home", {}, {"search": SECRET}),
    ("home", {}, {"search": "capacity"}),
    ("home", {}, {"organization": "secretco"}),
    ("case-detail", {"slug": COLOSSUS}, {}),
    ("case-history", {"slug": COLOSSUS}, {}),
    ("case-version", {"slug": COLOSSUS, "number": 1}, {}),
    ("organization-list", {}, {}),
    ("organization-detail", {"slug": "anthropic"}, {}),
    ("organization-detail", {"slug": "xai"}, {}),
    ("rubric-index", {}, {}),
    ("feed-analyses", {}, {}),
    ("feed-corrections", {}, {}),
    ("organization-feed", {"slug": "anthropic"}, {}),
    ("organization-corrections-feed", {"slug": "anthropic"}, {}),
    ("sitemap", {}, {}),
]


@pytest.mark.parametrize("state", ["draft", "in_review", "scheduled"])
def test_unpublished_versions_annotations_and_draft_cases_never_show(client, draft_case, unpublished_version, state):
    version = unpublished_version(state)
    note = version.annotations.get()
    for name, kwargs, params in READER_URLS:
        response = client.get(reverse(name, kwargs=kwargs), params)
        assert response.status_code == 200, (name, response.status_code)
        body = response.content.decode().lower()
        if params:  # the reader's own query is echoed in the form; look at the results and the rest
            body = body[body.index('id="results-h"') :]
            # The count, the chips and the no-results advice echo it too.
            body = re.sub(r'<div class="results-bar">.*?</div>|<div class="empty">.*?</div>', "", body, flags=re.S)
        assert SECRET not in body, name
        assert "secretco" not in body and "secret-deal" not in body, name
        assert f'id="note-{note.pk}"' not in body, name
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": version.number})).status_code == 404
    compare = client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), {"a": 1, "b": version.number})
    assert compare.status_code == 404
    for name in ("case-detail", "case-history"):
        assert client.get(reverse(name, kwargs={"slug": draft_case.slug})).status_code == 404
    assert client.get(reverse("case-version", kwargs={"slug": draft_case.slug, "number": 1})).status_code == 404
    # An organization named only by the draft case is not there at all.
    for name in ("organization-detail", "organization-feed"):
        assert client.get(reverse(name, kwargs={"slug": "secretco"})).status_code == 404


def test_a_superseded_version_stays_readable_but_its_successor_draft_does_not(
    client, demo, publish_second_version, unpublished_version
):
    publish_second_version()
    version = unpublished_version("draft")
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": 1})).status_code == 200
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": 2})).status_code == 200
    assert client.get(reverse("case-version", kwargs={"slug": COLOSSUS, "number": version.number})).status_code == 404
    assert client.get(reverse("case-compare", kwargs={"slug": COLOSSUS}), {"a": 1, "b": 2}).status_code == 200
