"""The checklist before submit and approve, and moving a draft onto the active rubric version:
the services, the desk (through the test client) and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import EditConflict, TransitionNotAllowed
from evaluations import checklist as checklists
from evaluations.checklist import APPROVE, Check, version_checklist
from evaluations.models import Annotation, AuditEntry, Citation, Criterion, EvaluationVersion, RubricVersion, Score
from evaluations.selectors import versions_with_content
from evaluations.services import rebase, workflow
from evaluations.services.annotations import AnnotationInput
from evaluations.services.evidence import CitationInput
from evaluations.services.workflow import ScoreInput
from tests.support import tiny

pytestmark = pytest.mark.django_db
V = EvaluationVersion.State
FULL = tiny.COMPLETE_SCORES


@pytest.fixture
def world():
    return {
        "rubric": tiny.rubric_version(),
        "case": tiny.case(),
        "editor": tiny.user("ed", "Editors"),
        "reviewer": tiny.user("rev", "Reviewers"),
        "reader": tiny.user("reader"),
    }


def _read(version: EvaluationVersion) -> EvaluationVersion:
    return versions_with_content(EvaluationVersion.objects.filter(pk=version.pk)).get()


def _kinds(version: EvaluationVersion) -> dict[str, tuple[str, ...]]:
    return {item.kind: item.findings for item in version_checklist(_read(version)).items}


def _with_note(version: EvaluationVersion, world, quote: str = "leases capacity") -> EvaluationVersion:
    return workflow.evaluation_version_save(
        version=version,
        by=world["editor"],
        expected_lock=version.lock_version,
        annotations=[AnnotationInput(quote=quote, kind="context", body="Why.")],
    )


# --- The checklist -----------------------------------------------------------------------------


def test_unscored_criteria_are_listed_per_party_and_for_the_deal(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores={("lev", 0): 2})
    found = _kinds(version)
    assert found["unscored"] == (
        "lev (Beta)",
        "dep (Alpha)",
        "dep (Beta)",
        "work (Alpha)",
        "work (Beta)",
        "data (the deal)",
    )


def test_a_complete_draft_blocks_nothing_and_warns_on_scores_resting_on_nothing(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    result = version_checklist(_read(version))
    assert result.blocking == [] and result.blocking_for("version.submit") == []
    # tiny.version gives each score a rationale and no source: all seven rest on nothing.
    assert [item.kind for item in result.warnings] == ["no_evidence"]
    assert len(result.warnings[0].findings) == 7 and "lev (Alpha)" in result.warnings[0].findings


def test_scores_without_rationale_and_without_evidence_are_warnings(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    source = world["case"].sources.order_by("position").first()
    source.excerpt = "Alpha leases 100 MW to Beta for two years."
    source.save()
    scores = [
        ScoreInput(s.criterion.key, s.party_id, s.value, "", source_ids=(source.pk,))
        for s in version.scores.select_related("criterion")
    ]
    scores[0] = ScoreInput(
        scores[0].criterion, scores[0].party_id, 2, "Quoted.", citations=(CitationInput(source.pk, "100 MW"),)
    )
    scores[1] = ScoreInput(scores[1].criterion, scores[1].party_id, 2, "", source_ids=())
    workflow.evaluation_version_save(version=version, by=world["editor"], expected_lock=1, scores=scores)
    found = _kinds(version)
    assert "unscored" not in found
    assert len(found["no_rationale"]) == 6  # all but the quoted one
    assert found["no_evidence"] == (found["no_rationale"][0],)  # only the score with neither source nor quote
    assert Citation.objects.filter(score__version=version).count() == 1
    # Warnings do not block: it goes to review.
    assert workflow.evaluation_version_submit(version=version, by=world["editor"]).state == V.IN_REVIEW


def test_unscored_criteria_and_orphaned_notes_block_submission_with_the_list(world):
    scores = {key: value for key, value in FULL.items() if key != ("dep", 1)}
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=scores)
    version = _with_note(version, world)
    version = workflow.evaluation_version_save(
        version=version, by=world["editor"], expected_lock=version.lock_version, narrative="Rewritten entirely."
    )
    assert Annotation.objects.get(version=version).orphaned
    with pytest.raises(ValidationError) as refused:
        workflow.evaluation_version_submit(version=version, by=world["editor"])
    assert refused.value.message_dict == {
        "checklist": [
            "Criteria not scored: dep (Beta)",
            "Margin notes whose passage is gone: “leases capacity” (context)",
        ]
    }
    stored = EvaluationVersion.objects.get(pk=version.pk)
    assert stored.state == V.DRAFT and stored.lock_version == version.lock_version
    assert not AuditEntry.objects.filter(evaluation_version=version, action=AuditEntry.Action.SUBMIT).exists()


def test_parked_rationales_block_submission_in_the_list(world):
    """A rationale parked without a score is one more blocking item, named per party (a party the
    case no longer has, too); the service has no refusal of its own for it."""
    scores = {key: value for key, value in FULL.items() if key != ("dep", 1)}
    beta = world["case"].parties.order_by("position")[1]
    parked = [
        {"criterion": "dep", "party": beta.pk, "rationale": "Later."},
        {"criterion": "work", "party": beta.pk + 1000, "rationale": "Gone."},
    ]
    version = tiny.version(
        world["case"], world["editor"], rubric=world["rubric"], scores=scores, parked_rationales=parked
    )
    assert _kinds(version)["parked"] == ("dep (Beta)", "work (a former party)")
    with pytest.raises(ValidationError) as refused:
        workflow.evaluation_version_submit(version=version, by=world["editor"])
    assert refused.value.message_dict == {
        "checklist": [
            "Criteria not scored: dep (Beta)",
            "Rationales parked without a score: dep (Beta); work (a former party)",
        ]
    }
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.DRAFT
    EvaluationVersion.objects.filter(pk=version.pk).update(parked_rationales=[])
    assert "parked" not in _kinds(version)


def test_a_note_whose_passage_is_found_again_no_longer_blocks(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    version = _with_note(version, world)
    assert "orphaned_notes" not in _kinds(version)
    assert workflow.evaluation_version_submit(version=version, by=world["editor"]).state == V.IN_REVIEW


def test_a_rubric_that_moved_on_is_a_warning(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    assert "rubric_moved_on" not in _kinds(version)
    _retire_and_activate_v2(world)
    found = _kinds(version)
    assert found["rubric_moved_on"] == ("this draft is scored under v1 (retired); v2 is active now",)
    assert workflow.evaluation_version_submit(version=version, by=world["editor"]).state == V.IN_REVIEW


def test_a_blocking_item_is_added_in_one_place_and_every_path_obeys_it(world, monkeypatch):
    """The table is the one place: a check that blocks approval (as unresolved review comments will)."""
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    version = workflow.evaluation_version_submit(version=version, by=world["editor"])
    extra = Check("held", "Held for a reason", lambda reads: ["a reason"], blocks=frozenset({APPROVE}))
    monkeypatch.setattr(checklists, "CHECKS", (*checklists.CHECKS, extra))
    with pytest.raises(ValidationError) as refused:
        workflow.evaluation_version_approve(version=version, by=world["reviewer"])
    assert refused.value.message_dict == {"checklist": ["Held for a reason: a reason"]}
    assert EvaluationVersion.objects.get(pk=version.pk).state == V.IN_REVIEW
    monkeypatch.setattr(checklists, "CHECKS", checklists.CHECKS[:-1])
    assert workflow.evaluation_version_approve(version=version, by=world["reviewer"]).state == V.PUBLISHED


# --- Moving a draft onto the active rubric version ----------------------------------------------


def _retire_and_activate_v2(
    world, criteria: dict | None = None, scale_max: int = 4, crosswalk: dict | None = None
) -> RubricVersion:
    """Rubric v1 retired, v2 active: ``lev``, ``dep``, ``work`` kept; ``data`` dropped; ``moat`` new."""
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    world["rubric"].refresh_from_db()
    return tiny.rubric_version(
        number=2,
        scale_max=scale_max,
        crosswalk=crosswalk,
        criteria=criteria
        or {
            "lev": (Criterion.Family.LEVERAGE, True, "1"),
            "moat": (Criterion.Family.LEVERAGE, True, "1"),
            "dep": (Criterion.Family.DEPENDENCY, True, "1"),
            "work": (Criterion.Family.WORKAROUND, True, "1"),
        },
    )


def test_rebase_carries_scores_by_key_lists_new_criteria_and_is_audited(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    source = world["case"].sources.first()
    score = version.scores.get(criterion__key="lev", party__position=0)
    score.sources.add(source)
    v2 = _retire_and_activate_v2(world)
    result = rebase.evaluation_version_rebase(version=version, by=world["editor"], expected_lock=version.lock_version)
    assert (result.from_number, result.to_number) == (1, 2)
    assert result.carried == ("lev", "dep", "work") and result.dropped == ("data",) and result.to_score == ("moat",)
    stored = EvaluationVersion.objects.select_related("evaluation").get(pk=version.pk)
    assert stored.evaluation.rubric_version_id == v2.pk and stored.lock_version == version.lock_version + 1
    assert set(Score.objects.filter(version=version).values_list("criterion__version_id", flat=True)) == {v2.pk}
    assert Score.objects.filter(version=version).count() == 6
    moved = Score.objects.get(version=version, criterion__key="lev", party=score.party)
    assert list(moved.sources.all()) == [source]  # carried with its sources, as a new draft's scores are
    entry = AuditEntry.objects.get(evaluation_version=version, action=AuditEntry.Action.REBASE)
    assert entry.actor == world["editor"] and entry.from_state == entry.to_state == V.DRAFT
    assert "moved from rubric v1 to v2" in entry.comment and "new criteria to score: moat" in entry.comment
    # A revision: the deal's score is gone (revisions keep scores by criterion key).
    assert stored.revisions.order_by("-number").first().what.startswith("moved from rubric v1 to v2")
    # The checklist now lists the new criterion to score, per party; the rubric is current.
    found = _kinds(stored)
    assert found["unscored"] == ("moat (Alpha)", "moat (Beta)") and "rubric_moved_on" not in found


def test_rebase_drops_a_score_the_active_version_scores_another_way_or_off_its_scale(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores={**FULL, ("lev", 1): 4})
    _retire_and_activate_v2(
        world,
        {
            "lev": (Criterion.Family.LEVERAGE, True, "1"),
            "dep": (Criterion.Family.DEPENDENCY, False, "1"),  # per deal now
            "work": (Criterion.Family.WORKAROUND, True, "1"),
            "data": (Criterion.Family.LEVERAGE, False, "1"),
        },
        scale_max=3,
    )
    result = rebase.evaluation_version_rebase(version=version, by=world["editor"], expected_lock=version.lock_version)
    assert result.dropped == ("lev", "dep") and result.carried == ("lev", "work", "data")
    assert Score.objects.filter(version=version).count() == 4


def test_rebase_refusals_leave_the_draft_as_it_was(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    with pytest.raises(TransitionNotAllowed, match="already under the active rubric version"):
        rebase.evaluation_version_rebase(version=version, by=world["editor"], expected_lock=version.lock_version)
    _retire_and_activate_v2(world)
    with pytest.raises(EditConflict):
        rebase.evaluation_version_rebase(version=version, by=world["editor"], expected_lock=version.lock_version - 1)
    with pytest.raises(PermissionDenied):
        rebase.evaluation_version_rebase(version=version, by=world["reader"], expected_lock=version.lock_version)
    in_review = workflow.evaluation_version_submit(version=version, by=world["editor"])
    with pytest.raises(TransitionNotAllowed, match="cannot move a version that is in review"):
        rebase.evaluation_version_rebase(version=in_review, by=world["editor"], expected_lock=in_review.lock_version)
    assert Score.objects.filter(version=version, criterion__version=world["rubric"]).count() == 7
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REBASE).exists()


def test_rebase_carries_through_the_crosswalk_as_a_new_draft_does(world):
    """A criterion renamed in the new version: its scores carry (the crosswalk), not dropped by key."""
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], scores=FULL)
    criteria = {
        "leverage": (Criterion.Family.LEVERAGE, True, "1"),
        "dep": (Criterion.Family.DEPENDENCY, True, "1"),
        "work": (Criterion.Family.WORKAROUND, True, "1"),
    }
    entries = [
        {"kind": "renamed", "from": ["lev"], "to": ["leverage"], "rule": "copy"},
        {"kind": "same", "from": ["dep"], "to": ["dep"], "rule": "copy"},
        {"kind": "same", "from": ["work"], "to": ["work"], "rule": "copy"},
        {"kind": "dropped", "from": ["data"], "to": [], "rule": "unscored"},
    ]
    _retire_and_activate_v2(world, criteria, crosswalk={"from": 1, "entries": entries})
    before = dict(version.scores.filter(criterion__key="lev").values_list("party_id", "value"))
    result = rebase.evaluation_version_rebase(version=version, by=world["editor"], expected_lock=version.lock_version)
    assert "lev" in result.carried and result.dropped == ("data",)
    after = dict(Score.objects.filter(version=version, criterion__key="leverage").values_list("party_id", "value"))
    assert after == before
