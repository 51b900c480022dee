"""The score form of a draft (issue 15, item 5): the rubric's words beside each input, by party or as a
grid, rationales parked without a score, errors beside their fields and in a summary, on the desk and
in the API; margin notes whose quote occurs more than once ask for more context."""

from __future__ import annotations

import html5lib
import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from cases.models import Case
from evaluations import anchoring
from evaluations.desk_views import _edit_form
from evaluations.forms import BY_PARTY, GRID
from evaluations.models import Criterion, EvaluationVersion, Score
from evaluations.services import annotations, revision_restore, workflow
from evaluations.services.workflow import ScoreInput
from tests.cases.test_desk_query_counts import VERSION_EDIT_QUERIES
from tests.support.content import COLOSSUS, SECRET  # leak test: tests/guarantees/test_leaks.py
from tests.support.payloads import version_payload

STARGATE = "stargate-openai-softbank-oracle-mgx"


def _draft(slug: str, editor) -> EvaluationVersion:
    return workflow.evaluation_version_start(case=Case.objects.get(slug=slug), by=editor)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ids_resolve(html: bytes) -> None:
    """html5lib-valid, and every aria-describedby / aria-labelledby names an id the page has."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    document = parser.parse(html)
    ids = {el.get("id") for el in document.iter() if el.get("id")}
    for element in document.iter():
        for name in ("aria-describedby", "aria-labelledby"):
            for target in (element.get(name) or "").split():
                assert target in ids, f"{name}={target!r} on <{element.tag}> points at nothing"


def _a_party_score(version: EvaluationVersion) -> Score:
    return version.scores.select_related("criterion", "party__organization").filter(party__isnull=False).first()


# --- anchoring: a repeated quote needs context ---------------------------------------------------


def test_matching_singles_out_an_occurrence_by_its_context():
    text = "the lease is short. the lease is long."
    assert anchoring.occurrences(text, "the lease") == [0, 20]
    assert anchoring.matching(text, "the lease") == [0, 20]
    assert anchoring.matching(text, "the lease", suffix=" is long") == [20]
    assert anchoring.matching(text, "the lease", prefix="short. ") == [20]
    assert anchoring.matching(text, "the lease", prefix="nowhere ") == []
    assert anchoring.occurrences(text, "") == []


def test_a_repeated_quote_is_refused_until_context_picks_one(db):
    text = "The lease is short. The lease is long."
    note = annotations.AnnotationInput(quote="The lease", kind="context", body="Which one?")
    with pytest.raises(ValidationError) as info:
        annotations.annotations_validated(text, [note])
    (message,) = info.value.message_dict["annotations[0]"]
    assert "occurs 2 times" in message and "before (prefix) or after (suffix)" in message
    assert info.value.error_dict["annotations[0]"][0].code == "field:quote"
    with pytest.raises(ValidationError, match="none has exactly the words"):
        annotations.annotations_validated(text, [annotations.AnnotationInput("The lease", "context", "b", "x", None)])
    (second,) = annotations.annotations_validated(
        text, [annotations.AnnotationInput("The lease", "context", "b", suffix=" is long")]
    )
    # Anchored to the second occurrence, with the text around it (not the first one's).
    assert second.prefix.endswith("short. ") and second.suffix == " is long"
    assert anchoring.locate(text, second.quote, second.prefix, second.suffix) == (20, 29)
    longer = annotations.annotations_validated(text, [annotations.AnnotationInput("The lease is long", "context", "b")])
    assert longer[0].prefix.endswith("short. ")


def test_a_repeated_quote_on_the_desk_is_a_form_error_beside_the_quote(draft_version, editor):
    word = "Anthropic"
    assert draft_version.narrative.count(word) > 1
    client = _client(editor)
    before = draft_version.annotations.count()
    url = f"/desk/versions/{draft_version.pk}/annotations/"
    response = client.post(url, {"quote": word, "kind": "context", "body": "Which?"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_quote_error"' in html and "give more of the text just before" in html
    assert draft_version.annotations.count() == before
    start = draft_version.narrative.index(word, draft_version.narrative.index(word) + 1)
    after = draft_version.narrative[start + len(word) : start + len(word) + 20]
    response = client.post(url, {"quote": word, "kind": "context", "body": "This one.", "suffix": after})
    assert response.status_code == 302
    note = draft_version.annotations.get(body="This one.")
    narrative = draft_version.narrative
    assert anchoring.locate(narrative, note.quote, note.prefix, note.suffix) == (start, start + len(word))


def test_a_repeated_quote_in_the_api_is_a_400_naming_the_quote(draft_version, editor, client_for):
    url = f"/api/v1/evaluation-versions/{draft_version.pk}/"
    body = {"annotations": [{"quote": "Anthropic", "kind": "context", "body": "x"}]}
    response = client_for(editor).patch(url, body, format="json", HTTP_IF_MATCH=draft_version.etag)
    assert response.status_code == 400
    assert "occurs" in response.json()["annotations[0].quote"][0]


# --- the form: the rubric's words, labels, layouts --------------------------------------------------


def test_the_two_party_form_groups_by_party_with_questions_and_guidance(demo, editor):
    version = _draft(COLOSSUS, editor)
    response = _client(editor).get(f"/desk/versions/{version.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    _ids_resolve(response.content)
    assert 'class="score-party"' in html and 'class="score-grid"' not in html
    for criterion in Criterion.objects.filter(version=version.evaluation.rubric_version):
        assert criterion.question in html or criterion.question.replace("'", "&#x27;") in html
        if criterion.guidance:
            assert criterion.guidance.split(":")[0] in html
    for party in version.case.parties.select_related("organization"):
        assert f'id="party-{party.pk}-h">{party.organization.name}' in html
    score = _a_party_score(version)
    field = f"id_s-{score.criterion.key}-{score.party_id}-value"
    label = f'<label for="{field}">Score: {score.criterion.key.replace("_", " ")}, {score.party.organization.name}'
    assert label in html
    assert f'aria-describedby="crit-{score.criterion.key}-{score.party_id}-q' in html


def test_stargate_gets_the_grid_and_either_layout_can_be_asked_for(demo, editor):
    version = _draft(STARGATE, editor)
    parties = version.case.parties.count()
    assert parties == 7
    client = _client(editor)
    response = client.get(f"/desk/versions/{version.pk}/edit/")
    html = response.content.decode()
    _ids_resolve(response.content)
    assert 'class="score-grid"' in html and "<summary>Question and guidance</summary>" in html
    per_party = Criterion.objects.filter(version=version.evaluation.rubric_version, per_party=True).count()
    assert (
        html.count('class="score-cell"')
        == per_party * parties
        + Criterion.objects.filter(version=version.evaluation.rubric_version, per_party=False).count()
    )
    assert 'href="?layout=parties"' in html
    by_party = client.get(f"/desk/versions/{version.pk}/edit/?layout=parties")
    assert 'class="score-grid"' not in by_party.content.decode()
    _ids_resolve(by_party.content)
    colossus = _draft(COLOSSUS, editor)
    assert 'class="score-grid"' in client.get(f"/desk/versions/{colossus.pk}/edit/?layout=grid").content.decode()


def test_the_grid_with_errors_is_valid_and_opens_the_cell_at_fault(demo, editor):
    version = _draft(STARGATE, editor)
    score = _a_party_score(version)
    prefix = f"s-{score.criterion.key}-{score.party_id}"
    payload = version_payload(version, narrative="x")
    payload[f"{prefix}-quotes"] = "no number here"
    response = _client(editor).post(f"/desk/versions/{version.pk}/edit/", {**payload, "save": "1"})
    assert response.status_code == 400
    _ids_resolve(response.content)
    html = response.content.decode()
    assert 'class="score-grid"' in html and f'href="#id_{prefix}-quotes"' in html
    cell = html.split(f'id="id_{prefix}-value"')[1].split("</details>")[0]
    assert '<details class="score-detail" open>' in cell and "start with a source number" in cell


def test_layout_defaults(demo, editor):
    assert _edit_form(_draft(COLOSSUS, editor)).layout() == BY_PARTY
    stargate = _edit_form(_draft(STARGATE, editor))
    assert stargate.layout() == GRID and stargate.layout("nonsense") == GRID and stargate.layout(BY_PARTY) == BY_PARTY


# --- parked rationales -------------------------------------------------------------------------------


def test_a_rationale_is_parked_on_the_desk_and_kept_from_submission(demo, editor):
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    prefix = f"s-{score.criterion.key}-{score.party_id}"
    payload = version_payload(version, narrative="Text.")
    payload[f"{prefix}-value"] = ""
    payload[f"{prefix}-sources"] = []
    payload[f"{prefix}-rationale"] = f"Undecided: {SECRET}"
    client = _client(editor)
    response = client.post(f"/desk/versions/{version.pk}/edit/", {**payload, "save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    version.refresh_from_db()
    assert version.parked_rationales == [
        {"criterion": score.criterion.key, "party": score.party_id, "rationale": f"Undecided: {SECRET}"}
    ]
    assert not version.scores.filter(criterion=score.criterion, party=score.party).exists()
    page = client.get(f"/desk/versions/{version.pk}/edit/").content.decode()
    assert f"Undecided: {SECRET}" in page and "parked, no score" in page
    # The parked rationale blocks submission, named in the checklist's list; nothing changes.
    response = client.post(f"/desk/versions/{version.pk}/submit/", {"comment": ""})
    assert response.status_code == 400
    named = f"{score.criterion.key} ({score.party.organization.name})"
    listed = response.context["submit_form"].non_field_errors()
    assert f"Criteria not scored: {named}" in listed and f"Rationales parked without a score: {named}" in listed
    message = next(str(m) for m in response.context["messages"])
    assert message.startswith("Not submitted: ") and message.endswith(f"Rationales parked without a score: {named}")
    version.refresh_from_db()
    assert version.state == "draft"


def test_sources_without_a_score_are_an_error_beside_them(demo, editor):
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    prefix = f"s-{score.criterion.key}-{score.party_id}"
    payload = version_payload(version, narrative="Changed?")
    payload[f"{prefix}-value"] = ""
    response = _client(editor).post(f"/desk/versions/{version.pk}/edit/", {**payload, "save": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    _ids_resolve(response.content)
    assert f'id="id_{prefix}-sources_error"' in html
    # The summary at the top links to the input and says the same; no contradictory banner.
    assert 'id="error-summary"' in html and f'href="#id_{prefix}-sources_0"' in html
    assert "Not saved: 1 problem to fix" in html
    version.refresh_from_db()
    assert version.narrative != "Changed?"


def test_every_bad_value_is_named_beside_its_input_and_in_the_summary(demo, editor):
    version = _draft(COLOSSUS, editor)
    rows = list(version.scores.select_related("criterion").filter(party__isnull=False)[:2])
    payload = version_payload(version, narrative="x")
    payload[f"s-{rows[0].criterion.key}-{rows[0].party_id}-value"] = "9"
    payload[f"s-{rows[1].criterion.key}-{rows[1].party_id}-value"] = "two"
    response = _client(editor).post(f"/desk/versions/{version.pk}/edit/", {**payload, "save": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    _ids_resolve(response.content)
    assert "Not saved: 2 problems to fix" in html
    for row, message in zip(rows, ("Give a score from 0 to 4.", "Give a whole number from 0 to 4."), strict=True):
        field = f"id_s-{row.criterion.key}-{row.party_id}-value"
        assert f'href="#{field}"' in html and f'id="{field}_error"' in html and message in html
        assert (
            f"{field}_error"
            in html.split(f'id="{field}"')[0].rsplit("<input", 1)[1] + html.split(f'id="{field}"')[1].split(">")[0]
        )


def test_a_service_refusal_lands_on_its_field(demo, editor):
    """A rule only the service knows (a source's quote not in its excerpt) comes back beside the quotes."""
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    prefix = f"s-{score.criterion.key}-{score.party_id}"
    payload = version_payload(version, narrative="x")
    payload[f"{prefix}-quotes"] = "1: words no excerpt has anywhere"
    response = _client(editor).post(f"/desk/versions/{version.pk}/edit/", {**payload, "save": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{prefix}-quotes_error"' in html and f'href="#id_{prefix}-quotes"' in html
    # Its details are open, so the message is seen.
    cell = html.split(f'id="id_{prefix}-value"')[1].split("</details>")[0]
    assert '<details class="score-detail" open>' in cell


def test_parked_rationales_are_kept_in_revisions_and_restored(demo, editor):
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    parked = ScoreInput(score.criterion.key, score.party_id, None, "Park me.")
    saved = workflow.evaluation_version_save(
        version=version, by=editor, expected_lock=version.lock_version, scores=[parked]
    )
    assert saved.parked_rationales[0]["rationale"] == "Park me." and not saved.scores.exists()
    parked_at = saved.revisions.order_by("-number").first().number
    saved = workflow.evaluation_version_save(version=saved, by=editor, expected_lock=saved.lock_version, scores=[])
    assert saved.parked_rationales == []
    restored = revision_restore.evaluation_version_restore(
        version=saved, by=editor, expected_lock=saved.lock_version, number=parked_at
    )
    assert restored.parked_rationales[0]["rationale"] == "Park me."


def test_parking_rules_in_the_service(demo, editor):
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    source = version.case.sources.first()
    key, party = score.criterion.key, score.party_id
    for item, field in (
        (ScoreInput(key, party, None, ""), "value"),
        (ScoreInput(key, party, None, "r", source_ids=(source.pk,)), "value"),
        (ScoreInput(key, None, None, "r"), "organization"),
        (ScoreInput("nope", party, None, "r"), "criterion"),
    ):
        with pytest.raises(ValidationError) as info:
            workflow.evaluation_version_save(
                version=version, by=editor, expected_lock=version.lock_version, scores=[item]
            )
        assert f"field:{field}" in {e.code for e in info.value.error_dict["scores[0]"]}
    version.refresh_from_db()
    assert version.parked_rationales == [] and version.scores.count() > 0


# --- the API -------------------------------------------------------------------------------------------


def test_api_parks_a_rationale_and_names_fields_in_400s(demo, editor, client_for):
    version = _draft(COLOSSUS, editor)
    score = _a_party_score(version)
    org = score.party.organization.slug
    url = f"/api/v1/evaluation-versions/{version.pk}/"
    api = client_for(editor)
    parked = {"criterion": score.criterion.key, "organization": org, "value": None, "rationale": "Later."}
    response = api.patch(url, {"scores": [parked]}, format="json", HTTP_IF_MATCH=version.etag)
    assert response.status_code == 200, response.json()
    version.refresh_from_db()
    assert version.parked_rationales[0]["rationale"] == "Later." and not version.scores.exists()
    assert response.json()["scores"] == []
    assert response.json()["parked_rationales"] == [
        {"criterion": score.criterion.key, "organization": org, "rationale": "Later."}
    ]
    for item, field, words in (
        ({**parked, "rationale": ""}, "scores[0].value", "give a score, or a rationale"),
        ({**parked, "sources": [version.case.sources.first().pk]}, "scores[0].value", "give the score too"),
        ({**parked, "value": 7}, "scores[0].value", "between 0 and 4"),
        ({**parked, "criterion": "nope"}, "scores[0].criterion", "unknown criterion"),
        ({**parked, "organization": None}, "scores[0].organization", "name the party"),
    ):
        response = api.patch(url, {"scores": [item]}, format="json", HTTP_IF_MATCH=version.etag)
        assert response.status_code == 400
        assert any(words in m for m in response.json()[field]), response.json()
    other = version.evaluation.rubric_version.criteria.exclude(key=score.criterion.key).filter(per_party=True).first()
    scored = {"criterion": other.key, "organization": org, "value": 2}
    response = api.patch(url, {"scores": [parked, scored]}, format="json", HTTP_IF_MATCH=version.etag)
    assert response.status_code == 200, response.json()
    response = client_for(editor).post(f"/api/v1/evaluation-versions/{version.pk}/submit/", {}, format="json")
    named = f"{score.criterion.key} ({score.party.organization.name})"
    assert response.status_code == 400
    assert f"Rationales parked without a score: {named}" in response.json()["checklist"], response.json()


@pytest.mark.parametrize("slug", [COLOSSUS, STARGATE])
def test_edit_page_queries_are_fixed_for_two_parties_or_seven(demo, editor, django_assert_num_queries, slug):
    version = _draft(slug, editor)
    client = _client(editor)
    with django_assert_num_queries(VERSION_EDIT_QUERIES):
        assert client.get(f"/desk/versions/{version.pk}/edit/").status_code == 200
