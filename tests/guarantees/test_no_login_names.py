"""Readers never see anyone's login name: not in the API, not on pages or feeds."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cases.models import Case
from evaluations.models import EvaluationVersion

pytestmark = pytest.mark.django_db


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_api_names_authors_by_display_name(published, editor):
    editor.first_name, editor.last_name = "Edith", "Tor"
    editor.save()
    response = Client().get(f"/api/v1/evaluation-versions/{published.pk}/")
    assert response.status_code == 200
    assert response.json()["author"] == "Edith Tor"
    nameless = EvaluationVersion.objects.public().exclude(author=editor).select_related("author").first()
    nameless.author.first_name = nameless.author.last_name = ""
    nameless.author.save()
    author = Client().get(f"/api/v1/evaluation-versions/{nameless.pk}/").json()["author"]
    assert author == "Moatwatch newsroom" and author != nameless.author.username


def test_no_public_response_contains_a_login_name(published, editor, reviewer):
    usernames = set(get_user_model().objects.values_list("username", flat=True))
    client = Client()
    case = published.case
    urls = [
        "/api/v1/cases/",
        f"/api/v1/cases/{case.slug}/",
        f"/api/v1/cases/{case.slug}/versions/",
        f"/api/v1/cases/{case.slug}/versions/{published.number}/",
        f"/api/v1/evaluation-versions/{published.pk}/",
        "/api/v1/organizations/",
        "/api/v1/rubrics/",
        "/api/v1/export/cases.json",
        f"/cases/{case.slug}/",
        f"/cases/{case.slug}/history/",
        f"/cases/{case.slug}/versions/{published.number}/",
        "/feeds/analyses/",
        "/feeds/corrections/",
    ]
    assert Case.objects.published().exists()
    leaks = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if response["Content-Type"].startswith("application/json"):
            values = set(_strings(json.loads(body)))
            leaks += [(url, name) for name in usernames if name in values]
        else:
            text = body.decode()
            leaks += [(url, name) for name in usernames if f">{name}<" in text or f"by {name}" in text]
    assert leaks == []
