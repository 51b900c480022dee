"""The public changelog: corrections, updates and re-evaluations, on the page, in the feed and in the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import selectors
from cases.models import Case
from evaluations.models import EvaluationVersion
from evaluations.services import rubric_versions, workflow
from tests.support.content import COLOSSUS, SECRET

pytestmark = pytest.mark.django_db


def _publish(editor, reviewer, *, change_note="", correction_note="", value_of=None) -> EvaluationVersion:
    case = Case.objects.get(slug=COLOSSUS)
    draft = workflow.evaluation_version_start(case=case, by=editor)
    scores = None
    if value_of is not None:
        scores = [
            workflow.ScoreInput(
                criterion=s.criterion.key, party_id=s.party_id, value=value_of(s), rationale=s.rationale
            )
            for s in draft.scores.select_related("criterion")
        ]
    workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, change_note=change_note, scores=scores
    )
    workflow.evaluation_version_submit(version=draft, by=editor)
    return workflow.evaluation_version_approve(version=draft, by=reviewer, correction_note=correction_note)


def _entries(**filters):
    versions = selectors.changelog_versions()
    if "case" in filters:
        versions = versions.filter(case__slug=filters["case"])
    return selectors.changelog_entries(list(versions))


def _dependency_up(score):
    return 4 if score.criterion.key == "dependency" and score.party.organization.slug == "anthropic" else score.value


def test_an_update_lists_the_scores_that_moved_and_the_figures_before_and_after(demo, editor, reviewer):
    assert _entries(case=COLOSSUS) == []  # a first publication is not a change
    _publish(editor, reviewer, change_note="SpaceX's filing shows either side may exit on 90 days' notice.",
             value_of=_dependency_up)  # fmt: skip
    (entry,) = _entries(case=COLOSSUS)
    assert entry.kind == "update" and entry.previous.number == 1 and entry.version.number == 2
    assert entry.note.startswith("SpaceX's filing")
    assert [(m.criterion, m.party, m.before, m.after) for m in entry.moves] == [("dependency", "Anthropic", 3, 4)]
    assert entry.after.risk_index > entry.before.risk_index
    assert entry.before.classification and entry.after.classification


def test_a_correction_is_marked_as_one_with_its_note(demo, editor, reviewer):
    _publish(editor, reviewer, correction_note="The capacity is 300 MW, not 3,000 MW.")
    (entry,) = _entries(case=COLOSSUS)
    assert entry.kind == "correction" and entry.note == "The capacity is 300 MW, not 3,000 MW."
    assert entry.moves == () and entry.before == entry.after


def test_a_reevaluation_under_a_new_rubric_version(demo, editor, reviewer, admin_user):
    active = EvaluationVersion.objects.get(case__slug=COLOSSUS, state="published").evaluation.rubric_version
    new = rubric_versions.rubric_version_clone(version=active, by=admin_user)
    rubric_versions.rubric_version_activate(version=new, by=admin_user)
    _publish(editor, reviewer, change_note="Scored again under v2.")
    (entry,) = _entries(case=COLOSSUS)
    assert entry.kind == "reevaluation"
    assert (entry.previous.evaluation.rubric_version.number, entry.version.evaluation.rubric_version.number) == (1, 2)


def test_the_page_feed_and_api_show_the_entries_filtered_and_nothing_unpublished(
    client, demo, editor, reviewer, unpublished_version, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the summary's recompute runs after the commit
        _publish(editor, reviewer, correction_note="Corrected figure.", value_of=_dependency_up)
    unpublished_version("in_review")  # a later version in the works: never an entry
    page = client.get(reverse("changelog"))
    body = page.content.decode()
    assert page.status_code == 200 and f'id="{COLOSSUS}-v2"' in body and "Corrected figure." in body
    assert "Correction" in body and SECRET not in body and f"{COLOSSUS}-v3" not in body
    # Filters in the URL: organization and period.
    assert f"{COLOSSUS}-v2" in client.get(reverse("changelog"), {"organization": "anthropic"}).content.decode()
    assert f"{COLOSSUS}-v2" not in client.get(reverse("changelog"), {"until": "2020-01-01"}).content.decode()
    assert client.get(reverse("changelog"), {"since": "2026-06-01", "until": "2026-01-01"}).status_code == 400
    # A fixed number of queries, however many entries the page shows.
    # count, page, public versions of its cases, their scores, the rubric criteria, the organization choices
    with django_assert_num_queries(6):
        client.get(reverse("changelog"))
    feed = client.get(reverse("feed-changes")).content.decode()
    assert "Correction: " in feed and "Scores that moved: dependency (Anthropic) 3 → 4" in feed and SECRET not in feed
    api = client.get("/api/v1/changes/", {"organization": "xai"}).json()
    (item,) = api["results"]
    assert item["case"] == COLOSSUS and item["kind"] == "correction" and item["version"] == 2
    assert item["moves"] == [{"criterion": "dependency", "party": "Anthropic", "before": 3, "after": 4}]
    assert client.get("/api/v1/changes/", {"since": "soon"}).status_code == 400
    # The case's risk summary says where it came from and links to its entry.
    case_page = client.get(reverse("case-detail", kwargs={"slug": COLOSSUS})).content.decode()
    assert f'/changes/?case={COLOSSUS}#{COLOSSUS}-v2"' in case_page
