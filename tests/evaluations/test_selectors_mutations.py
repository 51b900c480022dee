"""evaluations.selectors, read by read, on a tiny hand-built world (tests/support/tiny.py): what
each returns, in which order, and in how many queries (scripts/mutation)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import Case, DealType, Party, Source
from evaluations import exposure, scoring, selectors
from evaluations.models import (
    Annotation,
    AuditEntry,
    Citation,
    EvaluationVersion,
    PartyFigure,
    RiskSummary,
    RubricVersion,
    Score,
)
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State


@pytest.fixture
def world():
    return {"rubric": tiny.rubric_version(), "case": tiny.case(published=True), "editor": tiny.user("ed", "Editors")}


def _parties(made):
    return list(made.parties.order_by("position"))


# --- Rubric ------------------------------------------------------------------------------------


def test_rubric_spec_is_the_versions_data(world):
    spec = selectors.rubric_spec(world["rubric"])
    assert (spec.scale_min, spec.scale_max) == (0, 4)
    assert [(c.key, c.family, c.weight, c.per_party) for c in spec.criteria] == [
        ("lev", "leverage", Decimal(1), True),
        ("dep", "dependency", Decimal(1), True),
        ("work", "workaround", Decimal(1), True),
        ("data", "leverage", Decimal(1), False),
    ]
    assert (spec.dependency_risk_at, spec.leverage_at, spec.workaround_at) == (60, 50, 50)
    assert spec.risk_bands == (("low", 0), ("elevated", 40), ("high", 70))


def test_rubric_vocabulary_bands_lowest_first_and_every_classification():
    vocabulary = selectors.rubric_vocabulary(
        [
            {"risk_bands": {"high": 70, "low": 0, "b": "40", "a": 40.0}},
            {"risk_bands": {"high": 10, "odd": "x", "none": None, "top": 90}},  # a name seen first keeps its bound
            {"risk_bands": None},
            {},
            "not a dict",
        ]
    )
    assert vocabulary == {
        "risk_bands": [("low", "low"), ("a", "a"), ("b", "b"), ("high", "high"), ("top", "top")],
        "classifications": [
            ("dependency_risk", "dependency risk"),
            ("temporary_workaround", "temporary workaround"),
            ("mixed", "mixed"),
            ("durable_leverage", "durable leverage"),
        ],
    }
    assert [c.value for c in scoring.SEVERITY] == [value for value, _ in vocabulary["classifications"]]


def test_criteria_in_the_rubrics_order(world):
    draft = tiny.rubric_version(number=2, status=RubricVersion.Status.DRAFT)
    draft.criteria.filter(key="data").update(position=0)
    version = RubricVersion.objects.prefetch_related(selectors.criteria_prefetch()).get(pk=draft.pk)
    assert [c.key for c in version.criteria.all()] == ["lev", "data", "dep", "work"]


# --- A version's content ---------------------------------------------------------------------------


def test_versions_with_content_in_order_and_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    made, editor = world["case"], world["editor"]
    version = tiny.version(
        made, editor, rubric=world["rubric"], scores={("work", 1): 1, ("lev", 1): 2, ("lev", 0): 3, ("data", None): 4}
    )
    first, second = made.sources.order_by("position")
    Source.objects.filter(pk=first.pk).update(position=5)
    lev_alpha = Score.objects.get(version=version, criterion__key="lev", party__position=0)
    lev_alpha.sources.add(first, second)
    # Citations in their own order (position, then id), whatever order they were written in.
    Citation.objects.create(score=lev_alpha, source=second, quote="second quote", position=1)
    Citation.objects.create(score=lev_alpha, source=first, quote="first quote", position=0)
    data = Score.objects.get(version=version, criterion__key="data")
    Citation.objects.create(score=data, source=second, quote="deal quote", position=0)
    for quote in ("capacity", "provider"):
        Annotation.objects.create(version=version, quote=quote, kind="context", body="b", author=editor)
    # versions, scores, their sources, their citations (sources joined), annotations (authors joined)
    with django_assert_num_queries(5):
        loaded = selectors.versions_with_content(EvaluationVersion.objects.filter(pk=version.pk)).get()
        rows = [
            (s.criterion.key, s.party.organization.slug if s.party else None, [x.title for x in s.sources.all()])
            for s in loaded.scores.all()
        ]
        cited = [[(c.quote, c.source.title) for c in s.citations.all()] for s in loaded.scores.all()]
        notes = [(a.quote, a.author.username) for a in loaded.annotations.all()]
        rubric = (loaded.evaluation.rubric_version.number, loaded.evaluation.rubric_version.rubric.slug)
    # criterion position (lev, dep, work, data), then party position
    assert rows == [
        ("lev", "alpha", ["Story 1", "Story 0"]),
        ("lev", "beta", []),
        ("work", "beta", []),
        ("data", None, []),
    ]
    assert cited == [[("first quote", "Story 0"), ("second quote", "Story 1")], [], [], [("deal quote", "Story 1")]]
    assert notes == [("capacity", "ed"), ("provider", "ed")]
    assert rubric == (1, "tiny")
    assert selectors.versions_with_content().count() == 1


# --- Summary inputs --------------------------------------------------------------------------------


def test_summary_inputs_read_the_published_version_under_the_active_rubric(world, django_assert_num_queries):
    made, editor = world["case"], world["editor"]
    alpha, beta = _parties(made)
    tiny.version(made, editor, V.SUPERSEDED, rubric=world["rubric"], number=1, scores={("lev", 0): 1})
    published = tiny.version(made, editor, V.PUBLISHED, rubric=world["rubric"], number=2, scores=dict(tiny.FULL_SCORES))
    tiny.version(made, editor, V.DRAFT, rubric=world["rubric"], number=3, scores={("lev", 0): 0})
    unpublished = tiny.case("draft-only", orgs=("gamma", "delta"))
    with django_assert_num_queries(4):
        inputs = selectors.summary_inputs([made.pk, unpublished.pk])
    assert set(inputs) == {made.pk, unpublished.pk}
    got = inputs[made.pk]
    assert (got.version_id, got.rubric_id, got.rubric_version) == (
        published.pk,
        world["rubric"].rubric_id,
        world["rubric"],
    )
    assert got.party_scores == {alpha.pk: {"lev": 3, "dep": 1, "work": 2}, beta.pk: {"lev": 1, "dep": 4, "work": 3}}
    assert got.deal_scores == {"data": 2}
    assert got.party_orgs == {alpha.pk: alpha.organization_id, beta.pk: beta.organization_id}
    assert inputs[unpublished.pk] == selectors.SummaryInputs()
    assert selectors.summary_inputs([]) == {}


def test_summary_inputs_leave_out_what_the_active_version_cannot_take(world):
    made, editor = world["case"], world["editor"]
    alpha, beta = _parties(made)
    tiny.version(made, editor, V.PUBLISHED, rubric=world["rubric"], scores=dict(tiny.FULL_SCORES))
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    newer = tiny.rubric_version(
        number=2,
        scale_max=3,
        criteria={
            "lev": ("leverage", True, "1"),
            "work": ("workaround", False, "1"),  # per deal now
            "data": ("leverage", True, "1"),  # per party now
        },
    )
    got = selectors.summary_inputs([made.pk])[made.pk]
    assert got.rubric_version == newer
    # dep is gone; beta's dep 4 was beyond the new scale anyway; work and data changed kind
    assert got.party_scores == {alpha.pk: {"lev": 3}, beta.pk: {"lev": 1}}
    assert got.deal_scores == {}
    assert got.party_orgs == {alpha.pk: alpha.organization_id, beta.pk: beta.organization_id}


def test_summary_inputs_keep_a_party_whose_scores_all_fall_out(world):
    made, editor = world["case"], world["editor"]
    alpha, _ = _parties(made)
    tiny.version(made, editor, V.PUBLISHED, rubric=world["rubric"], scores={("dep", 0): 4, ("data", None): 0})
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    tiny.rubric_version(number=2, scale_max=3)
    got = selectors.summary_inputs([made.pk])[made.pk]
    assert got.party_scores == {alpha.pk: {}}  # the party is there, with nothing that fits
    assert got.deal_scores == {"data": 0}  # the scale's lower end fits


def test_summary_inputs_without_an_active_rubric_version(world):
    made = world["case"]
    published = tiny.version(made, world["editor"], V.PUBLISHED, rubric=world["rubric"], scores=dict(tiny.FULL_SCORES))
    RubricVersion.objects.filter(pk=world["rubric"].pk).update(status=RubricVersion.Status.RETIRED)
    got = selectors.summary_inputs([made.pk])[made.pk]
    assert (got.version_id, got.rubric_version) == (published.pk, None)
    assert (got.party_scores, got.deal_scores, got.party_orgs) == ({}, {}, {})


# --- Summaries and exposures --------------------------------------------------------------------------


def test_summaries_needing_reevaluation_are_published_ones_by_title(world):
    zeta = tiny.case("zeta", orgs=("z1", "z2"), published=True)
    Case.objects.filter(pk=zeta.pk).update(title="A zeta deal")
    hidden = tiny.case("hidden", orgs=("h1", "h2"))
    fine = tiny.case("fine", orgs=("f1", "f2"), published=True)
    for made, needs in ((world["case"], True), (zeta, True), (hidden, True), (fine, False)):
        RiskSummary.objects.create(case=made, needs_reevaluation=needs, rubric_version=world["rubric"])
    rows = selectors.summaries_needing_reevaluation()
    assert [row.case.slug for row in rows] == ["zeta", "deal"]
    assert rows[0].rubric_version == world["rubric"]


def test_stale_summaries_stats(world):
    assert selectors.stale_summaries_stats() == (0, None)
    now = timezone.now()
    others = [tiny.case(f"c{n}", orgs=(f"c{n}a", f"c{n}b")) for n in range(2)]
    RiskSummary.objects.create(case=world["case"], stale=True, stale_since=now - timedelta(hours=1))
    RiskSummary.objects.create(case=others[0], stale=True, stale_since=now)
    RiskSummary.objects.create(case=others[1], stale=False)
    assert selectors.stale_summaries_stats() == (2, now - timedelta(hours=1))


def test_exposure_deals_of_each_organization(world, django_assert_num_queries):
    made = world["case"]
    alpha, beta = _parties(made)
    made.deal_types.add(*DealType.objects.order_by("-slug")[:2])
    other = tiny.case("other", orgs=("alpha", "gamma"), published=True)
    Case.objects.filter(pk=other.pk).update(announced_on=date(2024, 5, 1))
    tiny.case("unpublished", orgs=("alpha", "delta"))
    summary = RiskSummary.objects.create(case=made)
    PartyFigure.objects.create(summary=summary, party=alpha, organization=alpha.organization, classification="mixed")
    PartyFigure.objects.create(
        summary=summary, party=beta, organization=beta.organization, classification="dependency_risk"
    )
    # parties (with their case's year), deal types, figures: the cases a subquery of each read
    with django_assert_num_queries(3):
        deals = selectors.exposure_deals([alpha.organization_id, beta.organization_id])
    types = tuple(sorted(made.deal_types.values_list("slug", flat=True)))
    made_parties = (
        exposure.DealParty(alpha.organization_id, "provider", "alpha", "Alpha"),
        exposure.DealParty(beta.organization_id, "customer", "beta", "Beta"),
    )
    gamma = other.parties.get(role="customer").organization
    assert {org: sorted(ds, key=lambda d: d.case_id) for org, ds in deals.items()} == {
        alpha.organization_id: [
            exposure.Deal(made.pk, 2026, types, made_parties, "mixed"),
            exposure.Deal(
                other.pk,
                2024,
                (),
                (
                    exposure.DealParty(alpha.organization_id, "provider", "alpha", "Alpha"),
                    exposure.DealParty(gamma.pk, "customer", "gamma", "Gamma"),
                ),
                "",
            ),
        ],
        beta.organization_id: [exposure.Deal(made.pk, 2026, types, made_parties, "dependency_risk")],
    }
    assert len(types) == 2 and list(types) == sorted(types)


def test_exposure_deals_one_per_organization_whatever_its_roles_its_figure_the_last_party_s(world):
    made = world["case"]
    alpha, beta = _parties(made)
    investor = Party.objects.create(case=made, organization=alpha.organization, role="investor", position=0)
    Party.objects.filter(pk=alpha.pk).update(position=1)
    Party.objects.filter(pk=beta.pk).update(position=2)
    summary = RiskSummary.objects.create(case=made)
    # Of alpha's two figures, the later party's (by position, though made first) counts.
    PartyFigure.objects.create(summary=summary, party=alpha, organization=alpha.organization, classification="mixed")
    PartyFigure.objects.create(
        summary=summary, party=investor, organization=alpha.organization, classification="durable_leverage"
    )
    deals = selectors.exposure_deals([alpha.organization_id])
    assert deals == {
        alpha.organization_id: [
            exposure.Deal(
                made.pk,
                2026,
                (),
                (
                    exposure.DealParty(alpha.organization_id, "investor", "alpha", "Alpha"),
                    exposure.DealParty(alpha.organization_id, "provider", "alpha", "Alpha"),
                    exposure.DealParty(beta.organization_id, "customer", "beta", "Beta"),
                ),
                "mixed",
            )
        ]
    }


# --- Desk ------------------------------------------------------------------------------------------------


def _versions_in_every_state(world):
    editor, other = world["editor"], tiny.user("other", "Editors")
    now = timezone.now()
    hour = timedelta(hours=1)
    # Orders: drafts by last change (newest first), reviews by submission, schedules by time, publications newest first.
    rows = [
        (V.DRAFT, editor, {"updated_at": now - 2 * hour}),
        (V.DRAFT, editor, {"updated_at": now - hour}),
        (V.DRAFT, other, {}),
        (V.IN_REVIEW, other, {"submitted_at": now - hour}),
        (V.IN_REVIEW, editor, {"submitted_at": now - 2 * hour}),
        (V.SCHEDULED, editor, {"publish_at": now + 48 * hour}),
        (V.SCHEDULED, editor, {"publish_at": now + 24 * hour}),
        (V.PUBLISHED, editor, {"published_at": now - 24 * hour}),
        (V.PUBLISHED, editor, {"published_at": now}),
    ]
    made = {}
    for n, (state, author, fields) in enumerate(rows):
        case_n = tiny.case(f"c{n}", orgs=(f"c{n}a", f"c{n}b"), published=state == V.PUBLISHED)
        made[n] = tiny.version(case_n, author, state, rubric=world["rubric"], **fields)
    return made


def test_desk_dashboard(world, django_assert_num_queries):
    made = _versions_in_every_state(world)
    stale_case = tiny.case("stale", orgs=("s1", "s2"))
    fresh_case = tiny.case("fresh", orgs=("f1", "f2"))
    since = timezone.now() - timedelta(hours=3)
    RiskSummary.objects.create(case=stale_case, stale=True, stale_since=since)
    RiskSummary.objects.create(case=fresh_case, stale=False)
    RiskSummary.objects.create(
        case=world["case"], stale=True, stale_since=since + timedelta(hours=1), needs_reevaluation=True
    )
    overdue = timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    before = timezone.now()
    # stale stats, overdue stats, five version lists (case and author joined), two summary lists
    with django_assert_num_queries(9):
        dashboard = selectors.desk_dashboard(world["editor"])
        [(v.case.slug, v.author.username) for key in ("my_drafts", "in_review") for v in dashboard[key]]
    after = timezone.now()
    pks = {key: [v.pk for v in dashboard[key]] for key in ("my_drafts", "in_review", "scheduled", "recently_published")}
    assert pks == {
        "my_drafts": [made[1].pk, made[0].pk],
        "in_review": [made[4].pk, made[3].pk],
        "scheduled": [made[6].pk, made[5].pk],
        "recently_published": [made[8].pk, made[7].pk],
    }
    assert [s.case.slug for s in dashboard["needs_reevaluation"]] == ["deal"]
    assert [s.case.slug for s in dashboard["stale_summaries"]] == ["stale", "deal"]
    assert (dashboard["stale_count"], dashboard["stale_oldest"]) == (2, since)
    # The scheduled versions are both in the future: none overdue.
    assert (dashboard["overdue_count"], dashboard["overdue_oldest"]) == (0, None)
    assert before - overdue <= dashboard["overdue_before"] <= after - overdue
    assert set(dashboard) == {
        "my_drafts",
        "assigned_to_me",
        "in_review",
        "scheduled",
        "recently_published",
        "needs_reevaluation",
        "stale_summaries",
        "stale_count",
        "stale_oldest",
        "overdue_count",
        "overdue_oldest",
        "overdue_before",
    }


def test_desk_case_list_finds_drafts_by_title_or_slug(world, django_assert_num_queries):
    draft = tiny.case("secret-deal", orgs=("s1", "s2"))
    later = timezone.now() + timedelta(hours=1)
    Case.objects.filter(pk=draft.pk).update(title="Quokka merger")
    Case.objects.filter(pk=world["case"].pk).update(updated_at=later)  # the older case, changed last
    tiny.version(world["case"], world["editor"], V.SUPERSEDED, rubric=world["rubric"], number=1)
    tiny.version(world["case"], world["editor"], V.PUBLISHED, rubric=world["rubric"], number=2)
    assert [c.slug for c in selectors.desk_case_list()] == ["deal", "secret-deal"]
    Case.objects.filter(pk=draft.pk).update(updated_at=later)  # the same moment: the newest case first
    assert [c.slug for c in selectors.desk_case_list()] == ["secret-deal", "deal"]
    assert [c.slug for c in selectors.desk_case_list("  QUOKKA\x00 ")] == ["secret-deal"]
    assert [c.slug for c in selectors.desk_case_list("ecret-de")] == ["secret-deal"]
    with django_assert_num_queries(2):
        rows = {c.slug: [(v.number, v.state) for v in c.evaluation_versions.all()] for c in selectors.desk_case_list()}
    assert rows == {"secret-deal": [], "deal": [(1, V.SUPERSEDED), (2, V.PUBLISHED)]}


def test_desk_case_and_version_and_history(world, django_assert_num_queries):
    made, editor = world["case"], world["editor"]
    first = tiny.version(made, editor, V.PUBLISHED, rubric=world["rubric"], number=1, scores={("lev", 0): 1})
    second = tiny.version(made, editor, V.DRAFT, rubric=world["rubric"], number=2)
    now = timezone.now()
    AuditEntry.objects.create(
        action="submit", actor=editor, at=now, from_state="draft", to_state="in_review", evaluation_version=first
    )
    AuditEntry.objects.create(
        action="create",
        actor=editor,
        at=now - timedelta(hours=1),
        from_state="",
        to_state="draft",
        evaluation_version=first,
    )
    with django_assert_num_queries(7):
        case = selectors.desk_case(made.pk)
        assert [p.organization.slug for p in case.parties.all()] == ["alpha", "beta"]
        assert [s.title for s in case.sources.all()] == ["Story 0", "Story 1"]
        assert [
            (v.number, v.author.username, v.evaluation.rubric_version.number) for v in case.evaluation_versions.all()
        ] == [
            (1, "ed", 1),
            (2, "ed", 1),
        ]
        assert (list(case.deal_types.all()), list(case.tags.all()), list(case.timeline.all())) == ([], [], [])
        assert getattr(case, "risk_summary", None) is None
    # version (case, author, rubric joined), scores, their sources, their citations, annotations,
    # audit entries (actors joined), revisions (savers joined)
    with django_assert_num_queries(7):
        version = selectors.desk_version(first.pk)
        assert [e.action for e in version.audit_entries.all()] == ["create", "submit"]
        assert [e.actor.username for e in version.audit_entries.all()] == ["ed", "ed"]
        assert (version.case.slug, version.author.username, len(version.scores.all())) == ("deal", "ed", 1)
        assert [list(s.citations.all()) for s in version.scores.all()] == [[]]
        assert list(version.revisions.all()) == []
        assert selectors.version_contributors(version) == [editor]
    with django_assert_num_queries(2):
        history = selectors.desk_case_history(made.pk)
        assert [(v.number, v.author.username, v.published_by and v.published_by.username) for v in history] == [
            (1, "ed", "ed"),
            (2, "ed", None),
        ]
        assert [e.action for e in history[0].audit_entries.all()] == ["create", "submit"]
    with pytest.raises(Case.DoesNotExist):
        selectors.desk_case(made.pk + 1000)
    with pytest.raises(EvaluationVersion.DoesNotExist):
        selectors.desk_version(second.pk + 1000)
    assert selectors.desk_case_has_published(made.pk) is True
    assert selectors.desk_case_has_published(tiny.case("new", orgs=("n1", "n2")).pk) is False


def test_desk_versions_for_compare_drop_numbers_no_version_can_have(world, django_assert_num_queries):
    made, editor = world["case"], world["editor"]
    tiny.version(made, editor, V.SUPERSEDED, rubric=world["rubric"], number=1, scores={("lev", 0): 1})
    tiny.version(made, editor, V.PUBLISHED, rubric=world["rubric"], number=2)
    with django_assert_num_queries(4):  # versions, scores, their sources, their citations
        versions = selectors.desk_versions_for_compare(made.pk, [0, 1, 2, 3, -1, 2**31, 2**63])
        assert sorted(versions) == [1, 2]
        assert [(s.criterion.key, s.party.organization.slug) for s in versions[1].scores.all()] == [("lev", "alpha")]
        assert [list(s.citations.all()) for s in versions[1].scores.all()] == [[]]
    # Another case's versions are not this one's; the highest number a version can have is asked for.
    other = tiny.case("other", orgs=("o1", "o2"))
    tiny.version(other, editor, V.DRAFT, rubric=world["rubric"], number=3)
    assert selectors.desk_versions_for_compare(made.pk, [3]) == {}
    top = tiny.version(made, editor, V.DRAFT, rubric=world["rubric"], number=selectors.VERSION_NUMBER_MAX)
    assert selectors.desk_versions_for_compare(made.pk, [selectors.VERSION_NUMBER_MAX]) == {
        selectors.VERSION_NUMBER_MAX: top
    }


# --- Health, desk filters, notifications, revisions -----------------------------------------------


def test_overdue_publications_stats_count_only_scheduled_ones_past_the_grace(world):
    now = timezone.now()
    grace = timedelta(seconds=settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS)
    author = world["editor"]
    other = tiny.case("other")
    third = tiny.case("third", orgs=("gamma", "delta"))
    assert selectors.overdue_publications_stats(now) == (0, None)
    assert selectors.overdue_publications_health()[0] is True
    oldest = now - grace - timedelta(seconds=100)
    tiny.version(world["case"], author, V.SCHEDULED, rubric=world["rubric"], publish_at=oldest)
    tiny.version(other, author, V.SCHEDULED, rubric=world["rubric"], publish_at=now - grace)  # at the cutoff: not yet
    tiny.version(third, author, V.IN_REVIEW, rubric=world["rubric"], publish_at=oldest - timedelta(days=1))
    assert selectors.overdue_publications_stats(now) == (1, oldest)
    assert selectors.overdue_publications_stats(now + timedelta(seconds=1)) == (2, oldest)
    healthy, details = selectors.overdue_publications_health()
    assert healthy is False
    assert details["count"] == 2
    assert details["max_overdue_seconds"] == settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS
    seconds = (timezone.now() - oldest).total_seconds()
    assert round(seconds) - 2 <= details["oldest_overdue_seconds"] <= round(seconds)
    assert details["oldest_overdue_seconds"] >= settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS + 100


def test_overdue_publications_health_without_any(world):
    assert selectors.overdue_publications_health() == (
        True,
        {"count": 0, "oldest_overdue_seconds": 0, "max_overdue_seconds": settings.SCHEDULED_PUBLISH_OVERDUE_SECONDS},
    )


def test_desk_case_assignees_of_open_versions_and_authors(world, django_assert_num_queries):
    from evaluations.models import ReviewAssignment

    zed, amy, bob = tiny.user("zed"), tiny.user("amy"), tiny.user("bob")
    author = world["editor"]
    open_one = tiny.version(world["case"], author, V.IN_REVIEW, rubric=world["rubric"], number=2)
    done = tiny.version(tiny.case("other"), zed, V.PUBLISHED, rubric=world["rubric"])
    draft = tiny.version(tiny.case("third", orgs=("gamma", "delta")), amy, rubric=world["rubric"])
    now = timezone.now()
    for version, reviewer in ((open_one, zed), (open_one, amy), (draft, zed), (done, bob)):
        ReviewAssignment.objects.create(version=version, reviewer=reviewer, assigned_by=author, assigned_at=now)
    with django_assert_num_queries(1):
        assert selectors.desk_case_assignees() == [(amy.pk, "amy"), (zed.pk, "zed")]
    with django_assert_num_queries(1):
        assert selectors.desk_case_authors() == [(amy.pk, "amy"), (author.pk, "ed"), (zed.pk, "zed")]


def test_notifications_are_the_users_own(world):
    from evaluations.models import Notification

    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"])
    me, other = tiny.user("me"), tiny.user("other")
    now = timezone.now()

    def note(recipient, minutes, read=False):
        return Notification.objects.create(
            recipient=recipient,
            kind=Notification.Kind.SUBMIT,
            version=version,
            actor=world["editor"],
            created_at=now - timedelta(minutes=minutes),
            read_at=now if read else None,
        )

    old, new, read, tie = note(me, 10), note(me, 1), note(me, 5, read=True), note(me, 1)
    theirs = note(other, 0)
    assert list(selectors.notifications_for(me)) == [tie, new, read, old]
    assert selectors.notifications_unread_count(me) == 3
    assert selectors.notifications_unread_count(other) == 1
    assert selectors.notification_of(me, old.pk) == old
    with pytest.raises(Notification.DoesNotExist):
        selectors.notification_of(me, theirs.pk)
    first = selectors.notifications_for(me).first()
    assert first.version.case.slug == "deal" and first.actor == world["editor"]


def _revision(version, number, who, at):
    from evaluations.models import Revision

    return Revision.objects.create(version=version, number=number, saved_by=who, saved_at=at, content={"n": number})


def test_revisions_by_number_and_the_save_marker(world, django_assert_num_queries):
    author, other = world["editor"], tiny.user("other")
    version = tiny.version(world["case"], author, rubric=world["rubric"])
    elsewhere = tiny.version(tiny.case("other"), author, rubric=world["rubric"])
    at = timezone.now()
    first, second = _revision(version, 1, author, at), _revision(version, 2, other, at + timedelta(minutes=1))
    _revision(elsewhere, 3, author, at)
    with django_assert_num_queries(1):
        found = selectors.revisions_by_number(version.pk, [2, 3, 0, -1, selectors.VERSION_NUMBER_MAX + 1])
        assert found == {2: second} and found[2].saved_by.username == "other"
    assert selectors.revisions_by_number(version.pk, [1, 2]) == {1: first, 2: second}
    assert selectors.revisions_by_number(elsewhere.pk, [selectors.VERSION_NUMBER_MAX, 3]).keys() == {3}
    with django_assert_num_queries(2):
        marker = selectors.version_save_marker(version.pk)
    assert marker == {
        "lock_version": version.lock_version,
        "etag": version.etag,
        "state": "draft",
        "saved_by": "other",
        "saved_at": second.saved_at.isoformat(),
    }
    bare = tiny.version(tiny.case("third", orgs=("gamma", "delta")), author, V.IN_REVIEW, rubric=world["rubric"])
    assert selectors.version_save_marker(bare.pk) == {
        "lock_version": bare.lock_version,
        "etag": bare.etag,
        "state": "in_review",
        "saved_by": None,
        "saved_at": None,
    }
    with django_assert_num_queries(1):
        assert selectors.version_save_marker(bare.pk + 100) is None


# --- Public validators (ETags) ---------------------------------------------------------------------


@pytest.fixture
def history(world):
    """The published case's versions 1 (superseded), 2 (published) and 3 (a draft), with locks 3, 5 and 7;
    and a draft case with a published version 1."""
    author, rubric, made = world["editor"], world["rubric"], world["case"]
    old = tiny.version(made, author, V.SUPERSEDED, rubric=rubric, number=1, lock_version=3)
    current = tiny.version(made, author, V.PUBLISHED, rubric=rubric, number=2, lock_version=5)
    draft = tiny.version(made, author, rubric=rubric, number=3, lock_version=7)
    hidden = tiny.version(tiny.case("hidden"), author, V.PUBLISHED, rubric=rubric, number=1, lock_version=9)
    return {"old": old, "current": current, "draft": draft, "hidden": hidden}


def test_version_etags_say_the_lock_and_a_superseded_state(history, django_assert_num_queries):
    old, current, draft = history["old"], history["current"], history["draft"]
    with django_assert_num_queries(1):
        assert selectors.public_version_etag(current.pk) == f'"ev{current.pk}-5"'
    assert selectors.public_version_etag(old.pk) == f'"ev{old.pk}-3-superseded"'
    assert selectors.public_version_etag(draft.pk) is None
    assert selectors.public_version_etag(history["hidden"].pk) == f'"ev{history["hidden"].pk}-9"'  # its own lock
    with django_assert_num_queries(1):
        assert selectors.case_version_etag("deal", 2) == f'"ev{current.pk}-5"'
    assert selectors.case_version_etag("deal", 1) == f'"ev{old.pk}-3-superseded"'
    assert selectors.case_version_etag("deal", 3) is None  # a draft
    assert selectors.case_version_etag("hidden", 1) is None  # an unpublished case
    assert selectors.case_version_etag("nothing", 1) is None


def test_case_versions_etag_counts_public_versions_of_a_published_case(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.case_versions_etag("deal") == f'"evs{history["current"].pk}-2-8"'
    assert selectors.case_versions_etag("hidden") is None
    assert selectors.case_versions_etag("nothing") is None


def test_public_comparison_etag_needs_both_public_versions(history, django_assert_num_queries):
    old, current = history["old"], history["current"]
    stamp = f"{Case.objects.get(slug='deal').updated_at.timestamp():.6f}"
    with django_assert_num_queries(1):
        etag = selectors.public_comparison_etag("deal", 1, 2)
    assert etag == f'"cmp{old.pk}.3.superseded-{current.pk}.5.published-{stamp}"'
    assert selectors.public_comparison_etag("deal", 2, 1) == (
        f'"cmp{current.pk}.5.published-{old.pk}.3.superseded-{stamp}"'
    )
    assert selectors.public_comparison_etag("deal", 1, 3) is None  # 3 is a draft
    assert selectors.public_comparison_etag("deal", 4, 2) is None
    assert selectors.public_comparison_etag("hidden", 1, 1) is None


def test_rubric_etags_leave_drafts_out(world, django_assert_num_queries):
    active = world["rubric"]  # tiny v1, active
    retired_at = timezone.now() - timedelta(days=1)
    retired = tiny.rubric_version(number=2, status=RubricVersion.Status.RETIRED)
    RubricVersion.objects.filter(pk=retired.pk).update(retired_at=retired_at)
    retired.refresh_from_db()
    draft = tiny.rubric_version(number=3, status=RubricVersion.Status.DRAFT)
    stamp = selectors._rubric_stamp
    assert stamp(None) == "-"
    assert stamp(active.activated_at) == f"{active.activated_at.timestamp():.6f}"
    with django_assert_num_queries(1):
        assert selectors.public_rubric_version_etag("tiny", 1) == (
            f'"rv{active.pk}-active-{stamp(active.activated_at)}--"'
        )
    assert selectors.public_rubric_version_etag("tiny", 2) == (
        f'"rv{retired.pk}-retired-{stamp(retired.activated_at)}-{stamp(retired_at)}"'
    )
    assert selectors.public_rubric_version_etag("tiny", draft.number) is None
    assert selectors.public_rubric_version_etag("other", 1) is None
    latest = max(active.activated_at, retired.activated_at)
    with django_assert_num_queries(1):
        assert selectors.public_rubric_versions_etag("tiny") == (
            f'"rvs{retired.pk}-2-{active.pk}-{stamp(latest)}-{stamp(retired_at)}"'
        )
    tiny.rubric_version(slug="drafty", status=RubricVersion.Status.DRAFT)
    assert selectors.public_rubric_versions_etag("drafty") is None
    assert selectors.public_rubric_versions_etag("nothing") is None


def test_public_rubrics_etag_changes_with_what_readers_see_only(world, django_assert_num_queries):
    from evaluations.models import Rubric

    with django_assert_num_queries(1):
        first = selectors.public_rubrics_etag()
    assert first.startswith('"rbs') and first.endswith('"') and len(first) == 4 + 32 + 1
    draft = tiny.rubric_version(number=2, status=RubricVersion.Status.DRAFT)
    assert selectors.public_rubrics_etag() == first  # a draft version is not public
    RubricVersion.objects.filter(pk=draft.pk).update(status=RubricVersion.Status.RETIRED)
    retired = selectors.public_rubrics_etag()
    assert retired != first
    Rubric.objects.filter(slug="tiny").update(description="New words")
    described = selectors.public_rubrics_etag()
    assert described not in (first, retired)
    Rubric.objects.filter(slug="tiny").update(name="Renamed")
    assert selectors.public_rubrics_etag() not in (first, retired, described)
    other = tiny.rubric_version(slug="other", status=RubricVersion.Status.DRAFT).rubric
    active, retired_version = world["rubric"], RubricVersion.objects.get(pk=draft.pk)
    at = active.activated_at  # the retired one, once a draft, was never activated
    stamp = selectors._rubric_stamp
    rows = [
        (active.rubric_id, "tiny", "Renamed", "New words", 2, retired_version.pk, active.pk, stamp(at), "-"),
        (other.pk, "other", "Rubric other", other.description, 0, None, None, "-", "-"),
    ]
    text = "\n".join(repr(row) for row in rows)
    assert selectors.public_rubrics_etag() == f'"rbs{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


# --- The review loop ---------------------------------------------------------------------------------


def test_users_with_permission_active_holders_by_username():
    from django.contrib.auth.models import Group, Permission, User

    wanted = Permission.objects.get(codename="view_case", content_type__app_label="cases")
    unrelated = Permission.objects.get(codename="add_case", content_type__app_label="cases")
    holders, others = Group.objects.create(name="holders"), Group.objects.create(name="others")
    holders.permissions.add(wanted)
    others.permissions.add(wanted, unrelated)
    zoe, amy, bob = tiny.user("zoe", "holders"), tiny.user("amy"), tiny.user("bob")
    amy.user_permissions.add(wanted)
    zoe.groups.add(others)  # twice over: listed once
    User.objects.filter(pk=tiny.user("boss").pk).update(is_superuser=True)
    User.objects.filter(pk=tiny.user("gone", "holders").pk).update(is_active=False)
    User.objects.filter(pk=tiny.user("old boss").pk).update(is_superuser=True, is_active=False)
    bob.user_permissions.add(unrelated)
    tiny.user("carl").groups.add(Group.objects.create(name="empty"))
    names = [u.username for u in selectors.users_with_permission("cases.view_case")]
    assert names == ["amy", "boss", "zoe"]
    assert [u.username for u in selectors.users_with_permission("cases.add_case")] == ["bob", "boss", "zoe"]
    assert [u.username for u in selectors.users_with_permission("evaluations.view_case")] == ["boss"]


def _audit(version, action, from_state, to_state, at, actor=None):
    return AuditEntry.objects.create(
        evaluation_version=version, action=action, from_state=from_state, to_state=to_state, at=at, actor=actor
    )


def test_sent_back_by_is_the_drafts_last_state_change(world):
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"])
    reviewer = tiny.user("rev")
    at = timezone.now()
    assert selectors.sent_back_by(selectors.desk_version(version.pk)) is None
    _audit(version, AuditEntry.Action.SUBMIT, "draft", "in_review", at)
    back = _audit(version, AuditEntry.Action.SEND_BACK, "in_review", "draft", at + timedelta(minutes=1), reviewer)
    _audit(version, AuditEntry.Action.SAVE, "draft", "draft", at + timedelta(minutes=2))  # content, not state
    found = selectors.sent_back_by(selectors.desk_version(version.pk))
    assert found == back and found.actor == reviewer
    _audit(version, AuditEntry.Action.SUBMIT, "draft", "in_review", at + timedelta(minutes=3))
    _audit(version, AuditEntry.Action.WITHDRAW, "in_review", "draft", at + timedelta(minutes=4))
    assert selectors.sent_back_by(selectors.desk_version(version.pk)) is None
    _audit(version, AuditEntry.Action.SEND_BACK, "in_review", "draft", at + timedelta(minutes=5))
    loaded = selectors.desk_version(version.pk)
    assert selectors.sent_back_by(loaded) is not None
    loaded.state = V.IN_REVIEW
    assert selectors.sent_back_by(loaded) is None


def test_last_review_is_the_users_own_send_back_else_anyones(world):
    author, me, other = world["editor"], tiny.user("me"), tiny.user("other")
    version = tiny.version(world["case"], author, rubric=world["rubric"])
    at = timezone.now()
    assert selectors.last_review(selectors.desk_version(version.pk), me) is None  # nothing yet
    _revision(version, 1, author, at)
    assert selectors.last_review(selectors.desk_version(version.pk), me) is None  # no send-back
    mine = _audit(version, AuditEntry.Action.SEND_BACK, "in_review", "draft", at + timedelta(minutes=1), me)
    assert selectors.last_review(selectors.desk_version(version.pk), me) is None  # not revised since
    _revision(version, 2, author, at + timedelta(minutes=2))
    theirs = _audit(version, AuditEntry.Action.SEND_BACK, "in_review", "draft", at + timedelta(minutes=2), other)
    _revision(version, 3, author, at + timedelta(minutes=3))
    _audit(version, AuditEntry.Action.SUBMIT, "draft", "in_review", at + timedelta(minutes=4), other)
    loaded = selectors.desk_version(version.pk)
    assert selectors.last_review(loaded, me) == selectors.LastReview(entry=mine, revision_number=1, by_you=True)
    # Someone who sent nothing back sees the last send-back; revision 2, saved at its very time, counts as before it.
    assert selectors.last_review(loaded, author) == selectors.LastReview(entry=theirs, revision_number=2, by_you=False)
    assert selectors.last_review(loaded, other) == selectors.LastReview(entry=theirs, revision_number=2, by_you=True)
    early = tiny.version(tiny.case("other"), author, rubric=world["rubric"])
    _revision(early, 1, author, at + timedelta(minutes=1))
    _revision(early, 2, author, at + timedelta(minutes=2))
    _audit(early, AuditEntry.Action.SEND_BACK, "in_review", "draft", at, me)  # before any revision
    assert selectors.last_review(selectors.desk_version(early.pk), me) is None


def test_review_threads_unresolved_first_with_replies_and_passage(world, django_assert_num_queries):
    from evaluations.models import ReviewAssignment, ReviewComment

    narrative = "A" * 70 + " the provider leases capacity " + "B" * 70
    version = tiny.version(world["case"], world["editor"], rubric=world["rubric"], narrative=narrative)
    other = tiny.version(tiny.case("other"), world["editor"], rubric=world["rubric"])
    me, you = tiny.user("me"), tiny.user("you")
    at = timezone.now()

    def comment(minutes, *, on=version, parent=None, quote="", resolved=False):
        return ReviewComment.objects.create(
            version=on,
            parent=parent,
            author=me,
            body=f"at {minutes}",
            quote=quote,
            created_at=at + timedelta(minutes=minutes),
            resolved_at=at if resolved else None,
            resolved_by=you if resolved else None,
        )

    done = comment(1, resolved=True)
    anchored = comment(2, quote="the provider leases capacity")
    lost = comment(3, quote="words no longer there")
    late_reply, early_reply = comment(5, parent=anchored), comment(4, parent=anchored)
    done_reply = comment(6, parent=done)
    comment(0, on=other)
    ReviewAssignment.objects.create(version=version, reviewer=you, assigned_by=me, assigned_at=at)
    ReviewAssignment.objects.create(version=version, reviewer=me, assigned_by=me, assigned_at=at - timedelta(1))
    ReviewAssignment.objects.create(version=other, reviewer=me, assigned_by=me, assigned_at=at)
    with django_assert_num_queries(2):
        loaded = selectors.version_review_load(version)
        assert [a.reviewer.username for a in loaded.assignments.all()] == ["me", "you"]
    with django_assert_num_queries(0):
        threads = selectors.review_threads(loaded)
        assert threads[2].comment.resolved_by.username == "you"
    assert [(t.comment, t.replies, t.found) for t in threads] == [
        (anchored, [early_reply, late_reply], True),
        (lost, [], False),
        (done, [done_reply], False),
    ]
    assert (threads[0].before, threads[0].after) == ("A" * 59 + " ", " " + "B" * 59)
    assert (threads[1].before, threads[1].after) == ("", "")
    short = tiny.version(tiny.case("third", orgs=("gamma", "delta")), me, rubric=world["rubric"], narrative="xy")
    ReviewComment.objects.create(version=short, author=me, body="b", quote="x", created_at=at)
    (thread,) = selectors.review_threads(selectors.version_review_load(short))
    assert (thread.found, thread.before, thread.after) == (True, "", "y")


def test_desk_version_revisions_without_their_content(world, django_assert_num_queries):
    author, other = world["editor"], tiny.user("other")
    version = tiny.version(world["case"], author, rubric=world["rubric"])
    at = timezone.now()
    _revision(version, 2, other, at + timedelta(minutes=1))
    _revision(version, 1, author, at)
    with django_assert_num_queries(2):
        loaded = selectors.desk_version_revisions(version.pk)
        assert (loaded.case.slug, loaded.author.username) == ("deal", "ed")
        revisions = list(loaded.revisions.all())
        assert [(r.number, r.saved_by.username) for r in revisions] == [(1, "ed"), (2, "other")]
        assert selectors.version_contributors(loaded) == [author, other]
    assert all("content" in r.get_deferred_fields() for r in revisions)
    with pytest.raises(EvaluationVersion.DoesNotExist):
        selectors.desk_version_revisions(version.pk + 100)


def test_rubric_versions_for_carrying_and_their_info(world, django_assert_num_queries):
    rubric = world["rubric"]  # tiny v1, active
    tiny.rubric_version(number=3, status=RubricVersion.Status.RETIRED)  # made before 2: the order is by number
    retired = tiny.rubric_version(number=2, status=RubricVersion.Status.RETIRED, scale_max=5, crosswalk={"from": 1})
    draft = tiny.rubric_version(number=4, status=RubricVersion.Status.DRAFT, criteria={"lev": tiny.CRITERIA["lev"]})
    tiny.rubric_version(number=5, status=RubricVersion.Status.DRAFT)
    elsewhere = tiny.rubric_version(slug="else")
    with django_assert_num_queries(2):
        found = selectors.rubric_versions_for_carrying([rubric.rubric_id])
        assert [(v.number, [c.key for c in v.criteria.all()]) for v in found] == [
            (1, ["lev", "dep", "work", "data"]),
            (2, ["lev", "dep", "work", "data"]),
            (3, ["lev", "dep", "work", "data"]),
        ]
    with_draft = selectors.rubric_versions_for_carrying([rubric.rubric_id, elsewhere.rubric_id], draft=draft)
    assert [(v.rubric_id, v.number) for v in with_draft] == [
        (rubric.rubric_id, 1),
        (rubric.rubric_id, 2),
        (rubric.rubric_id, 3),
        (rubric.rubric_id, 4),
        (elsewhere.rubric_id, 1),
    ]
    assert selectors.rubric_versions_for_carrying([]) == []
    assert [c.key for c in with_draft[3].criteria.all()] == ["lev"]
    with django_assert_num_queries(0):
        info = selectors.rubric_version_info(found[0])
    assert info == selectors.crosswalk.VersionInfo(
        number=1,
        scale=(0, 4),
        criteria=tuple(
            selectors.crosswalk.CriterionInfo(key, per_party)
            for key, per_party in (("lev", True), ("dep", True), ("work", True), ("data", False))
        ),
        crosswalk={},
    )
    info = selectors.rubric_version_info(found[1])
    assert (info.number, info.scale, info.crosswalk) == (2, (0, 5), {"from": 1})
    assert found[1].pk == retired.pk


def test_with_review_marks_last_state_change_and_open_threads(world, django_assert_num_queries):
    from evaluations.models import ReviewComment

    author, at = world["editor"], timezone.now()
    sent = tiny.version(world["case"], author, rubric=world["rubric"])
    plain = tiny.version(tiny.case("other"), author, rubric=world["rubric"])
    tied = tiny.version(tiny.case("third", orgs=("gamma", "delta")), author, rubric=world["rubric"])
    _audit(sent, AuditEntry.Action.SUBMIT, "draft", "in_review", at)
    _audit(sent, AuditEntry.Action.SEND_BACK, "in_review", "draft", at + timedelta(minutes=1))
    _audit(sent, AuditEntry.Action.SAVE, "draft", "draft", at + timedelta(minutes=2))
    _audit(tied, AuditEntry.Action.SEND_BACK, "in_review", "draft", at)
    _audit(tied, AuditEntry.Action.WITHDRAW, "in_review", "draft", at)  # the same time: the later row wins

    def comment(version, parent=None, resolved=False):
        return ReviewComment.objects.create(
            version=version, parent=parent, author=author, body="b", created_at=at, resolved_at=at if resolved else None
        )

    first = comment(sent)
    comment(sent)
    comment(sent, parent=first)  # a reply is no thread
    comment(sent, resolved=True)
    comment(plain, resolved=True)
    with django_assert_num_queries(1):
        marks = {
            v.pk: (v.last_change, v.open_comments)
            for v in selectors.with_review_marks(EvaluationVersion.objects.order_by("pk"))
        }
    assert marks == {sent.pk: ("send_back", 2), plain.pk: (None, None), tied.pk: ("withdraw", None)}


def test_desk_dashboard_assigned_to_me_and_the_list_limit(world, monkeypatch):
    from evaluations.models import ReviewAssignment

    made = _versions_in_every_state(world)
    me, other, at = tiny.user("me"), tiny.user("you"), timezone.now()
    for n, reviewer in ((4, me), (3, me), (2, me), (5, me), (0, other), (8, me)):
        ReviewAssignment.objects.create(version=made[n], reviewer=reviewer, assigned_by=other, assigned_at=at)
    EvaluationVersion.objects.filter(pk=made[2].pk).update(submitted_at=at - timedelta(hours=3))
    dashboard = selectors.desk_dashboard(me)
    # Drafts and reviews only (not the scheduled 5 nor the published 8), by submission then pk.
    assert [v.pk for v in dashboard["assigned_to_me"]] == [made[2].pk, made[4].pk, made[3].pk]
    sent = made[0]
    _audit(sent, AuditEntry.Action.SEND_BACK, "in_review", "draft", at)
    monkeypatch.setattr(selectors, "DESK_LIST_LIMIT", 1)
    stale = tiny.case("stale", orgs=("s1", "s2"))
    RiskSummary.objects.create(case=stale, stale=True, stale_since=at, needs_reevaluation=True)
    RiskSummary.objects.create(case=Case.objects.get(slug="c8"), stale=True, stale_since=at, needs_reevaluation=True)
    Case.objects.filter(slug="stale").update(status=Case.Status.PUBLISHED)
    limited = selectors.desk_dashboard(world["editor"])
    lists = ("my_drafts", "in_review", "scheduled", "recently_published", "needs_reevaluation", "stale_summaries")
    assert {key: len(limited[key]) for key in lists} == dict.fromkeys(lists, 1)
    assert [(v.pk, v.last_change) for v in limited["my_drafts"]] == [(made[1].pk, None)]
    assert limited["stale_count"] == 2
    assert selectors.desk_dashboard(other)["assigned_to_me"] == [made[0]]


def test_score_carrier_carries_through_each_step_and_says_which_paths_keep_keys(world):
    rubric = world["rubric"]  # tiny v1: lev, dep, work, data
    criteria = {key: tiny.CRITERIA[key] for key in ("lev", "dep", "work")}
    RubricVersion.objects.filter(pk=rubric.pk).update(status=RubricVersion.Status.RETIRED)
    # v2 drops data (by key, from v1); v3 renames lev (from v2): the path from v1 goes through both.
    tiny.rubric_version(number=2, status=RubricVersion.Status.RETIRED, criteria=criteria, crosswalk={"from": 1})
    renamed = {"leverage" if key == "lev" else key: value for key, value in criteria.items()}
    entries = [{"kind": "renamed", "from": ["lev"], "to": ["leverage"]}]
    tiny.rubric_version(number=3, criteria=renamed, crosswalk={"from": 2, "entries": entries})
    tiny.rubric_version(slug="else")
    carrier = selectors.ScoreCarrier(selectors.rubric_versions_for_carrying([rubric.rubric_id]))
    assert sorted(carrier.infos) == [rubric.rubric_id] and sorted(carrier.infos[rubric.rubric_id]) == [1, 2, 3]
    assert carrier.by_key(rubric.rubric_id, 1, 2) is True
    assert carrier.by_key(rubric.rubric_id, 2, 3) is False
    assert carrier.by_key(rubric.rubric_id, 1, 3) is False
    assert carrier.by_key(rubric.rubric_id, 1, 1) is True
    chain = carrier._chain(rubric.rubric_id, 1, 3)
    assert carrier._chain(rubric.rubric_id, 1, 3) is chain  # each path worked out once
    outcome = carrier.carry(rubric.rubric_id, 1, 3, {"lev": 3, "dep": 1, "work": 2}, per_party=True)
    assert outcome.values == {"leverage": 3, "dep": 1, "work": 2}
    assert outcome.how["leverage"] == ("renamed", "copy", ("lev",)) and outcome.not_carried == []
    dropped = carrier.carry(rubric.rubric_id, 1, 2, {"data": 2}, per_party=False)
    assert dropped.values == {} and [key for key, _why in dropped.not_carried] == ["data"]
