"""Risk bands and classifications: the archive's filters, the API's schema and the labels read them
from the active rubric version, not from a list of their own."""

from __future__ import annotations

import copy

from drf_spectacular.generators import SchemaGenerator

from cases.models import Case
from evaluations import scoring
from evaluations.models import RubricVersion
from evaluations.selectors import rubric_vocabulary
from evaluations.services import rubric_versions

V1_BANDS = {"low": 0, "elevated": 40, "high": 70}


def test_bands_come_lowest_first_and_classifications_most_exposed_first():
    vocabulary = rubric_vocabulary([{"risk_bands": {"high": 70, "low": 0, "elevated": 40}}])
    assert vocabulary["risk_bands"] == [("low", "low"), ("elevated", "elevated"), ("high", "high")]
    assert [value for value, _ in vocabulary["classifications"]] == [c.value for c in scoring.SEVERITY]
    assert ("durable_leverage", "durable leverage") in vocabulary["classifications"]


def test_no_active_version_or_malformed_data_offers_no_band():
    assert rubric_vocabulary([])["risk_bands"] == []
    assert rubric_vocabulary([{"risk_bands": {"odd": "x"}}, {"risk_bands": None}, "junk"])["risk_bands"] == []
    two = rubric_vocabulary([{"risk_bands": {"low": 0, "high": 70}}, {"risk_bands": {"low": 0, "severe": 90}}])
    assert [name for name, _ in two["risk_bands"]] == ["low", "high", "severe"]


def activate_with_bands(admin_user, bands: dict) -> RubricVersion:
    """Clone the active version with these bands and activate it; the recompute runs after commit."""
    v1 = RubricVersion.objects.get(status=RubricVersion.Status.ACTIVE)
    draft = rubric_versions.rubric_version_clone(version=v1, by=admin_user)
    classification = {**copy.deepcopy(v1.classification), "risk_bands": bands}
    rubric_versions.rubric_version_update_draft(
        version=draft, by=admin_user, data={"version": {"classification": classification}}
    )
    return rubric_versions.rubric_version_activate(version=draft, by=admin_user)


def schema_enum(name: str) -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (parameter,) = [p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]["enum"]


def test_the_filters_and_the_schema_offer_the_demo_rubrics_bands(demo, client):
    assert sorted(schema_enum("risk_band")) == sorted(V1_BANDS)
    assert sorted(schema_enum("classification")) == sorted(c.value for c in scoring.Classification)
    page = client.get("/").content.decode()
    assert '<option value="elevated">elevated</option>' in page
    assert '<option value="temporary_workaround">temporary workaround</option>' in page


def test_a_new_active_version_brings_its_bands_to_the_filters_the_api_and_the_schema(
    demo, admin_user, client, django_capture_on_commit_callbacks
):
    assert client.get("/api/v1/cases/", {"risk_band": "high"}).status_code == 200  # v1's bands, now cached
    with django_capture_on_commit_callbacks(execute=True):
        activate_with_bands(admin_user, {"calm": 0, "tense": 40, "critical": 70})
    critical = set(Case.objects.filter(risk_summary__risk_band="critical").values_list("slug", flat=True))
    assert critical  # the summaries were recomputed under the new bands
    response = client.get("/api/v1/cases/", {"risk_band": "critical"})
    assert response.status_code == 200
    assert {row["slug"] for row in response.json()["results"]} == critical
    assert client.get("/api/v1/cases/", {"risk_band": "high"}).status_code == 400
    page = client.get("/", {"risk_band": "critical"}).content.decode()
    assert 'value="critical"' in page and 'value="high"' not in page
    assert sorted(schema_enum("risk_band")) == ["calm", "critical", "tense"]
