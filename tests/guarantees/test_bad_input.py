"""Bad input at the service layer: a clear ValidationError and nothing half-written; hostile text comes out inert."""

from __future__ import annotations

import pytest

from cases import services as case_services
from cases.models import Case, Organization
from core.limits import TEXT_LIMITS
from evaluations import markdown
from evaluations.models import EvaluationVersion, RubricVersion
from evaluations.services import annotations, workflow
from tests.support.html_checks import tag_counts, unsafe_html
from tests.support.refusals import case_input, refused
from tests.support.xss_corpus import XSS_CORPUS

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(demo, editor) -> EvaluationVersion:
    case = Case.objects.filter(status="published").first()
    return workflow.evaluation_version_start(case=case, by=editor)


def test_case_input_is_validated(demo, editor):
    # Edited in place: a case never published (a published one's facts go through a version, checked by the same rules).
    existing = case_services.case_create(by=editor, data=case_input(title="An existing draft"))
    organization = Organization.objects.first()
    P, S = case_services.PartyInput, case_services.SourceInput
    party = P(organization_id=organization.pk, role="customer")
    cases = [
        (case_input(title="x" * 301), "title", "at most 300 characters"),
        (case_input(summary="x" * (TEXT_LIMITS["cases.case.summary"] + 1)), "summary", "at most 20,000 characters"),
        (case_input(value_note="x" * 2001), "value_note", "at most 2,000"),
        (case_input(slug=existing.slug), "slug", "already exists"),
        (case_input(announced_on="2026-02-30"), "announced_on", "invalid date"),
        (case_input(announced_on="next tuesday"), "announced_on", "invalid date format"),
        (case_input(value_low_usd="lots"), "value_low_usd", "must be an integer"),
        (case_input(value_low_usd=10, value_high_usd=5), "value_high_usd", "below the low end"),
        (case_input(value_low_usd=-1), "__all__", "case_value_low_nonnegative"),
        (case_input(announced_precision="century"), "announced_precision", "is not a valid choice"),
        (case_input(deal_types=("made-up",)), "deal_types", "unknown deal types"),
        (case_input(tags=("t" * 101,)), "tags", "at most 100 characters"),
        (case_input(parties=(party, party)), "parties[1].organization", "already a party"),
        (case_input(parties=(P(99999, "customer"),)), "parties[0].organization", "no such"),
        (case_input(parties=(P(organization.pk, "owner"),)), "parties[0].role", "must be one"),
        (case_input(parties=(P(organization.pk, "customer", "n" * 301),)), "parties[0].note", "300"),
        (case_input(sources=(S("P", "T", "javascript:alert(1)"),)), "sources[0].url", "valid URL"),
        (case_input(sources=(S("P", "T", "https://e.com", claim="c" * 5001),)), "sources[0].claim", "5,000"),
        (case_input(sources=(S("P", "T", "https://e.com", "2025-13-01"),)), "sources[0].published_on", "inv"),
    ]  # fmt: skip
    for data, field, message in cases:
        refused(lambda data=data: case_services.case_create(by=editor, data=data), field, message)
    refused(
        lambda: case_services.case_update(case=existing, by=editor, data=case_input(slug=Case.objects.last().slug)),
        "slug",
        "already exists",
    )


def test_organization_input_is_validated(demo, editor):
    name = Organization.objects.first().name
    refused(lambda: case_services.organization_create(by=editor, name=name, kind="model_lab"), "name", "already")
    refused(lambda: case_services.organization_create(by=editor, name="N", kind="wizard"), "kind", "valid choice")
    refused(
        lambda: case_services.organization_create(by=editor, name="N", kind="model_lab", description="d" * 10_001),
        "description",
        "at most 10,000",
    )


def score(draft, **overrides) -> workflow.ScoreInput:
    first = draft.scores.select_related("criterion").first()
    values = {"criterion": first.criterion.key, "party_id": first.party_id, "value": first.value, **overrides}
    return workflow.ScoreInput(**values)


def test_evaluation_input_is_validated(draft, editor):
    lock = draft.lock_version
    narrative = draft.narrative

    def save(**fields):
        return lambda: workflow.evaluation_version_save(version=draft, by=editor, expected_lock=lock, **fields)

    refused(save(narrative="x" * 100_001), "narrative", "at most 100,000 characters")
    refused(save(verdict="v" * 301), "verdict", "at most 300 characters")
    refused(save(change_note="c" * 5001), "change_note", "at most 5,000")
    refused(save(scores=[score(draft, criterion="made-up")]), "scores[0]", "unknown criterion 'made-up'")
    refused(save(scores=[score(draft, value=99)]), "scores[0]", "between 0 and 4")
    refused(save(scores=[score(draft, value=-1)]), "scores[0]", "between 0 and 4")
    refused(save(scores=[score(draft, value="3")]), "scores[0]", "whole number")
    refused(save(scores=[score(draft, value=True)]), "scores[0]", "whole number")
    refused(save(scores=[score(draft), score(draft)]), "scores[1]", "scored twice")
    refused(save(scores=[score(draft, party_id=None)]), "scores[0]", "scored per party")
    refused(save(scores=[score(draft, source_ids=(99999,))]), "scores[0]", "not one of this case's sources")
    refused(save(scores=[score(draft, rationale="r" * 10_001)]), "scores[0]", "rationale: at most 10,000")
    quote = narrative[:20]
    refused(
        save(annotations=[annotations.AnnotationInput(quote="not in the text at all", kind="context", body="b")]),
        "annotations[0]",
        "does not appear",
    )
    refused(
        save(annotations=[annotations.AnnotationInput(quote=quote, kind="rumour", body="b")]), "annotations[0]", "kind"
    )
    refused(
        save(annotations=[annotations.AnnotationInput(quote=quote, kind="context", body="b" * 10_001)]),
        "annotations[0]",
        "body: at most 10,000",
    )
    draft.refresh_from_db()
    assert (draft.lock_version, draft.narrative) == (lock, narrative)


def test_oversized_review_comments_leave_the_version_where_it_was(draft, editor, reviewer):
    workflow.evaluation_version_submit(version=draft, by=editor)
    refused(
        lambda: workflow.evaluation_version_send_back(version=draft, by=reviewer, comment="c" * 5001),
        "comment",
        "at most 5,000",
    )
    draft.refresh_from_db()
    assert draft.state == "in_review"


# --- XSS --------------------------------------------------------------------------------

ACTIVE_TAGS = ("script", "svg", "math", "iframe", "object", "embed", "base", "img", "style", "meta", "form", "details")


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_markdown_renders_the_corpus_inert(payload):
    html = markdown.render(payload)
    assert unsafe_html(html, untrusted=True) == [], html
    assert markdown.render(f"Some text.\n\n{payload}\n\n*more*") == markdown.sanitize(
        markdown.render(f"Some text.\n\n{payload}\n\n*more*")
    )  # sanitizing twice changes nothing: the output is already clean


def _publish_hostile_case(index: int, payload: str, editor, reviewer) -> Case:
    """A case whose every editor-written field is ``payload``, published with a correction."""
    organization = case_services.organization_create(
        by=editor, name=f"{payload[:150]} {index}", kind="model_lab", description=payload
    )
    partner = case_services.organization_create(by=editor, name=f"Partner {index}", kind="cloud_provider")
    data = case_input(
        title=payload[:300],
        summary=payload,
        value_low_usd=1,
        value_high_usd=2,
        value_note=payload,
        capacity_note=payload,
        tags=(payload[:100],),
        parties=(
            case_services.PartyInput(organization.pk, "customer", payload[:300]),
            case_services.PartyInput(partner.pk, "provider"),
        ),
        sources=(case_services.SourceInput(payload[:300], payload[:500], "https://e.com/", claim=payload),),
    )
    case = case_services.case_create(by=editor, data=data)
    rubric_version = RubricVersion.objects.get(status="active")
    source_ids = tuple(case.sources.values_list("pk", flat=True))
    scores = [
        workflow.ScoreInput(c.key, party.pk if c.per_party else None, 2, payload, source_ids)
        for c in rubric_version.criteria.all()
        for party in (case.parties.all() if c.per_party else [None])
    ]
    narrative = f"Before the note. {payload} After the note."
    note = annotations.AnnotationInput(quote=payload.strip() or "Before", kind="dissent", body=payload)
    for correction in ("", payload):
        draft = workflow.evaluation_version_start(case=case, by=editor)
        workflow.evaluation_version_save(
            version=draft,
            by=editor,
            expected_lock=draft.lock_version,
            narrative=narrative,
            verdict=payload[:300],
            change_note=payload,
            scores=scores,
            annotations=[note],
        )
        workflow.evaluation_version_submit(version=draft, by=editor, comment=payload)
        workflow.evaluation_version_approve(version=draft, by=reviewer, correction_note=correction)
    return case


def test_every_reader_page_shows_the_corpus_inert(demo, editor, reviewer, client):
    baseline_case = _publish_hostile_case(0, "Plain words, nothing hostile.", editor, reviewer)
    baseline = {
        "case": tag_counts(client.get(baseline_case.get_absolute_url()).content.decode(), ACTIVE_TAGS),
        "organization": tag_counts(
            client.get(baseline_case.parties.first().organization.get_absolute_url()).content.decode(), ACTIVE_TAGS
        ),
    }
    for index, payload in enumerate(XSS_CORPUS, start=1):
        case = _publish_hostile_case(index, payload, editor, reviewer)
        organization = case.parties.first().organization
        pages = {"case": case.get_absolute_url(), "organization": organization.get_absolute_url()}
        for name, url in pages.items():
            response = client.get(url)
            assert response.status_code == 200, (payload, url)
            html = response.content.decode()
            assert unsafe_html(html) == [], (payload, name)
            assert tag_counts(html, ACTIVE_TAGS) == baseline[name], (payload, name)
    home = client.get("/")
    assert home.status_code == 200
    assert unsafe_html(home.content.decode()) == []
    assert tag_counts(home.content.decode(), ACTIVE_TAGS) == tag_counts(
        client.get("/?page=99").content.decode(), ACTIVE_TAGS
    )
