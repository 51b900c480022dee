"""cases.selectors, the reader-facing reads, on a tiny hand-built world (tests/support/tiny.py):
what a reader gets (published content only), in which order, in how many queries (scripts/mutation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from cases import cache_keys, selectors
from cases.models import Case, DealType, Organization, Party, Tag, TimelineEvent
from cases.search import search_documents_write
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
    ],
)
def test_case_archive_page_sorts(world, sort, query, expected):
    cases = selectors.case_search(selectors.case_list_published(), query)
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
    with django_assert_num_queries(3):
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
