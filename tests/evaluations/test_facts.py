"""Facts are part of the versioned record: once a case is published its facts change only through a version.

The failure as reproduced: the desk's "Edit case, parties and sources" on a published case
changed the reader page at once, unreviewed and untraced. Now the edit goes into a draft's
facts; readers see it once the version is reviewed and published (as an update or a
correction), history and compare show it, and the record freezes it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.test import Client
from django.utils import timezone

from cases import relationships
from cases import services as case_services
from cases.facts import case_facts
from cases.models import Case, Organization, OrganizationRedirect
from core.errors import TransitionNotAllowed
from evaluations.models import EvaluationVersion
from evaluations.services import publishing, workflow
from tests.support.content import COLOSSUS
from tests.support.payloads import formset

pytestmark = pytest.mark.django_db


def _desk_payload(case: Case, **changes) -> dict:
    """The desk's case form as it loads for ``case`` (its facts), with ``changes`` made."""
    facts = case_facts(case)
    ids = dict(Organization.objects.values_list("slug", "pk"))
    data = {
        **{name: "" if facts[name] is None else str(facts[name]) for name in Case.FACT_FIELDS},
        "deal_types": facts["deal_types"],
        "tags": ", ".join(facts["tags"]),
    }
    data.update(changes)
    parties = [
        {"organization": str(ids[p["organization"]]), "role": p["role"], "note": p["note"]} for p in facts["parties"]
    ]
    sources = [
        {key: "" if item[key] is None else item[key] for key in item if key != "id"} for item in facts["sources"]
    ]
    data.update(formset("parties", parties, extra=1))
    data.update(formset("sources", sources, extra=1, blank={"published_precision": "day"}))
    return data


def _publish(version: EvaluationVersion, editor, reviewer, note: str = "") -> EvaluationVersion:
    version = workflow.evaluation_version_submit(version=version, by=editor)
    return workflow.evaluation_version_approve(version=version, by=reviewer, correction_note=note)


def test_a_desk_edit_of_a_published_case_goes_into_a_draft_and_public_only_when_published(
    demo, editor, reviewer, client
):
    case = Case.objects.get(slug=COLOSSUS)
    old_title = case.title
    client.force_login(editor)
    form = client.get(f"/desk/cases/{case.pk}/edit/")
    assert form.status_code == 200 and "its facts change only through a version" in form.content.decode()
    response = client.post(f"/desk/cases/{case.pk}/edit/", _desk_payload(case, title="Colossus, retitled"))
    draft = EvaluationVersion.objects.get(case=case, state="draft")
    assert response.status_code == 302 and response["Location"] == f"/desk/versions/{draft.pk}/"
    assert draft.facts["title"] == "Colossus, retitled"
    version_page = client.get(f"/desk/versions/{draft.pk}/").content.decode()
    assert "This version changes 1 fact of the case" in version_page
    assert "<ins>Colossus, retitled</ins>" in version_page
    # Nothing went public: the case's row, its reader page and the API still read the published facts.
    case.refresh_from_db()
    assert case.title == old_title
    reader = Client()
    assert "Colossus, retitled" not in reader.get(f"/cases/{COLOSSUS}/").content.decode()
    assert reader.get(f"/api/v1/cases/{COLOSSUS}/").json()["title"] == old_title
    # Editing again reopens the same draft's facts, guarded by its lock.
    again = client.get(f"/desk/cases/{case.pk}/edit/").content.decode()
    assert "Colossus, retitled" in again and f'name="lock" value="{draft.lock_version}"' in again
    stale = _desk_payload(case, title="A stale edit", lock=str(draft.lock_version - 1))
    assert client.post(f"/desk/cases/{case.pk}/edit/", stale).status_code == 400
    draft.refresh_from_db()
    assert draft.facts["title"] == "Colossus, retitled"

    # The reviewer publishes it as a correction: now readers see it, in the corrections too.
    client.force_login(reviewer)
    workflow.evaluation_version_submit(version=draft, by=editor)
    response = client.post(f"/desk/versions/{draft.pk}/approve/", {"correction_note": "The title was wrong."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "Colossus, retitled"
    assert "Colossus, retitled" in reader.get(f"/cases/{COLOSSUS}/").content.decode()
    assert "The title was wrong." in reader.get("/feeds/corrections/").content.decode()
    compare = reader.get(f"/api/v1/cases/{COLOSSUS}/versions/compare/", {"a": 1, "b": draft.number}).json()
    assert [c["field"] for c in compare["facts"]] == ["title"]
    assert compare["facts"][0] == {"field": "title", "before": old_title, "after": "Colossus, retitled"}
    page = reader.get(f"/cases/{COLOSSUS}/compare/", {"a": 1, "b": draft.number}).content.decode()
    assert "Facts of the case" in page and f"<del>{old_title}</del>" in page
    history = reader.get(f"/cases/{COLOSSUS}/history/").content.decode()
    assert "Facts of the case changed: Title" in history


def test_a_desk_edit_while_the_version_is_in_review_is_refused(demo, editor, client):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    workflow.evaluation_version_submit(version=draft, by=editor)
    client.force_login(editor)
    response = client.post(f"/desk/cases/{case.pk}/edit/", _desk_payload(case, title="Sneaked in"))
    assert response.status_code == 302 and response["Location"] == f"/desk/versions/{draft.pk}/"
    draft.refresh_from_db()
    assert draft.facts["title"] == case.title and Case.objects.get(pk=case.pk).title == case.title


def test_the_case_services_refuse_a_published_case_and_name_the_way(demo, editor):
    case = Case.objects.get(slug=COLOSSUS)
    party, source = case.parties.first(), case.sources.first()
    refusals = [
        lambda: case_services.case_update(
            case=case,
            by=editor,
            data=case_services.CaseInput(title="Live edit", summary=case.summary, announced_on=case.announced_on),
        ),
        lambda: case_services.party_remove(party=party, by=editor),
        lambda: case_services.source_delete(source=source, by=editor),
        lambda: case_services.source_add(
            case=case, by=editor, data=case_services.SourceInput("P", "T", "https://example.com/t")
        ),
        lambda: case_services.timeline_event_add(case=case, by=editor, kind="expanded", occurred_on=case.announced_on),
    ]
    for refused in refusals:
        with pytest.raises(TransitionNotAllowed, match="Edit the facts in a draft version"):
            refused()
    assert Case.objects.get(pk=case.pk).title == case.title and case.parties.filter(pk=party.pk).exists()


def test_a_never_published_case_stays_freely_editable_and_its_first_publication_records_its_facts(
    draft_case, editor, reviewer
):
    data = case_services.CaseInput(title="Renamed draft", summary="s", announced_on=draft_case.announced_on)
    assert case_services.case_update(case=draft_case, by=editor, data=data).title == "Renamed draft"
    version = workflow.evaluation_version_start(case=draft_case, by=editor)
    assert version.facts == {}
    with pytest.raises(ValidationError, match="never published"):
        workflow.evaluation_version_save(
            version=version, by=editor, expected_lock=version.lock_version, facts={"title": "x"}
        )


def test_api_facts_through_a_version(demo, editor, reviewer, client_for):
    editors, reviewers, anonymous = client_for(editor), client_for(reviewer), client_for(None)
    case = Case.objects.get(slug=COLOSSUS)
    before = case_facts(case)
    # The case's own write paths: 409, naming the way; nothing changes.
    url = f"/api/v1/cases/{COLOSSUS}/"
    response = editors.patch(url, {"title": "Live"}, format="json")
    assert response.status_code == 409 and "draft version" in response.json()["detail"]
    party = {"organization": "openai", "role": "partner"}
    assert editors.post(f"{url}parties/", party, format="json").status_code == 409
    assert editors.delete(f"{url}parties/{before['parties'][0]['organization']}/").status_code == 409
    source = {"publisher": "P", "title": "T", "url": "https://example.com/t"}
    assert editors.post(f"{url}sources/", source, format="json").status_code == 409
    assert editors.put(f"{url}sources/{before['sources'][0]['id']}/", source, format="json").status_code == 409
    assert editors.delete(f"{url}sources/{before['sources'][0]['id']}/").status_code == 409
    assert case_facts(Case.objects.get(pk=case.pk)) == before

    started = editors.post(f"/api/v1/cases/{COLOSSUS}/evaluations/")
    assert started.status_code == 201
    version = started.json()
    assert version["facts"]["title"] == before["title"] and version["facts"]["parties"] == before["parties"]
    vurl = f"/api/v1/evaluation-versions/{version['id']}/"
    etag = started["ETag"]
    # Bad facts: a 400 by field, nothing written.
    for bad, field in (
        ({"value_low_usd": 9, "value_high_usd": 1}, "facts.value_high_usd"),
        ({"parties": [{"organization": "no-such-org", "role": "partner"}]}, "facts.parties[0].organization"),
        ({"parties": [{"organization": "openai", "role": "overlord"}]}, "facts.parties[0].role"),
        ({"announced_on": "yesterday"}, "facts.announced_on"),
        ({"slug": "elsewhere"}, "facts.slug"),
        ({"colour": "red"}, "facts.colour"),
        ({"deal_types": ["no-such-type"]}, "facts.deal_types"),
    ):
        response = editors.patch(vurl, {"facts": bad}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400 and field in response.json(), (bad, response.content)
    # A party added and a title changed; lists given replace the lists held.
    parties = [*before["parties"], {"organization": "openai", "role": "partner", "note": "observer"}]
    response = editors.patch(
        vurl, {"facts": {"title": "Colossus via the API", "parties": parties}}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.content
    facts = response.json()["facts"]
    assert facts["title"] == "Colossus via the API" and facts["summary"] == before["summary"]
    assert [p["organization"] for p in facts["parties"]] == [p["organization"] for p in parties]
    assert anonymous.get(url).json()["title"] == before["title"]
    assert not case.parties.filter(organization__slug="openai").exists()  # no row before publication

    editors.post(f"{vurl}submit/", {}, format="json")
    assert reviewers.post(f"{vurl}publish/", {}, format="json").status_code == 200
    published = anonymous.get(url).json()
    assert published["title"] == "Colossus via the API"
    assert [p["organization"] for p in published["parties"]][-1] == "openai"
    assert anonymous.get(vurl).json()["facts"]["title"] == "Colossus via the API"
    compare = anonymous.get(f"{url}versions/compare/", {"a": 1, "b": version["number"]}).json()
    assert [c["field"] for c in compare["facts"]] == ["title", "parties"]


def test_a_party_scored_on_the_record_cannot_be_dropped_and_a_dropped_party_loses_the_drafts_scores(demo, editor):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    scored = draft.scores.exclude(party=None).first().party
    kept = [p for p in draft.facts["parties"] if p["organization"] != scored.organization.slug]
    with pytest.raises(ValidationError) as refused:
        workflow.evaluation_version_save(
            version=draft, by=editor, expected_lock=draft.lock_version, facts={"parties": kept}
        )
    assert "facts.parties" in refused.value.message_dict


def test_published_facts_are_frozen_by_the_database(demo, editor, reviewer):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    draft = workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, facts={"value_note": "revised"}
    )
    published = _publish(draft, editor, reviewer)
    assert published.facts["value_note"] == "revised" and Case.objects.get(pk=case.pk).value_note == "revised"
    for version in (published, EvaluationVersion.objects.get(case=case, number=1)):
        with pytest.raises(DatabaseError), transaction.atomic():
            EvaluationVersion.objects.filter(pk=version.pk).update(facts={"title": "rewritten"})
    assert EvaluationVersion.objects.get(pk=published.pk).facts["value_note"] == "revised"


def test_a_drafts_facts_follow_the_text_rule_and_nothing_is_written(demo, editor):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    held = dict(draft.facts)
    party = {**held["parties"][0], "note": "a\x00b"}
    for bad, field in (
        ({"title": "x\x00y"}, "facts.title"),
        ({"parties": [party, *held["parties"][1:]]}, "facts.parties[0].note"),
        ({"timeline": [{"kind": "expanded", "occurred_on": "2026-01-01", "note": "\x00"}]}, "facts.timeline[0].note"),
        ({"deal_types": ["compute\x00lease"]}, "facts.deal_types"),
        ({"parties": [{"organization": "open\x00ai", "role": "partner"}]}, "facts.parties[0].organization"),
    ):
        with pytest.raises(ValidationError) as refused:
            workflow.evaluation_version_save(version=draft, by=editor, expected_lock=draft.lock_version, facts=bad)
        assert field in refused.value.message_dict, (bad, refused.value.message_dict)
    draft.refresh_from_db()
    assert draft.facts == held and draft.lock_version == 1


def _schedule(version: EvaluationVersion, editor, reviewer) -> EvaluationVersion:
    version = workflow.evaluation_version_submit(version=version, by=editor)
    when = timezone.now() + timedelta(hours=1)
    return workflow.evaluation_version_approve(version=version, by=reviewer, publish_at=when)


@pytest.mark.parametrize("change", ["merge", "rename"])
def test_a_scheduled_draft_naming_an_organization_merged_or_renamed_since_still_publishes(
    demo, editor, reviewer, admin_user, change
):
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    old_slug = draft.facts["parties"][0]["organization"]
    organization = Organization.objects.get(slug=old_slug)
    scheduled = _schedule(draft, editor, reviewer)
    if change == "merge":
        target = case_services.organization_create(by=admin_user, name="Holding Group", kind=organization.kind)
        relationships.organization_merge(by=admin_user, source=organization, target=target)
    else:
        target = case_services.organization_update(organization=organization, by=admin_user, slug="renamed-lab")
    assert OrganizationRedirect.objects.get(old_slug=old_slug).organization == target
    moved = Client().get(f"/organizations/{old_slug}/")
    assert (moved.status_code, moved["Location"]) == (301, f"/organizations/{target.slug}/")

    assert publishing.evaluation_versions_publish_due(now=timezone.now() + timedelta(hours=2)) == 1
    scheduled.refresh_from_db()
    assert scheduled.state == "published"
    assert case.parties.filter(organization=target).exists()
    assert not Organization.objects.filter(slug=old_slug).exists()


def test_publish_due_publishes_the_others_when_one_no_longer_holds(demo, editor, reviewer, monkeypatch):
    cases = list(Case.objects.filter(status="published").order_by("pk")[:2])
    broken, fine = (_schedule(workflow.evaluation_version_start(case=c, by=editor), editor, reviewer) for c in cases)
    apply = publishing.version_facts_publish

    def refuse_one(version: EvaluationVersion) -> None:
        if version.pk == broken.pk:
            raise ValidationError({"facts.sources": ["a source cited by a published analysis stays on the record"]})
        apply(version)

    monkeypatch.setattr(publishing, "version_facts_publish", refuse_one)
    assert publishing.evaluation_versions_publish_due(now=timezone.now() + timedelta(hours=2)) == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.state, fine.state) == ("scheduled", "published")
