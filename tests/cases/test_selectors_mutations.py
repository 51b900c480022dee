"""cases.selectors, the reader-facing reads, on a tiny hand-built world (tests/support/tiny.py):
what a reader gets (published content only), in which order, in how many queries (scripts/mutation)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.html import escape

from cases import cache_keys, selectors
from cases.models import Case, DealType, Organization, Party, Source, Tag, TimelineEvent
from cases.search import search_documents_write
from evaluations import scoring
from evaluations.models import EvaluationVersion, OrganizationExposure, PartyFigure, RiskSummary, RubricVersion
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State


@pytest.fixture
def world():
    """Two published cases (alpha-beta, alpha-gamma) and a draft one (alpha-secret), with versions."""
    rubric = tiny.rubric_version()
    editor = tiny.user("ed", "Editors")
    now = timezone.now()
    first = tiny.case("first", orgs=("alpha", "beta"), published=True)
    second = tiny.case("second", orgs=("alpha", "gamma"), published=True)
    draft = tiny.case("secret", orgs=("alpha", "secretco"))
    Case.objects.filter(pk=second.pk).update(announced_on=first.announced_on + timedelta(days=1))
    old = tiny.version(
        first, editor, V.SUPERSEDED, rubric=rubric, number=1, verdict="Old.", published_at=now - timedelta(days=2)
    )
    current = tiny.version(
        first,
        editor,
        V.PUBLISHED,
        rubric=rubric,
        number=2,
        verdict="Current.",
        correction_note="Fixed.",
        published_at=now - timedelta(days=1),
    )
    tiny.version(first, editor, V.DRAFT, rubric=rubric, number=3, verdict="Draft.")
    other = tiny.version(second, editor, V.PUBLISHED, rubric=rubric, number=1, verdict="Second.", published_at=now)
    tiny.version(draft, editor, V.IN_REVIEW, rubric=rubric, number=1)
    search_documents_write([first.pk, second.pk, draft.pk])
    return {
        "rubric": rubric,
        "editor": editor,
        "first": first,
        "second": second,
        "draft": draft,
        "old": old,
        "current": current,
        "other": other,
    }


def _org(slug):
    return Organization.objects.get(slug=slug)


# --- Archive ---------------------------------------------------------------------------------


def test_case_list_published_rows_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    world["first"].deal_types.add(DealType.objects.order_by("slug").first())
    with django_assert_num_queries(4):  # cases (with their summaries), parties, deal types, published versions
        rows = {
            case.slug: (
                [p.organization.slug for p in case.parties.all()],
                len(case.deal_types.all()),
                [(v.number, v.verdict) for v in case.published_versions],
                getattr(case, "risk_summary", None),
            )
            for case in selectors.case_list_published()
        }
    assert rows == {
        "first": (["alpha", "beta"], 1, [(2, "Current.")], None),
        "second": (["alpha", "gamma"], 0, [(1, "Second.")], None),
    }


@pytest.mark.parametrize(
    ("sort", "query", "expected"),
    [
        ("newest", "", ["second", "first"]),
        ("oldest", "", ["first", "second"]),
        ("title", "", ["first", "second"]),
        ("nonsense", "", ["second", "first"]),  # newest
        ("relevance", "", ["second", "first"]),  # no query: newest
        ("relevance", "current", ["first"]),
        ("relevance", "current\x00", ["first"]),  # NUL reaches neither the ranking nor the headlines
    ],
)
def test_case_archive_page_sorts(world, sort, query, expected):
    cases = selectors.case_search(selectors.case_list_published(), query.replace("\x00", ""))
    page, headlines = selectors.case_archive_page(cases, sort=sort, cursor=None, query=query)
    assert [case.slug for case in page] == expected
    assert set(headlines) == ({world["first"].pk} if query else set())


def test_case_archive_page_by_risk_and_page_size(world):
    RiskSummary.objects.create(case=world["first"], risk_index=55, stale=False)
    page, _ = selectors.case_archive_page(selectors.case_list_published(), sort="risk", cursor=None, per_page=1)
    assert [case.slug for case in page] == ["first"] and not page.is_last
    page, _ = selectors.case_archive_page(
        selectors.case_list_published(), sort="risk", cursor=page.next_cursor, per_page=1
    )
    assert [case.slug for case in page] == ["second"] and page.is_last
    assert len(selectors.case_archive_page(selectors.case_list_published(), sort="newest", cursor=None)[0]) == 2


def test_archive_choices_offer_only_published_things(world, django_assert_num_queries):
    Tag.objects.create(slug="gpu", name="GPU & <chips>")
    world["first"].tags.add(Tag.objects.get(slug="gpu"))
    world["draft"].tags.add(Tag.objects.create(slug="secret", name="Secret"))
    tiny.rubric_version(
        number=2, status=RubricVersion.Status.RETIRED, classification={"risk_bands": {"retired-band": 5}}
    )
    tiny.rubric_version(number=3, status=RubricVersion.Status.DRAFT, classification={"risk_bands": {"draft": 5}})
    # The active version's bands, lowest first.
    tiny.rubric_version(slug="other", classification={"risk_bands": {"higher": 80, "low": 0}})
    with django_assert_num_queries(4):  # the rubric versions, the organizations, the tags, the deal types
        choices = selectors.archive_choices()
    assert choices["organizations"] == [("alpha", "Alpha"), ("beta", "Beta"), ("gamma", "Gamma")]
    assert choices["organization_options"] == (
        '<option value="alpha">Alpha</option><option value="beta">Beta</option><option value="gamma">Gamma</option>'
    )
    assert choices["tags"] == [("gpu", "GPU & <chips>")]
    assert choices["tag_options"] == '<option value="gpu">GPU &amp; &lt;chips&gt;</option>'
    assert choices["rubric_versions"] == [1, 2]  # numbers, once each: the other rubric's v1 too
    assert choices["rubric_version_options"] == '<option value="1">v1</option><option value="2">v2</option>'
    assert choices["risk_bands"] == [("low", "low"), ("elevated", "elevated"), ("high", "high"), ("higher", "higher")]
    assert choices["classifications"][0][0] == "dependency_risk"
    assert choices["risk_band_options"] == (
        '<option value="low">low</option><option value="elevated">elevated</option>'
        '<option value="high">high</option><option value="higher">higher</option>'
    )
    assert choices["classification_options"].startswith('<option value="dependency_risk">dependency risk</option>')
    assert choices["classification_options"].count("<option ") == len(choices["classifications"])
    assert choices["deal_type_options"] == "".join(
        f'<option value="{slug}">{escape(name)}</option>' for slug, name in DealType.objects.values_list("slug", "name")
    )
    # Cached: no query the second time, until forgotten after a commit.
    with django_assert_num_queries(0):
        assert selectors.archive_choices() == choices
    assert cache.get(cache_keys.ARCHIVE_CHOICES) == choices


def test_archive_choices_are_forgotten_after_commit(world, django_capture_on_commit_callbacks):
    cache.set(cache_keys.ARCHIVE_CHOICES, {"cached": True})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        selectors.archive_choices_forget()
    assert cache.get(cache_keys.ARCHIVE_CHOICES) == {"cached": True}  # not before the commit
    for callback in callbacks:
        callback()
    assert cache.get(cache_keys.ARCHIVE_CHOICES) is None


def test_case_search_finds_published_text_only(world):
    published = selectors.case_list_published()
    assert [c.slug for c in selectors.case_search(published, "current")] == ["first"]
    assert list(selectors.case_search(published, "draft")) == []  # the newest draft's verdict
    assert selectors.case_search(published, "  \x00 ") is published
    assert [c.slug for c in selectors.case_search(published, "cur\x00rent ")] == ["first"]
    assert all(hasattr(c, "search_rank") for c in selectors.case_search(published, "current"))


def test_case_search_suggestion(world):
    assert selectors.case_search_suggestion("currnet") == "current"
    assert selectors.case_search_suggestion("cur\x00rnet") == "current"
    assert selectors.case_search_suggestion("  \x00 ") is None
    assert selectors.case_search_suggestion("current") is None


# --- Case page --------------------------------------------------------------------------------------------


def test_case_detail_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    first = world["first"]
    TimelineEvent.objects.create(case=first, kind=TimelineEvent.Kind.values[0], occurred_on=first.announced_on)
    summary = RiskSummary.objects.create(
        case=first, rubric_version=world["rubric"], evaluation_version=world["current"], stale=False
    )
    alpha, beta = first.parties.order_by("position")
    Party.objects.filter(pk=alpha.pk).update(position=9)
    for party in (alpha, beta):
        PartyFigure.objects.create(
            summary=summary, party=party, organization=party.organization, classification="mixed"
        )
    with django_assert_num_queries(8):
        case = selectors.case_detail("first")
        shown = (
            [p.organization.slug for p in case.parties.all()],
            [s.title for s in case.sources.all()],
            [f.organization.slug for f in case.risk_summary.party_figures.all()],
            case.risk_summary.rubric_version.rubric.slug,
            case.risk_summary.evaluation_version.number,
            len(case.timeline.all()) + len(case.tags.all()) + len(case.deal_types.all()),
        )
    assert shown == (["beta", "alpha"], ["Story 0", "Story 1"], ["beta", "alpha"], "tiny", 2, 1)
    with pytest.raises(Case.DoesNotExist):
        selectors.case_detail("secret")
    assert selectors.case_detail("secret", include_drafts=True).slug == "secret"


def test_case_page_etag_changes_with_what_the_page_shows(world):
    etag = selectors.case_page_etag("first")
    case = selectors.case_detail("first")
    assert etag == selectors.case_page_etag_of(case, selectors.evaluation_version_for_reader(case))
    assert selectors.case_page_etag("secret") is None
    assert selectors.case_page_etag("missing") is None
    seen = {etag}
    Organization.objects.filter(slug="beta").update(updated_at=timezone.now() + timedelta(hours=1))
    seen.add(selectors.case_page_etag("first"))
    summary = RiskSummary.objects.create(case=world["first"], stale=False, computed_at=timezone.now())
    seen.add(selectors.case_page_etag("first"))
    RiskSummary.objects.filter(pk=summary.pk).update(stale=True)
    seen.add(selectors.case_page_etag("first"))
    Case.objects.filter(pk=world["first"].pk).update(updated_at=timezone.now() + timedelta(hours=2))
    seen.add(selectors.case_page_etag("first"))
    assert len(seen) == 5
    case = selectors.case_detail("first")
    assert selectors.case_page_etag("first") == selectors.case_page_etag_of(case, world["current"])
    assert selectors.case_page_etag("first") != selectors.case_page_etag_of(case, world["old"])
    bare = selectors.case_detail("second")
    assert selectors.case_page_etag("second") == selectors.case_page_etag_of(bare, world["other"])


def test_the_readers_versions(world):
    first = world["first"]
    reader_version = selectors.evaluation_version_for_reader(first)
    assert reader_version.pk == world["current"].pk
    assert selectors.evaluation_version_for_reader(world["draft"]) is None
    assert selectors.evaluation_version_public(first, 1).pk == world["old"].pk
    assert selectors.evaluation_version_public(first, 2).pk == world["current"].pk
    with pytest.raises(EvaluationVersion.DoesNotExist):
        selectors.evaluation_version_public(first, 3)  # the draft
    history = selectors.evaluation_versions_public(first)
    assert [(v.number, v.state, v.verdict) for v in history] == [
        (2, V.PUBLISHED, "Current."),
        (1, V.SUPERSEDED, "Old."),
    ]
    assert history[0].evaluation.rubric_version.rubric.slug == "tiny"
    assert selectors.case_published_or_404_slug("first").pk == first.pk
    with pytest.raises(Case.DoesNotExist):
        selectors.case_published_or_404_slug("secret")


# --- Organizations ---------------------------------------------------------------------------------------


def test_organizations_readers_may_see(world):
    listed = {org.slug: org.deals for org in selectors.organization_list_published()}
    assert listed == {"alpha": 2, "beta": 1, "gamma": 1}
    assert set(selectors.organizations_visible().values_list("slug", flat=True)) == {"alpha", "beta", "gamma"}
    assert "secretco" in set(selectors.organizations_visible(include_unpublished=True).values_list("slug", flat=True))
    with pytest.raises(Organization.DoesNotExist):
        selectors.organization_detail("secretco")
    assert selectors.organization_detail("secretco", include_unpublished=True).slug == "secretco"
    alpha = selectors.organization_detail("alpha")
    assert selectors.organization_exposure(alpha) is None
    exposure = OrganizationExposure.objects.create(organization=alpha)
    assert selectors.organization_exposure(selectors.organization_detail("alpha")) == exposure
    assert [c.slug for c in selectors.organization_cases(alpha).order_by("slug")] == ["first", "second"]


def test_counterparties_most_shared_first_and_cached(world):
    third = tiny.case("third", orgs=("alpha", "gamma"), published=True)
    alpha = _org("alpha")
    assert [(o.slug, o.shared) for o in selectors.organization_counterparties(alpha)] == [("gamma", 2), ("beta", 1)]
    assert [o.slug for o in selectors.organization_counterparties(alpha, limit=1)] == ["gamma"]
    assert [o.slug for o in selectors.organization_counterparties(_org("secretco"))] == []
    cached = selectors.organization_counterparties_cached(alpha, None)
    assert [o.slug for o in cached] == ["gamma", "beta"]
    Case.objects.filter(pk=third.pk).delete()
    assert [o.slug for o in selectors.organization_counterparties_cached(alpha, None)] == ["gamma", "beta"]
    assert [o.slug for o in cache.get(cache_keys.counterparties(alpha, None))] == ["gamma", "beta"]


# --- Rubric ---------------------------------------------------------------------------------------------------


def test_public_rubric_versions(world):
    retired = tiny.rubric_version(number=2, status=RubricVersion.Status.RETIRED)
    draft = tiny.rubric_version(number=3, status=RubricVersion.Status.DRAFT)
    other = tiny.rubric_version(slug="another", number=1)
    assert [(v.rubric.slug, v.number) for v in selectors.rubric_versions_public()] == [
        ("another", 1),
        ("tiny", 2),
        ("tiny", 1),
    ]
    version = selectors.rubric_version_public("tiny", 1)
    assert [c.key for c in version.criteria.all()] == ["lev", "dep", "work", "data"]
    with pytest.raises(RubricVersion.DoesNotExist):
        selectors.rubric_version_public("tiny", draft.number)
    assert selectors.rubric_version_previous_public(retired) == world["rubric"]
    assert selectors.rubric_version_previous_public(draft) == retired
    assert selectors.rubric_version_previous_public(world["rubric"]) is None
    assert selectors.rubric_version_previous_public(other) is None


# --- Feeds and charts -------------------------------------------------------------------------------------------


def test_versions_published_recent(world):
    recent = selectors.versions_published_recent()
    assert [v.pk for v in recent] == [world["other"].pk, world["current"].pk, world["old"].pk]
    assert recent[0].case.slug == "second"
    assert [v.pk for v in selectors.versions_published_recent(corrections=True)] == [world["current"].pk]
    beta = [v.pk for v in selectors.versions_published_recent(organization=_org("beta"))]
    assert beta == [world["current"].pk, world["old"].pk]
    assert [v.pk for v in selectors.versions_published_recent(limit=1)] == [world["other"].pk]


def test_case_chart_stamp(world):
    assert selectors.case_chart_stamp("first") is None  # no summary yet
    computed = timezone.now()
    summary = RiskSummary.objects.create(
        case=world["first"], evaluation_version=world["current"], computed_at=computed, stale=False
    )
    case = Case.objects.get(pk=world["first"].pk)
    stamp = selectors.case_chart_stamp("first")
    assert stamp == f"{case.pk}-v{world['current'].pk}-{computed.timestamp():.6f}-{case.updated_at.timestamp():.6f}-0"
    alpha = case.parties.get(position=0)
    PartyFigure.objects.create(summary=summary, party=alpha, organization=alpha.organization, classification="mixed")
    renamed = _org("alpha").updated_at
    assert selectors.case_chart_stamp("first").endswith(f"-{renamed.timestamp():.6f}")
    RiskSummary.objects.filter(pk=summary.pk).update(stale=True)
    assert selectors.case_chart_stamp("first").endswith("s")
    RiskSummary.objects.create(case=world["draft"], computed_at=computed)
    assert selectors.case_chart_stamp("secret") is None
    assert selectors.case_chart_stamp("missing") is None


# --- The API's reads and validators ----------------------------------------------------------------------------


def test_case_list_api_rows_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    first = world["first"]
    first.deal_types.add(DealType.objects.order_by("slug").first())
    first.tags.add(Tag.objects.create(slug="gpu", name="GPU"))
    world["draft"].tags.add(Tag.objects.create(slug="secret", name="Secret"))
    summary = RiskSummary.objects.create(case=first, risk_index=55, stale=False)
    alpha = first.parties.get(position=0)
    Party.objects.filter(pk=alpha.pk).update(position=9, note="Lessor")
    # cases (with their summaries), parties (with their organizations), deal types, tags
    with django_assert_num_queries(4):
        rows = {
            case.slug: (
                [(p.organization.slug, p.organization.name, p.role, p.note) for p in case.parties.all()],
                [d.slug for d in case.deal_types.all()],
                [t.name for t in case.tags.all()],
                getattr(case, "risk_summary", None),
            )
            for case in selectors.case_list_api()
        }
    assert rows == {
        "first": (
            [("beta", "Beta", "customer", ""), ("alpha", "Alpha", "provider", "Lessor")],
            [DealType.objects.order_by("slug").first().slug],
            ["GPU"],
            summary,
        ),
        "second": ([("alpha", "Alpha", "provider", ""), ("gamma", "Gamma", "customer", "")], [], [], None),
    }


def test_case_count_capped(world, monkeypatch):
    tiny.case("third", orgs=("beta", "gamma"), published=True)
    published = selectors.case_list_published().order_by("title")
    assert selectors.case_count_capped(published) == 3
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    assert selectors.case_count_capped(published) == 2  # more than one: "1+"
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    assert selectors.case_count_capped(published) == 3
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    assert selectors.case_count_capped(published) == 3
    assert selectors.case_count_capped(published.filter(slug="first")) == 1


def test_api_case_etag_follows_the_case_page(world):
    assert selectors.api_case_etag("first") == f'"api-{selectors.case_page_etag("first")}"'
    before = selectors.api_case_etag("first")
    Case.objects.filter(pk=world["first"].pk).update(updated_at=timezone.now() + timedelta(hours=1))
    assert selectors.api_case_etag("first") not in (before, None)
    assert selectors.api_case_etag("secret") is None
    assert selectors.api_case_etag("missing") is None


def test_api_organization_etag(world, django_assert_num_queries):
    alpha = _org("alpha")
    with django_assert_num_queries(1):
        etag = selectors.api_organization_etag("alpha")
    assert etag == f'"org{alpha.pk}-{alpha.updated_at.timestamp():.6f}-x-"'
    computed = timezone.now()
    exposure = OrganizationExposure.objects.create(organization=alpha, computed_at=computed, stale=False)
    assert selectors.api_organization_etag("alpha") == (
        f'"org{alpha.pk}-{alpha.updated_at.timestamp():.6f}-x{computed.timestamp():.6f}"'
    )
    OrganizationExposure.objects.filter(pk=exposure.pk).update(stale=True)
    assert selectors.api_organization_etag("alpha").endswith(f'-x{computed.timestamp():.6f}s"')
    beta = _org("beta")
    OrganizationExposure.objects.create(organization=beta, computed_at=None, stale=True)
    assert selectors.api_organization_etag("beta") == f'"org{beta.pk}-{beta.updated_at.timestamp():.6f}-x-s"'
    assert selectors.api_organization_etag("secretco") is None  # only in an unpublished case
    assert selectors.api_organization_etag("missing") is None


def test_organization_parties_in(world, django_assert_num_queries):
    alpha = _org("alpha")
    third = tiny.case("third", orgs=("alpha", "gamma"), published=True)
    in_first = world["first"].parties.get(organization=alpha)
    in_second = world["second"].parties.get(organization=alpha)
    Party.objects.filter(pk=in_first.pk).update(position=7)  # after the other by position, before it by id
    with django_assert_num_queries(1):
        parties = selectors.organization_parties_in(alpha, [world["first"].pk, world["second"].pk])
    assert [p.pk for p in parties] == [in_second.pk, in_first.pk]
    assert [p.case_id for p in selectors.organization_parties_in(alpha, [third.pk])] == [third.pk]
    assert selectors.organization_parties_in(_org("beta"), [world["second"].pk]) == []
    with django_assert_num_queries(0):
        assert selectors.organization_parties_in(alpha, []) == []


# --- The changelog -------------------------------------------------------------------------------------------


@pytest.fixture
def changes(world):
    """first: v1 (superseded), v2 (published, a day ago). third: v1, v2 (superseded, v2 a day ago too),
    v3 (published, a correction), with scores; a secret case with public-looking versions."""
    rubric, editor, now = world["rubric"], world["editor"], timezone.now()
    at = world["current"].published_at
    third = tiny.case("third", orgs=("beta", "gamma"), published=True)
    versions = [
        tiny.version(
            third,
            editor,
            V.SUPERSEDED,
            rubric=rubric,
            number=1,
            scores={("dep", 0): 1, ("work", 1): 2},
            published_at=now - timedelta(days=3),
        ),
        tiny.version(
            third,
            editor,
            V.SUPERSEDED,
            rubric=rubric,
            number=2,
            scores={("dep", 0): 3, ("work", 1): 2},
            published_at=at,
        ),
        tiny.version(
            third,
            editor,
            V.PUBLISHED,
            rubric=rubric,
            number=3,
            scores={("dep", 0): 3, ("data", None): 2},
            correction_note="Typo.",
            published_at=now - timedelta(hours=12),
        ),
    ]
    tiny.version(third, editor, V.DRAFT, rubric=rubric, number=4, scores={("dep", 0): 4})
    hidden = tiny.case("hidden", orgs=("delta", "eps"))
    tiny.version(hidden, editor, V.SUPERSEDED, rubric=rubric, number=1, published_at=now - timedelta(days=5))
    tiny.version(hidden, editor, V.PUBLISHED, rubric=rubric, number=2, published_at=now)
    return {**world, "third": third, "versions": versions}


def test_changelog_versions_follow_an_earlier_public_version(changes):
    third = changes["versions"]
    # Newest publication first; at the same moment, the newer row first.
    assert [v.pk for v in selectors.changelog_versions()] == [third[2].pk, third[1].pk, changes["current"].pk]


def test_changelog_entries_in_three_queries(changes, django_assert_num_queries):
    versions = list(selectors.changelog_versions())
    with django_assert_num_queries(3):  # the cases' public versions, their scores, the rubric versions' criteria
        entries = selectors.changelog_entries(versions)
        shown = [
            (e.version.pk, e.previous.pk, e.kind, e.moves, e.before, e.after, e.version.case.slug, e.anchor)
            for e in entries
        ]
    third = changes["versions"]
    spec = selectors.rubric_spec(changes["rubric"])

    def figures(scores):
        party_ids = {n: p.pk for n, p in enumerate(changes["third"].parties.order_by("position"))}
        parties: dict[int, dict[str, int]] = {}
        deal = {}
        for (key, position), value in scores.items():
            if position is None:
                deal[key] = value
            else:
                parties.setdefault(party_ids[position], {})[key] = value
        summary = scoring.summarize(spec, parties, deal)
        return (summary.risk_index, summary.classification.value if summary.classification else "")

    def pair(entry):
        return (entry.risk_index, entry.classification)

    assert [row[:3] for row in shown] == [
        (third[2].pk, third[1].pk, "correction"),
        (third[1].pk, third[0].pk, "update"),
        (changes["current"].pk, changes["old"].pk, "correction"),  # "Fixed."
    ]
    assert [[(m.criterion, m.party, m.before, m.after) for m in row[3]] for row in shown] == [
        [("data", "the deal", None, 2), ("work", "Gamma", 2, None)],
        [("dep", "Beta", 1, 3)],
        [],
    ]
    assert [(pair(row[4]), pair(row[5])) for row in shown[:2]] == [
        (figures({("dep", 0): 3, ("work", 1): 2}), figures({("dep", 0): 3, ("data", None): 2})),
        (figures({("dep", 0): 1, ("work", 1): 2}), figures({("dep", 0): 3, ("work", 1): 2})),
    ]
    assert [row[6:] for row in shown] == [("third", "third-v3"), ("third", "third-v2"), ("first", "first-v2")]
    # A page of them, in the page's order; a first publication has no entry; nothing asked, nothing read.
    assert [e.version.pk for e in selectors.changelog_entries([versions[2], versions[0]])] == [
        changes["current"].pk,
        third[2].pk,
    ]
    assert selectors.changelog_entries([third[0]]) == []
    with django_assert_num_queries(0):
        assert selectors.changelog_entries([]) == []


def test_changelog_entry_anchor(changes):
    third, case = changes["versions"], changes["third"]
    history = selectors.evaluation_versions_public(case)
    assert selectors.changelog_entry_anchor(case, None, history) == ""
    assert selectors.changelog_entry_anchor(case, RiskSummary(case=case), history) == ""
    summary = RiskSummary(case=case, evaluation_version_id=third[2].pk)
    assert selectors.changelog_entry_anchor(case, summary, history) == "third-v3"
    summary = RiskSummary(case=case, evaluation_version_id=third[1].pk)
    assert selectors.changelog_entry_anchor(case, summary, history) == "third-v2"
    summary = RiskSummary(case=case, evaluation_version_id=third[0].pk)
    assert selectors.changelog_entry_anchor(case, summary, history) == ""  # the first publication
    summary = RiskSummary(case=case, evaluation_version_id=changes["current"].pk)
    assert selectors.changelog_entry_anchor(case, summary, history) == ""  # not in this history


# --- What the first runs left alive (tests/MUTATION.md) --------------------------------------------------------


def test_the_archive_rows_load_the_published_versions_date(world, django_assert_num_queries):
    with django_assert_num_queries(4):
        dates = {c.slug: [v.published_at for v in c.published_versions] for c in selectors.case_list_published()}
    assert dates == {"first": [world["current"].published_at], "second": [world["other"].published_at]}


def test_case_archive_page_twenty_rows_by_default(world):
    for n in range(19):
        tiny.case(f"more{n}", orgs=(f"m{n}a", f"m{n}b"), published=True)
    page, headlines = selectors.case_archive_page(selectors.case_list_published(), sort="newest", cursor=None)
    assert len(page) == 20 and not page.is_last and headlines == {}
    page, _ = selectors.case_archive_page(selectors.case_list_published(), sort="newest", cursor=page.next_cursor)
    assert len(page) == 1 and page.is_last


def test_case_archive_page_by_relevance_only_with_a_query(world):
    # The older case matches in its title (ranked first), the newer one in a source only.
    Case.objects.filter(pk=world["first"].pk).update(title="Wallaby wallaby")
    Source.objects.filter(case=world["second"], position=0).update(claim="a wallaby")
    search_documents_write([world["first"].pk, world["second"].pk])
    cases = selectors.case_search(selectors.case_list_published(), "wallaby")
    by_relevance, headlines = selectors.case_archive_page(cases, sort="relevance", cursor=None, query="wallaby")
    assert [c.slug for c in by_relevance] == ["first", "second"]
    assert set(headlines) == {world["first"].pk, world["second"].pk}
    newest, _ = selectors.case_archive_page(cases, sort="newest", cursor=None, query="wallaby")
    assert [c.slug for c in newest] == ["second", "first"]
    # Asked for relevance without a query: newest first, no headlines.
    page, headlines = selectors.case_archive_page(selectors.case_list_published(), sort="relevance", cursor=None)
    assert [c.slug for c in page] == ["second", "first"] and headlines == {}


def test_archive_choices_are_read_again_after_their_timeout(world, django_assert_num_queries):
    choices = selectors.archive_choices()
    with tiny.later(cache_keys.ARCHIVE_CHOICES_TIMEOUT - 5), django_assert_num_queries(0):
        assert selectors.archive_choices() == choices
    with tiny.later(cache_keys.ARCHIVE_CHOICES_TIMEOUT + 5), django_assert_num_queries(4):
        assert selectors.archive_choices() == choices


def test_case_search_finds_an_organizations_deals_by_its_name(world):
    published = selectors.case_list_published()
    # "Gamma" is in no document: the second case is found as gamma's deal.
    assert [c.slug for c in selectors.case_search(published, "Gamma")] == ["second"]
    assert {c.slug for c in selectors.case_search(published, "alpha")} == {"first", "second"}
    assert list(selectors.case_search(published, "Secretco")) == []  # its only deal is not published
    assert list(selectors.case_search(published, "Nobody")) == []


def test_case_detail_reads_each_relation_once(world, django_assert_num_queries):
    first = world["first"]
    TimelineEvent.objects.create(case=first, kind=TimelineEvent.Kind.values[0], occurred_on=first.announced_on)
    first.tags.add(Tag.objects.create(slug="gpu", name="GPU"))
    Source.objects.filter(case=first, position=0).update(position=5)  # by position, not by id
    with django_assert_num_queries(7):  # no summary: its figures are not read
        case = selectors.case_detail("first")
        for _ in range(2):  # the page reads them more than once
            shown = ([t.slug for t in case.tags.all()], len(case.timeline.all()), [s.title for s in case.sources.all()])
    assert shown == (["gpu"], 1, ["Story 1", "Story 0"])


def test_case_page_etag_of_a_case_without_a_published_version(world):
    tiny.case("bare", orgs=("gamma", "delta"), published=True)
    bare = selectors.case_detail("bare")
    assert selectors.case_page_etag("bare") == selectors.case_page_etag_of(bare, None)
    assert "-v0-" in selectors.case_page_etag_of(bare, None)


def test_the_readers_history_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        history = selectors.evaluation_versions_public(world["first"])
        shown = [
            (
                v.number,
                v.state,
                v.verdict,
                v.change_note,
                v.correction_note,
                v.published_at,
                v.case_id,
                v.facts,
                v.evaluation.rubric_version.number,
                v.evaluation.rubric_version.rubric.slug,
                v.evaluation.rubric_version.rubric.name,
            )
            for v in history
        ]
    assert [row[:2] + row[4:5] + row[6:7] + row[8:] for row in shown] == [
        (2, V.PUBLISHED, "Fixed.", world["first"].pk, 1, "tiny", "Rubric tiny"),
        (1, V.SUPERSEDED, "", world["first"].pk, 1, "tiny", "Rubric tiny"),
    ]


def test_single_reads_join_what_their_pages_show(world, django_assert_num_queries):
    RiskSummary.objects.create(case=world["first"], risk_index=12, stale=False)
    OrganizationExposure.objects.create(organization=_org("alpha"))
    with django_assert_num_queries(1):
        assert selectors.case_published_or_404_slug("first").risk_summary.risk_index == 12
    with django_assert_num_queries(1):
        assert selectors.organization_exposure(selectors.organization_detail("alpha")) is not None
    tiny.rubric_version(number=2, status=RubricVersion.Status.RETIRED)
    with django_assert_num_queries(1):
        assert [v.rubric.slug for v in selectors.rubric_versions_public()] == ["tiny", "tiny"]
    with django_assert_num_queries(2):  # the version with its rubric, its criteria (read twice by the page)
        version = selectors.rubric_version_public("tiny", 2)
        keys = [c.key for c in version.criteria.all()]
        assert (version.rubric.slug, keys) == ("tiny", ["lev", "dep", "work", "data"])
        assert len(version.criteria.all()) == 4
    with django_assert_num_queries(2):
        previous = selectors.rubric_version_previous_public(version)
        assert [c.key for c in previous.criteria.all()] == ["lev", "dep", "work", "data"]
        assert len(previous.criteria.all()) == 4


def test_the_previous_public_rubric_version_is_the_same_rubrics(world):
    another = tiny.rubric_version(slug="another", number=2)
    third = tiny.rubric_version(number=3, status=RubricVersion.Status.RETIRED)
    draft = tiny.rubric_version(number=4, status=RubricVersion.Status.DRAFT)
    fifth = tiny.rubric_version(number=5, status=RubricVersion.Status.RETIRED)
    assert selectors.rubric_version_previous_public(third) == world["rubric"]  # not another's v2
    assert selectors.rubric_version_previous_public(fifth) == third  # not the draft
    assert selectors.rubric_version_previous_public(another) is None
    assert draft.number == 4


def test_counterparties_ties_by_name_sixty_at_most_and_cached_per_exposure(world):
    alpha = _org("alpha")
    tiny.case("third", orgs=("alpha", "gamma"), published=True)
    tiny.case("fourth", orgs=("alpha", "aardvark"), published=True)
    assert [(o.slug, o.shared) for o in selectors.organization_counterparties(alpha)] == [
        ("gamma", 2),
        ("aardvark", 1),
        ("beta", 1),
    ]
    for n in range(60):
        tiny.case(f"more{n}", orgs=("alpha", f"zz{n:02d}"), published=True)
    assert len(selectors.organization_counterparties(alpha)) == 60
    # Cached until the exposure changes (recomputed), then read again; and only until the timeout.
    exposure = OrganizationExposure.objects.create(organization=alpha, computed_at=timezone.now(), stale=False)
    cached = selectors.organization_counterparties_cached(alpha, exposure)
    tiny.case("later", orgs=("alpha", "aaa"), published=True)
    assert selectors.organization_counterparties_cached(alpha, exposure) == cached
    recomputed = OrganizationExposure(organization=alpha, computed_at=exposure.computed_at + timedelta(seconds=1))
    assert "aaa" in [o.slug for o in selectors.organization_counterparties_cached(alpha, recomputed)]
    tiny.case("latest", orgs=("alpha", "aab"), published=True)
    assert "aab" not in [o.slug for o in selectors.organization_counterparties_cached(alpha, exposure)]
    with tiny.later(cache_keys.COUNTERPARTIES_TIMEOUT - 100):  # longer than the cache's default five minutes
        assert "aab" not in [o.slug for o in selectors.organization_counterparties_cached(alpha, exposure)]
    with tiny.later(cache_keys.COUNTERPARTIES_TIMEOUT + 5):
        assert "aab" in [o.slug for o in selectors.organization_counterparties_cached(alpha, exposure)]


def test_versions_published_recent_fifty_by_default_newest_first(world, django_assert_num_queries):
    late = tiny.case("late", orgs=("gamma", "delta"), published=True)
    at = timezone.now() - timedelta(days=30)  # a newer row, published long ago (an import)
    rows = [
        tiny.version(late, world["editor"], V.SUPERSEDED, rubric=world["rubric"], number=n, published_at=at)
        for n in range(1, 51)
    ]
    with django_assert_num_queries(1):
        recent = [(v.pk, v.case.slug) for v in selectors.versions_published_recent()]
    assert len(recent) == 50
    assert [pk for pk, _ in recent[:3]] == [world["other"].pk, world["current"].pk, world["old"].pk]
    assert [pk for pk, _ in recent[3:]] == [v.pk for v in reversed(rows[3:])]  # same moment: the newer row first
    assert recent[0][1] == "second"


def test_case_chart_stamp_waits_for_a_computed_summary(world):
    RiskSummary.objects.create(case=world["first"], evaluation_version=world["current"], computed_at=None)
    assert selectors.case_chart_stamp("first") is None


def test_changelog_versions_of_each_case_newest_publication_first(changes):
    editor, rubric, now = changes["editor"], changes["rubric"], timezone.now()
    late = tiny.case("late", orgs=("delta", "eps"), published=True)  # newest rows, published long ago
    tiny.version(late, editor, V.SUPERSEDED, rubric=rubric, number=1, published_at=now - timedelta(days=11))
    late_v2 = tiny.version(late, editor, V.PUBLISHED, rubric=rubric, number=2, published_at=now - timedelta(days=10))
    solo = tiny.case("solo", orgs=("eta", "theta"), published=True)
    tiny.version(solo, editor, V.PUBLISHED, rubric=rubric, number=2)  # its first public version: no entry
    third = changes["versions"]
    assert [v.pk for v in selectors.changelog_versions()] == [
        third[2].pk,
        third[1].pk,
        changes["current"].pk,
        late_v2.pk,
    ]


def test_changelog_moves_in_the_rubrics_order_then_the_parties(world):
    editor, rubric = world["editor"], world["rubric"]
    made = tiny.case("moves", orgs=("m0", "m1"), published=True)
    # Created party 1 first: the rows' ids are not in the parties' order.
    tiny.version(
        made, editor, V.SUPERSEDED, rubric=rubric, number=1, scores={("lev", 1): 1, ("lev", 0): 1, ("dep", 0): 1}
    )
    tiny.version(
        made, editor, V.PUBLISHED, rubric=rubric, number=2, scores={("lev", 1): 2, ("lev", 0): 2, ("dep", 0): 2}
    )
    [entry] = [e for e in selectors.changelog_entries(selectors.changelog_versions()) if e.version.case_id == made.pk]
    assert [(m.criterion, m.party) for m in entry.moves] == [("lev", "M0"), ("lev", "M1"), ("dep", "M0")]


def test_changelog_entries_under_two_rubric_versions_still_in_three_queries(changes, django_assert_num_queries):
    editor, old_rubric = changes["editor"], changes["rubric"]
    RubricVersion.objects.filter(pk=old_rubric.pk).update(status=RubricVersion.Status.RETIRED)
    new_rubric = tiny.rubric_version(number=2)
    made = tiny.case("rescored", orgs=("r0", "r1"), published=True)
    tiny.version(made, editor, V.SUPERSEDED, rubric=old_rubric, number=1, scores={("dep", 0): 1})
    tiny.version(made, editor, V.PUBLISHED, rubric=new_rubric, number=2, scores={("dep", 0): 2})
    versions = list(selectors.changelog_versions())
    with django_assert_num_queries(3):  # the criteria of both rubric versions in one query
        entries = selectors.changelog_entries(versions)
        kinds = {e.version.case.slug: (e.kind, e.after.risk_index is not None) for e in entries}
    assert kinds["rescored"] == ("reevaluation", True)


def test_each_archive_row_carries_its_published_version_id(world):
    """The row cache's key holds the version a row shows (cache_keys.archive_row): the published one."""
    ids = dict(selectors.case_list_published().values_list("slug", "published_version_id"))
    assert ids == {"first": world["current"].pk, "second": world["other"].pk}


def test_the_published_total_is_counted_once_per_generation(world, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(1):
        assert selectors.case_count_published() == 2
    generation = cache.get(cache_keys.PUBLISHED_GENERATION)
    assert generation and cache.get(cache_keys.published_count(generation)) == 2
    tiny.case("third", orgs=("beta", "gamma"), published=True)  # outside the services: no new generation
    with django_assert_num_queries(0):
        assert selectors.case_count_published() == 2
    cache.set(cache_keys.PUBLISHED_GENERATION, "next", None)  # what a service does after its commit
    with django_assert_num_queries(1):
        assert selectors.case_count_published() == 3
    assert cache.get(cache_keys.published_count("next")) == 3
    assert cache.get(cache_keys.published_count(generation)) == 2  # left behind, never read again


def test_the_published_total_is_counted_again_after_its_timeout(world, django_assert_num_queries):
    cache.clear()
    selectors.case_count_published()
    tiny.case("third", orgs=("beta", "gamma"), published=True)
    with tiny.later(cache_keys.PUBLISHED_COUNT_TIMEOUT - 5), django_assert_num_queries(0):
        assert selectors.case_count_published() == 2
    with tiny.later(cache_keys.PUBLISHED_COUNT_TIMEOUT + 5), django_assert_num_queries(1):
        assert selectors.case_count_published() == 3


def test_a_published_generation_is_made_once_and_kept(world):
    cache.clear()
    first = selectors.published_generation()
    assert isinstance(first, str) and len(first) == 32
    assert cache.get(cache_keys.PUBLISHED_GENERATION) == first
    assert selectors.published_generation() == first
    with tiny.later(10 * 365 * 24 * 3600):  # no timeout: only a service replaces it
        assert selectors.published_generation() == first


def test_a_generation_made_meanwhile_is_the_one_kept(world):
    """``add``, not ``set``: two requests making one at once both read the one that won."""
    cache.clear()
    real_add = cache.add

    def add_after_another(key, value, timeout=None):
        real_add(key, "theirs", None)  # another request got there first
        return real_add(key, value, timeout)

    with mock.patch.object(cache, "add", side_effect=add_after_another):
        assert selectors.published_generation() == "theirs"


def test_without_a_cache_the_total_is_counted_every_time_and_stored_nowhere(world, django_assert_num_queries):
    with (
        mock.patch.object(selectors, "published_generation", return_value=None),
        mock.patch.object(cache, "set", side_effect=AssertionError("nothing is cached")),
    ):
        for _ in range(2):
            with django_assert_num_queries(1):
                assert selectors.case_count_published() == 2


def test_the_rubric_vocabulary_is_cached_apart_until_its_timeout(world, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(1):
        vocabulary = selectors.archive_vocabulary()
    assert cache.get(cache_keys.ARCHIVE_VOCABULARY) == vocabulary
    assert vocabulary["rubric_versions"] == [1]
    with tiny.later(cache_keys.ARCHIVE_CHOICES_TIMEOUT - 5), django_assert_num_queries(0):
        assert selectors.archive_vocabulary() == vocabulary
    with tiny.later(cache_keys.ARCHIVE_CHOICES_TIMEOUT + 5), django_assert_num_queries(1):
        assert selectors.archive_vocabulary() == vocabulary


def test_forgetting_the_choices_starts_a_new_published_generation_after_commit(
    world, django_capture_on_commit_callbacks
):
    cache.clear()
    before = selectors.published_generation()
    cache.set(cache_keys.ARCHIVE_VOCABULARY, {"cached": True})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        selectors.archive_choices_forget()
    assert selectors.published_generation() == before  # not before the commit
    for callback in callbacks:
        callback()
    after = cache.get(cache_keys.PUBLISHED_GENERATION)
    assert isinstance(after, str) and len(after) == 32 and after != before
    assert cache.get(cache_keys.ARCHIVE_VOCABULARY) is None
    with tiny.later(10 * 365 * 24 * 3600):  # no timeout: only the next service replaces it
        assert selectors.published_generation() == after


def test_the_choices_list_every_deal_type_as_slug_and_name(world):
    cache.clear()
    expected = list(DealType.objects.values_list("slug", "name"))
    assert expected
    assert selectors.archive_choices()["deal_types"] == expected
