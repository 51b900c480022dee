"""One organization may hold several roles in a deal (investor and customer): each role is its own
party row, scored on its own, on every write path (services, desk, API, a version's facts, demo loader)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases import services
from cases.models import Case, Organization, Party
from evaluations import demo
from evaluations.models import EvaluationVersion, PartyFigure
from evaluations.services import workflow
from evaluations.services.facts import version_party_ids
from evaluations.services.recompute import risk_summaries_recompute
from tests.support.content import publish_facts
from tests.support.payloads import CASE_BODY, case_payload
from tests.support.refusals import case_input


@pytest.fixture
def orgs(demo):
    return Organization.objects.get(slug="anthropic"), Organization.objects.get(slug="xai")


def roles(case: Case) -> list[tuple[str, str]]:
    return list(case.parties.order_by("position").values_list("organization__slug", "role"))


def test_a_case_with_one_organization_in_two_roles(orgs, editor):
    anthropic, xai = orgs
    parties = (
        services.PartyInput(organization_id=xai.pk, role="investor"),
        services.PartyInput(organization_id=xai.pk, role="customer"),
        services.PartyInput(organization_id=anthropic.pk, role="provider"),
    )
    case = services.case_create(by=editor, data=case_input(parties=parties))
    assert roles(case) == [("xai", "investor"), ("xai", "customer"), ("anthropic", "provider")]
    with pytest.raises(ValidationError) as refused:
        services.case_create(by=editor, data=case_input(title="Again", parties=(*parties, parties[0])))
    assert "already a party in this role" in str(refused.value.message_dict["parties[3].organization"])
    with pytest.raises(ValidationError):
        services.party_add(case=case, by=editor, data=parties[1])
    services.party_add(case=case, by=editor, data=services.PartyInput(organization_id=xai.pk, role="partner"))
    assert len(roles(case)) == 4


def test_the_database_refuses_the_same_role_twice_but_not_two_roles(orgs, draft_case):
    _, xai = orgs
    Party.objects.create(case=draft_case, organization=xai, role="investor")
    Party.objects.create(case=draft_case, organization=xai, role="customer")
    with pytest.raises(IntegrityError), transaction.atomic():
        Party.objects.create(case=draft_case, organization=xai, role="customer")


def test_an_edit_keeps_each_role_s_row_and_a_changed_role_keeps_its_row(orgs, editor):
    _anthropic, xai = orgs
    case = services.case_create(
        by=editor,
        data=case_input(
            parties=(
                services.PartyInput(organization_id=xai.pk, role="investor"),
                services.PartyInput(organization_id=xai.pk, role="customer"),
            )
        ),
    )
    investor, customer = case.parties.order_by("position")
    # Reordered, and the investor becomes a partner: the rows stay (their scores with them).
    services.case_update(
        case=case,
        by=editor,
        data=case_input(
            parties=(
                services.PartyInput(organization_id=xai.pk, role="customer"),
                services.PartyInput(organization_id=xai.pk, role="partner"),
            )
        ),
    )
    assert dict(case.parties.values_list("pk", "role")) == {customer.pk: "customer", investor.pk: "partner"}


def test_the_desk_form_saves_two_roles_of_one_organization(orgs, client, editor):
    anthropic, _ = orgs
    client.force_login(editor)
    rows = [
        {"organization": str(anthropic.pk), "role": "customer"},
        {"organization": str(anthropic.pk), "role": "investor"},
    ]
    response = client.post("/desk/cases/new/", case_payload(parties=rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(title="Nimbus leases chips to Anthropic")
    assert roles(case) == [("anthropic", "customer"), ("anthropic", "investor")]
    same = client.post("/desk/cases/new/", case_payload(title="Twice", parties=[rows[0], rows[0]]))
    assert same.status_code == 400 and "already a party in this role" in same.content.decode()


def test_the_api_creates_two_roles_and_a_score_names_the_role(demo, editor, reviewer, client_for):
    client = client_for(editor)
    body = {**CASE_BODY, "parties": [*CASE_BODY["parties"], {"organization": "xai", "role": "investor"}]}
    response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201, response.json()
    assert [(p["organization"], p["role"]) for p in response.json()["parties"]] == [
        ("xai", "provider"),
        ("anthropic", "customer"),
        ("xai", "investor"),
    ]
    case = Case.objects.get(slug=response.json()["slug"])
    version = workflow.evaluation_version_start(case=case, by=editor)
    url = f"/api/v1/evaluation-versions/{version.pk}/"
    ambiguous = {"scores": [{"criterion": "compute_access", "organization": "xai", "value": 3}]}
    refused = client.patch(url, ambiguous, format="json", HTTP_IF_MATCH=version.etag)
    assert refused.status_code == 400 and "several roles" in str(refused.json()["scores[0].role"])
    wrong = {"scores": [{"criterion": "compute_access", "organization": "xai", "role": "customer", "value": 3}]}
    assert client.patch(url, wrong, format="json", HTTP_IF_MATCH=version.etag).status_code == 400
    both = {
        "scores": [
            {"criterion": "compute_access", "organization": "xai", "role": "provider", "value": 3},
            {"criterion": "compute_access", "organization": "xai", "role": "investor", "value": 1},
            {"criterion": "compute_access", "organization": "anthropic", "value": 2},
        ]
    }
    saved = client.patch(url, both, format="json", HTTP_IF_MATCH=version.etag)
    assert saved.status_code == 200, saved.json()
    assert sorted((s["organization"], s["role"], s["value"]) for s in saved.json()["scores"]) == [
        ("anthropic", "customer", 2),
        ("xai", "investor", 1),
        ("xai", "provider", 3),
    ]


def test_a_draft_s_facts_add_a_second_role_and_publication_keeps_scores_per_row(published_case, editor, reviewer):
    party = published_case.parties.select_related("organization").first()
    slug, role = party.organization.slug, party.role
    other = next(r for r in Party.Role.values if r != role)
    facts = [
        {"organization": p.organization.slug, "role": p.role, "note": p.note}
        for p in published_case.parties.select_related("organization").order_by("position")
    ]
    version = publish_facts(
        published_case, editor, reviewer, parties=[*facts, {"organization": slug, "role": other, "note": ""}]
    )
    assert version.state == EvaluationVersion.State.PUBLISHED
    rows = published_case.parties.filter(organization__slug=slug)
    assert sorted(rows.values_list("role", flat=True)) == sorted([role, other])
    assert rows.get(role=role).pk == party.pk  # the scored row stayed
    # The next draft may score both rows; dropping the new role from the facts prunes only that row.
    draft = workflow.evaluation_version_start(case=published_case, by=editor)
    ids = version_party_ids(draft)
    assert set(rows.values_list("pk", flat=True)) <= ids
    draft = workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, facts={"parties": facts}
    )
    assert party.pk in version_party_ids(draft) and rows.get(role=other).pk not in version_party_ids(draft)


def test_scoring_gives_each_role_its_own_figures(published_case, editor, reviewer):
    party = published_case.parties.select_related("organization").first()
    other = next(r for r in Party.Role.values if r != party.role)
    facts = [
        {"organization": p.organization.slug, "role": p.role, "note": p.note}
        for p in published_case.parties.select_related("organization").order_by("position")
    ]
    publish_facts(
        published_case, editor, reviewer, parties=[*facts, {"organization": party.organization.slug, "role": other}]
    )
    second = published_case.parties.get(organization=party.organization, role=other)
    draft = workflow.evaluation_version_start(case=published_case, by=editor)
    scores = [
        workflow.ScoreInput(
            criterion=s.criterion.key, party_id=s.party_id, value=s.value, rationale=s.rationale, source_ids=()
        )
        for s in draft.scores.select_related("criterion")
    ]
    scores += [
        workflow.ScoreInput(criterion=s.criterion, party_id=second.pk, value=s.value, rationale="", source_ids=())
        for s in scores
        if s.party_id == party.pk
    ]
    draft = workflow.evaluation_version_save(version=draft, by=editor, expected_lock=draft.lock_version, scores=scores)
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    risk_summaries_recompute(case_ids=[published_case.pk])
    figures = PartyFigure.objects.filter(summary__case=published_case, organization=party.organization)
    assert set(figures.values_list("party_id", flat=True)) == {party.pk, second.pk}


def test_the_demo_loader_finds_a_party_by_name_and_by_role():
    xai_investor, xai_customer, lab = object(), object(), object()
    parties = {("xAI", "investor"): xai_investor, ("xAI", "customer"): xai_customer, ("Lab", "provider"): lab}
    assert demo._party(parties, {"organization": "Lab"}) is lab
    assert demo._party(parties, {"organization": "xAI", "role": "customer"}) is xai_customer
    with pytest.raises(ValueError):
        demo._party(parties, {"organization": "xAI"})  # ambiguous: the entry must say which role


def test_compare_tells_an_organization_s_roles_apart():
    from types import SimpleNamespace as NS

    from evaluations.compare import _keyed

    xai = NS(name="xAI")
    crit = NS(key="compute_access")
    scores = [
        NS(criterion=crit, party=NS(organization=xai, role="investor")),
        NS(criterion=crit, party=NS(organization=xai, role="customer")),
        NS(criterion=crit, party=NS(organization=NS(name="Lab"), role="provider")),
        NS(criterion=crit, party=None),
    ]
    assert set(_keyed(scores)) == {
        ("compute_access", "xAI (investor)"),
        ("compute_access", "xAI (customer)"),
        ("compute_access", "Lab"),
        ("compute_access", "deal"),
    }
