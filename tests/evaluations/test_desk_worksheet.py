"""The press-release worksheet through the test client: paste, proposals, draft; who may; bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from cases.models import Case, Organization, OrganizationAlias, Source, normalize_organization_name
from evaluations import worksheet_views
from evaluations.models import AuditEntry, EvaluationVersion, Score
from tests.cases.worksheet_corpus import CORPUS
from tests.support.content import checklist_cleared

COLOSSUS_TEXT = next(a.text for a in CORPUS if a.case == "xai-anthropic-colossus-1")
NIMBUS_TEXT = (
    "Nimbus Compute Inc. will lease 150 megawatts of GPU capacity to Anthropic under a five-year contract, "
    "the companies announced on March 2, 2026. Anthropic will pay up to $4B over the term and may exit on "
    "180 days' notice. Nimbus Compute said the strategic partnership will be transformational."
)


def _payload(response) -> dict:
    """What a browser would post back from the proposals page, unchanged: every field's shown value."""
    context = response.context
    data: dict = {}
    forms = [context["draft"], context["case_form"], context["source"], context["scores"], *context["parties"].forms]
    management = context["parties"].management_form
    for form in [*forms, management]:
        for bound in form:
            value = bound.value()
            name = bound.html_name
            if isinstance(value, bool) or value is None:
                if value:
                    data[name] = "on"
                continue
            if isinstance(value, list | tuple):
                data[name] = [str(v) for v in value]
            else:
                data[name] = str(value)
    return data


def _row(response, new_name: str) -> int:
    """The index of the party row proposing ``new_name`` as a new organization."""
    forms = response.context["parties"].forms
    return next(i for i, f in enumerate(forms) if f["new_organization_name"].value() == new_name)


def _counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Organization.objects.count(),
        Source.objects.count(),
        EvaluationVersion.objects.count(),
        Score.objects.count(),
    )


@pytest.fixture
def editor_client(demo, editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def _read(client: Client, text: str, **extra):
    data = {"text": text, "url": "https://example.com/release", "publisher": "Example Wire", "published_on": ""}
    data.update(extra)
    return client.post("/desk/worksheet/", data)


def test_anonymous_and_readers_are_refused(demo, reader):
    client = Client()
    for url in ("/desk/worksheet/", "/desk/worksheet/draft/"):
        response = client.post(url, {"text": COLOSSUS_TEXT})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert client.get(url).status_code == 302
    client.force_login(reader)
    before = _counts()
    assert client.get("/desk/worksheet/").status_code == 403
    assert client.post("/desk/worksheet/", {"text": COLOSSUS_TEXT}).status_code == 403
    assert client.post("/desk/worksheet/draft/", {"text": COLOSSUS_TEXT}).status_code == 403
    assert _counts() == before


def test_the_draft_step_answers_only_post(editor_client):
    assert editor_client.get("/desk/worksheet/draft/").status_code == 405


def test_reading_proposes_and_writes_nothing(editor_client):
    before = _counts()
    assert editor_client.get("/desk/worksheet/").status_code == 200
    response = _read(editor_client, COLOSSUS_TEXT)
    assert response.status_code == 200
    assert _counts() == before
    page = response.content.decode()
    # Every proposal sits beside its sentence; the organizations are the known ones, with roles.
    assert "xAI as provider" in page and "Anthropic as customer" in page
    assert "$1.25 billion per month" in page and "exit notice: 90 days" in page
    assert 'id="s-3"' in page and "xAI leases the cluster to Anthropic" in page
    case_form = response.context["case_form"]
    assert case_form["deal_types"].value() == ["compute_lease"]
    assert str(case_form["capacity_mw"].value()) == "300"
    assert case_form["capacity_chips"].value() == 220_000
    assert str(case_form["announced_on"].value()) == "2026-05-06"
    # Every organization the text names is proposed (the demo knows SpaceX, xAI's parent, too).
    proposed = {str(form["organization"].value()) for form in response.context["parties"].forms}
    named = Organization.objects.filter(slug__in=["anthropic", "xai", "spacex"]).values_list("pk", flat=True)
    assert {str(pk) for pk in named} <= proposed


def test_bad_paste_gives_form_errors(editor_client):
    before = _counts()
    bad = [{"text": ""}, {"text": "too short"}, {"text": "x " * 20_000}, {"text": COLOSSUS_TEXT, "url": "not a url"}]
    for data in bad:
        response = editor_client.post("/desk/worksheet/", {"url": "", "publisher": "", "published_on": "", **data})
        assert response.status_code == 400, data
        assert "errorlist" in response.content.decode()
    assert _counts() == before


def test_paste_to_draft_with_a_confirmed_new_organization(editor_client, editor):
    response = _read(editor_client, NIMBUS_TEXT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nimbus Compute (new) as provider" in page
    # Language counts: two vague phrases, and the concrete commitments.
    assert response.context["ws"].vague_count == 2
    labels = {f.label for f in response.context["ws"].concrete}
    assert labels == {"money", "capacity", "term", "exit rights"}

    data = _payload(response)
    nimbus_row = _row(response, "Nimbus Compute")
    before = _counts()
    # Unconfirmed: refused, nothing written.
    data[f"parties-{nimbus_row}-new_organization_kind"] = "cloud_provider"
    refused = editor_client.post("/desk/worksheet/draft/", data)
    assert refused.status_code == 400
    assert "Confirm that this organization is new" in refused.content.decode()
    assert _counts() == before
    assert not Organization.objects.filter(name="Nimbus Compute").exists()

    data[f"parties-{nimbus_row}-confirm_new"] = "on"
    created = editor_client.post("/desk/worksheet/draft/", data)
    assert created.status_code == 302, created.content.decode()[:3000]
    version = EvaluationVersion.objects.get(pk=int(created["Location"].rstrip("/").split("/")[-1]))
    case = version.case
    assert case.status == Case.Status.DRAFT and version.state == EvaluationVersion.State.DRAFT
    assert version.author == editor
    assert {(p.organization.name, p.role) for p in case.parties.select_related("organization")} == {
        ("Nimbus Compute", "provider"),
        ("Anthropic", "customer"),
    }
    assert case.capacity_mw == 150 and case.value_high_usd == 4_000_000_000 and case.value_low_usd is None
    source = case.sources.get()
    assert source.excerpt == NIMBUS_TEXT and source.url == "https://example.com/release"
    # Proposed scores with rationales quoting the excerpt, each resting on the source.
    scores = list(version.scores.select_related("criterion", "party__organization").prefetch_related("sources"))
    assert scores
    by_key = {(s.party.organization.name, s.criterion.key): s for s in scores}
    compute = by_key[("Anthropic", "compute_access")]
    assert compute.value >= 2
    assert "Nimbus Compute Inc. will lease 150 megawatts" in compute.rationale
    for score in scores:
        assert [s.pk for s in score.sources.all()] == [source.pk]
        for quote in score.rationale.split("“")[1:]:
            assert quote.split("”")[0].rstrip("…") in source.excerpt
    assert "Who takes on dependency risk?" in version.narrative
    desk_page = editor_client.get(f"/desk/cases/{case.pk}/").content.decode()
    assert "The text as pasted" in desk_page and "180 days&#x27; notice" in desk_page
    assert AuditEntry.objects.filter(evaluation_version=version, action=AuditEntry.Action.CREATE).exists()
    # Nothing public: the draft case is not readable, and the usual review follows.
    assert Client().get(case.get_absolute_url()).status_code == 404
    # The worksheet proposes some scores, not all: submitting is refused with the list.
    refused = editor_client.post(f"/desk/versions/{version.pk}/submit/", {"comment": ""})
    assert refused.status_code == 400 and "Criteria not scored" in refused.content.decode()
    checklist_cleared(version, editor)
    submitted = editor_client.post(f"/desk/versions/{version.pk}/submit/", {"comment": ""})
    assert submitted.status_code == 302
    version.refresh_from_db()
    assert version.state == EvaluationVersion.State.IN_REVIEW


def test_a_refusal_late_in_the_write_leaves_nothing_behind(editor_client):
    """A rationale too long is refused by the evaluation service after the case and the
    organization were written in the same transaction: both are rolled back."""
    response = _read(editor_client, NIMBUS_TEXT)
    data = _payload(response)
    row = _row(response, "Nimbus Compute")
    data[f"parties-{row}-new_organization_kind"] = "cloud_provider"
    data[f"parties-{row}-confirm_new"] = "on"
    key = next(k for k in data if k.startswith("s-") and k.endswith("-rationale"))
    data[key] = "x" * 10_001
    before = _counts()
    refused = editor_client.post("/desk/worksheet/draft/", data)
    assert refused.status_code == 400
    assert "at most 10,000 characters" in refused.content.decode()
    assert _counts() == before
    assert not Organization.objects.filter(name="Nimbus Compute").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"source-url": ""},
        {"source-publisher": ""},
        {"case-title": ""},
        {"case-announced_on": "not a date"},
        {"case-value_low_usd": "5", "case-value_high_usd": "1"},
        {"parties-0-role": "emperor"},
        {"s-0-compute_access-value": "9"},
        {"score_rows": "-1"},
        {"text": ""},
    ],
)
def test_bad_proposals_give_form_errors_and_write_nothing(editor_client, change):
    response = _read(editor_client, COLOSSUS_TEXT)
    data = _payload(response)
    data.update(change)
    before = _counts()
    refused = editor_client.post("/desk/worksheet/draft/", data)
    assert refused.status_code == 400, change
    assert "errorlist" in refused.content.decode()
    assert _counts() == before


def test_a_new_name_that_exists_already_is_refused_on_its_row(editor_client):
    response = _read(editor_client, NIMBUS_TEXT)
    data = _payload(response)
    row = _row(response, "Nimbus Compute")
    data[f"parties-{row}-new_organization_name"] = "anthropic"
    data[f"parties-{row}-new_organization_kind"] = "model_lab"
    data[f"parties-{row}-confirm_new"] = "on"
    before = _counts()
    refused = editor_client.post("/desk/worksheet/draft/", data)
    assert refused.status_code == 400
    assert "already exists" in refused.content.decode()
    assert _counts() == before


def test_the_colossus_release_becomes_a_draft_as_proposed(editor_client):
    """Known organizations only: posting the proposals unchanged creates the draft."""
    response = _read(editor_client, COLOSSUS_TEXT)
    created = editor_client.post("/desk/worksheet/draft/", _payload(response))
    assert created.status_code == 302
    version = EvaluationVersion.objects.order_by("-pk").first()
    assert version.case.title.startswith("Anthropic and xAI") or "xAI" in version.case.title
    scores = version.scores.select_related("party__organization", "criterion")
    by_key = {(s.party.organization.slug, s.criterion.key): s.value for s in scores}
    assert by_key[("anthropic", "compute_access")] == 4  # capacity stated and a term: scarce capacity, locked in
    assert by_key[("xai", "compute_access")] == 0  # it supplies the compute
    assert by_key[("anthropic", "dependency")] >= 3  # 90 days' notice: the capacity can be withdrawn


def test_the_worksheet_matches_names_from_the_alias_table(client, db, django_user_model):
    """An alias recorded by the newsroom (not among the press's usual names) finds its organization."""
    organization = Organization.objects.create(name="Fluidstack", slug="fluidstack", kind="cloud_provider")
    OrganizationAlias.objects.create(
        organization=organization, name="FS Compute", normalized=normalize_organization_name("FS Compute")
    )
    worksheet = worksheet_views._read("FS Compute will lease 100 MW of capacity to Anthropic for five years.")
    assert "fluidstack" in {proposal.slug for proposal in worksheet.organizations if proposal.slug}
