"""cases.search on a tiny hand-built world (tests/support/tiny.py): a search document holds what
readers may see and nothing else (the published analysis, never the newest draft's), matches and
their highlighted passages (scripts/mutation). Runs on both databases; the PostgreSQL-only
parts (the weighted vector, the headline) are reached only there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from cases import search
from cases.models import Case, CaseSearchDocument, SearchTerm, Source
from evaluations.models import EvaluationVersion
from tests.support import tiny

pytestmark = pytest.mark.django_db

V = EvaluationVersion.State


@pytest.fixture
def world():
    rubric = tiny.rubric_version()
    editor = tiny.user("ed", "Editors")
    made = tiny.case("deal", published=True)
    Source.objects.filter(case=made, position=0).update(claim="Capacity of 300 MW")
    tiny.version(
        made,
        editor,
        V.SUPERSEDED,
        rubric=rubric,
        number=1,
        narrative="An obsolete wombat reading.",
        verdict="Old verdict.",
    )
    published = tiny.version(
        made,
        editor,
        V.PUBLISHED,
        rubric=rubric,
        number=2,
        narrative="The **quokka** lease <script>x</script>is *real*.",
        verdict="A quokka deal.",
    )
    tiny.version(made, editor, V.DRAFT, rubric=rubric, number=3, narrative="Secret zanzibar text.", verdict="Draft.")
    return {"rubric": rubric, "editor": editor, "case": made, "published": published}


def test_a_document_holds_the_published_analysis_only(world):
    made = world["case"]
    search.search_document_refresh(made.pk)
    document = CaseSearchDocument.objects.get(case=made)
    assert (document.title, document.summary) == ("The deal deal", "Summary of deal")
    # The verdict, then the rendered narrative as text (what the sanitizer left of a script is text).
    assert document.analysis == "A quokka deal.\nThe quokka lease &lt;script&gt;x&lt;/script&gt;is real."
    assert "zanzibar" not in document.body and "wombat" not in document.body and "Draft." not in document.body
    assert document.sources == "Paper 0 Story 0 Capacity of 300 MW\nPaper 1 Story 1"
    assert document.updated_at is not None
    assert {"quokka", "lease", "capacity"} <= set(SearchTerm.objects.values_list("word", flat=True))


def test_drafts_have_no_document_and_lose_theirs(world):
    draft = tiny.case("draft", orgs=("gamma", "delta"))
    search.search_document_refresh(draft.pk)
    assert not CaseSearchDocument.objects.filter(case=draft).exists()
    search.search_document_refresh(world["case"].pk)
    Case.objects.filter(pk=world["case"].pk).update(status=Case.Status.DRAFT)
    search.search_document_refresh(world["case"].pk)
    assert not CaseSearchDocument.objects.exists()


def test_a_published_case_without_an_analysis_and_a_rewrite(world):
    bare = tiny.case("bare", orgs=("gamma", "delta"), published=True)
    Source.objects.filter(case=bare).delete()
    search.search_documents_write([bare.pk, world["case"].pk])
    assert CaseSearchDocument.objects.get(case=bare).analysis == ""
    assert CaseSearchDocument.objects.get(case=bare).sources == ""
    Case.objects.filter(pk=bare.pk).update(title="Renamed")
    search.search_documents_write([bare.pk])
    assert CaseSearchDocument.objects.get(case=bare).title == "Renamed"
    assert CaseSearchDocument.objects.count() == 2
    search.search_documents_write([])


def test_rebuild_in_batches(world):
    others = [tiny.case(f"c{n}", orgs=(f"c{n}a", f"c{n}b"), published=True) for n in range(2)]
    assert search.search_documents_rebuild(batch_size=2) == 3
    assert CaseSearchDocument.objects.count() == 3
    CaseSearchDocument.objects.all().delete()
    assert search.search_documents_rebuild([others[0].pk, world["case"].pk], batch_size=1) == 2
    assert set(CaseSearchDocument.objects.values_list("case_id", flat=True)) == {others[0].pk, world["case"].pk}


def test_search_finds_published_words_ranked_title_first(world):
    other = tiny.case("other", orgs=("gamma", "delta"), published=True)
    Case.objects.filter(pk=other.pk).update(title="A quokka in the title")
    search.search_documents_write([world["case"].pk, other.pk])
    found = list(search.search_filter(Case.objects.all(), "quokka").order_by("-search_rank"))
    assert [c.slug for c in found] == ["other", "deal"]
    assert found[0].search_rank > found[1].search_rank
    assert list(search.search_filter(Case.objects.all(), "zanzibar")) == []
    assert list(search.search_filter(Case.objects.all(), "wombat")) == []
    assert [c.slug for c in search.search_filter(Case.objects.filter(slug="deal"), "quokka")] == ["deal"]


def test_many_matches_still_all_found(world, monkeypatch):
    monkeypatch.setattr(search, "FEW_MATCHES", 1)
    other = tiny.case("other", orgs=("gamma", "delta"), published=True)
    Case.objects.filter(pk=other.pk).update(summary="quokka too")
    search.search_documents_write([world["case"].pk, other.pk])
    assert {c.slug for c in search.search_filter(Case.objects.all(), "quokka")} == {"deal", "other"}


def test_headlines_mark_the_matches(world):
    made = world["case"]
    search.search_document_refresh(made.pk)
    headlines = search.search_headlines([made.pk], "quokka")
    assert set(headlines) == {made.pk}
    assert "<mark>quokka</mark>" in headlines[made.pk].lower()
    assert "<script>" not in headlines[made.pk]
    assert search.search_headlines([], "quokka") == {}
    assert search.search_headlines([made.pk], "   ") == {}


def test_the_documents_own_markers_never_become_marks(world):
    made = world["case"]
    Case.objects.filter(pk=made.pk).update(summary="quokka \ue000<b>bold</b>\ue001 lease")
    search.search_document_refresh(made.pk)
    headline = search.search_headlines([made.pk], "quokka")[made.pk]
    assert "<b>" not in headline and headline.count("<mark>") == headline.count("</mark>") >= 1
    body = CaseSearchDocument.objects.annotate(text=search._without_markers(F("summary"))).get(case=made).text
    assert body == "quokka \ufffd<b>bold</b>\ufffd lease"


def test_marked_escapes_then_marks():
    assert search._marked("<b>\ue000x & y\ue001</b>") == "&lt;b&gt;<mark>x &amp; y</mark>&lt;/b&gt;"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the weighted vector is PostgreSQL's")
def test_the_vector_weights_title_over_summary_analysis_sources(world):
    made = world["case"]
    Case.objects.filter(pk=made.pk).update(title="alpha", summary="bravo")
    search.search_document_refresh(made.pk)
    vector = CaseSearchDocument.objects.values_list("vector", flat=True).get(case=made)

    def weights(word: str) -> set[str]:  # PostgreSQL prints no letter for D, the default
        return {c for c in vector.split(f"'{word}':")[1].split(" ")[0] if c.isalpha()}

    assert (weights("alpha"), weights("bravo"), weights("quokka"), weights("paper")) == ({"A"}, {"B"}, {"C"}, set())


# --- What the first run left alive (tests/MUTATION.md) --------------------------------------------------------


def test_writing_documents_takes_the_same_queries_for_one_case_or_three(world):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    others = [tiny.case(f"c{n}", orgs=(f"c{n}a", f"c{n}b"), published=True) for n in range(2)]
    with CaptureQueriesContext(db) as one:
        search.search_documents_write([world["case"].pk])
    with CaptureQueriesContext(db) as three:
        search.search_documents_write([world["case"].pk, *(o.pk for o in others)])
    assert len(three) == len(one)
    assert CaseSearchDocument.objects.get(case=others[1]).sources == "Paper 0 Story 0\nPaper 1 Story 1"


def _words(text):
    return [w for w in text.replace("<mark>", "").replace("</mark>", "").split() if w != "…"]


@pytest.fixture
def three_quokkas(world):
    """Three published cases matching "quokka" (the world's, then two newer ones), and a fourth matching nothing."""
    made = [world["case"]]
    for n, orgs in enumerate((("gamma", "delta"), ("eps", "zeta"), ("eta", "theta"))):
        case = tiny.case(f"q{n}", orgs=orgs, published=True)
        if n < 2:
            Case.objects.filter(pk=case.pk).update(summary=f"Another quokka, number {n}")
        made.append(case)
    search.search_documents_write([c.pk for c in made])
    return made


def test_the_rank_window_keeps_the_newest_matches_and_an_organizations_deals(three_quokkas, monkeypatch):
    from cases.models import Organization, Party

    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    deal, first, second, unrelated = three_quokkas
    everything = Case.objects.all()
    window = search.search_rank_window(search.search_filter(everything, "quokka"), "quokka")
    postgres = connection.vendor == "postgresql"
    # PostgreSQL ranks only the newest RANK_WINDOW matching documents; FTS5 ranks in its own index.
    assert {c.pk for c in window} == ({first.pk, second.pk} if postgres else {deal.pk, first.pk, second.pk})
    theta = Party.objects.filter(organization=Organization.objects.get(slug="theta")).values("case_id")
    found = search.search_filter(everything, "quokka", also=theta)
    assert {c.pk for c in found} == {deal.pk, first.pk, second.pk, unrelated.pk}
    assert {c.pk: c.search_rank for c in found}[unrelated.pk] == 0.0  # found by its organization, not its text
    window = search.search_rank_window(found, "quokka")
    assert {c.pk for c in window} == ({first.pk, second.pk, unrelated.pk} if postgres else {c.pk for c in found})
    ranked = list(window.order_by("-search_rank", "-pk"))
    assert ranked[-1].pk == unrelated.pk and ranked[0].search_rank > 0


def test_search_filter_with_few_and_with_many_matches(three_quokkas, monkeypatch):
    deal, first, second, _ = three_quokkas
    for few in (1, 2, 3, 200):
        monkeypatch.setattr(search, "FEW_MATCHES", few)
        found = search.search_filter(Case.objects.all(), "quokka")
        assert {c.pk for c in found} == {deal.pk, first.pk, second.pk}
        assert all(c.search_rank > 0 for c in found)
    assert list(search.search_filter(Case.objects.filter(pk=deal.pk), "another")) == []


def test_a_headline_is_two_passages_of_twenty_to_forty_words(world):
    made = world["case"]
    filler = " ".join(f"word{n}" for n in range(120))
    Case.objects.filter(pk=made.pk).update(summary=f"Opening quokka {filler} closing quokka {filler} end.")
    search.search_document_refresh(made.pk)
    headline = search.search_headlines([made.pk], "quokka")[made.pk]
    assert headline.count("<mark>") == headline.count("</mark>") >= 1
    if connection.vendor == "postgresql":  # FTS5's snippet is one passage (cases.search_index)
        passages = headline.split(" … ")
        assert len(passages) == 2
        assert all(20 <= len(_words(p)) <= 40 for p in passages)
        assert "<mark>quokka</mark>" in passages[0] and "<mark>quokka</mark>" in passages[1]


# --- What the PostgreSQL run left alive (tests/MUTATION.md) ------------------------------------------------


def test_the_query_is_read_as_web_search_syntax(three_quokkas):
    """An exclusion and an ``or``, as the archive's search box promises (plain syntax would AND every word)."""
    deal, first, second, _ = three_quokkas
    everything = Case.objects.all()
    assert {c.pk for c in search.search_filter(everything, "quokka -lease")} == {first.pk, second.pk}
    assert {c.pk for c in search.search_filter(everything, "lease or number")} == {deal.pk, first.pk, second.pk}
    assert {c.pk for c in search.search_filter(everything, '"another quokka" -number')} == set()


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the text search configuration is PostgreSQL's"
)


@pytest.fixture
def simple_by_default(db):
    """The server's default configuration is not English (only for this test's transaction): the
    vector, the query and the headline must still name theirs."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL default_text_search_config = 'simple'")
        cursor.execute("SHOW default_text_search_config")
        assert cursor.fetchone()[0] == "pg_catalog.simple"


@pytest.fixture
def partnerships(world, simple_by_default):
    """Four published cases, each with "Partnerships" in one field of its document only."""
    made = {field: tiny.case(field, orgs=(f"{field}a", f"{field}b"), published=True) for field in ("title", "summary")}
    Case.objects.filter(pk=made["title"].pk).update(title="Partnerships")
    Case.objects.filter(pk=made["summary"].pk).update(summary="Partnerships")
    made["analysis"] = tiny.case("analysis", orgs=("analysisa", "analysisb"), published=True)
    tiny.version(
        made["analysis"], world["editor"], V.PUBLISHED, rubric=world["rubric"], number=1, verdict="Partnerships"
    )
    made["sources"] = tiny.case("sources", orgs=("sourcesa", "sourcesb"), published=True)
    Source.objects.filter(case=made["sources"], position=0).update(claim="Partnerships")
    search.search_documents_write([case.pk for case in made.values()])
    return made


@postgresql_only
def test_every_field_is_stemmed_in_english_whatever_the_servers_default(partnerships):
    everything = Case.objects.all()
    expected = {case.pk for case in partnerships.values()}
    assert {c.pk for c in search.search_filter(everything, "partnership")} == expected  # the vector's stems
    assert {c.pk for c in search.search_filter(everything, "partnerships")} == expected  # the query's stems


@postgresql_only
def test_the_headline_is_stemmed_in_english_whatever_the_servers_default(partnerships):
    made = partnerships["summary"]
    assert "<mark>Partnerships</mark>" in search.search_headlines([made.pk], "partnership")[made.pk]


def _bare(summary: str) -> Case:
    """A published case whose body (summary, analysis, sources) is this summary only."""
    made = tiny.case("bare", orgs=("gamma", "delta"), published=True)
    Source.objects.filter(case=made).delete()
    Case.objects.filter(pk=made.pk).update(title="Quokka", summary=summary)
    search.search_document_refresh(made.pk)
    return made


def _seq(prefix: str, numbers) -> str:
    return " ".join(f"{prefix}{n}" for n in numbers)


@postgresql_only
def test_a_passage_holds_up_to_forty_words(db):
    """Two query words 38 words apart fit one passage of forty words (PostgreSQL's default, 35, splits them)."""
    made = _bare(f"Opening quokka {_seq('word', range(37))} lease {_seq('tail', range(60))}")
    expected = f"<mark>quokka</mark> {_seq('word', range(37))} <mark>lease</mark> tail0"
    assert search.search_headlines([made.pk], "quokka lease")[made.pk] == expected


@postgresql_only
def test_a_body_without_the_words_shows_its_first_twenty(db):
    """A case found by its title (not in the body) shows the opening twenty words (PostgreSQL's default: 15)."""
    made = _bare(_seq("pre", range(60)))
    assert search.search_headlines([made.pk], "quokka")[made.pk] == _seq("pre", range(20))


@postgresql_only
def test_two_passages_are_joined_by_an_ellipsis(db):
    made = _bare(f"Opening quokka {_seq('word', range(120))} closing quokka end")
    first = f"Opening <mark>quokka</mark> {_seq('word', range(38))}"  # forty words
    second = f"{_seq('word', range(102, 120))} closing <mark>quokka</mark>"
    expected = f"{first} … {second}"
    assert search.search_headlines([made.pk], "quokka")[made.pk] == expected


def test_headlines_of_several_cases_take_one_query(three_quokkas, django_assert_num_queries):
    ids = [case.pk for case in three_quokkas]
    with django_assert_num_queries(1):  # SQLite: the documents' text columns read in that one query
        headlines = search.search_headlines(ids, "quokka")
    assert set(headlines) == set(ids) and all("<mark>" in headlines[pk].lower() for pk in ids[:3])


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("capacity", r"\m(?:capac)"),
        ("Compute capacity", r"\m(?:comp|capac)"),
        ("AI lease", r"\m(?:ai|lea)"),  # three letters at least, all of a short word
        ('"compute capacity" lease', r"\m(?:comp\w*\W+capac|lea)"),
        ('"compute"', r"\m(?:comp)"),
        ("gpt-4 -excluded or chips", r"\m(?:gpt|4|chi)"),
        ('-excluded or ""', ""),
        ('"compute capacity', r"\m(?:comp\w*\W+capac)"),  # an unclosed quote: a phrase to the end
        ('"compute capacity" lease deal', r"\m(?:comp\w*\W+capac|lea|dea)"),  # words after a phrase
    ],
)
def test_where_the_words_of_a_query_begin(text, pattern):
    assert search._start_pattern(text) == pattern


def _parts(summary: str = "", analysis: str = "", sources: str = "") -> Case:
    """A published case whose search document holds these parts (and the vector they make)."""
    made = _bare(summary)
    tiny.search_document(made, summary=summary, analysis=analysis, sources=sources)
    return made


PRE = _seq("pre", range(60))  # past the opening twenty words a headline without a match shows


@postgresql_only
@pytest.mark.parametrize(
    ("parts", "query", "marked"),
    [
        # The whole query in a later part, rather than one of its words in an earlier one.
        (
            {"summary": f"{PRE} quokkasum", "analysis": f"{PRE} quokkanal quokkasum"},
            "quokkasum quokkanal",
            "<mark>quokkanal</mark> <mark>quokkasum</mark>",
        ),
        # A phrase no part holds: its words (not the quotes), from the first part holding one.
        (
            {"summary": f"{PRE} quokkasum", "sources": "quokkasrc"},
            '"quokkasrc quokkasum"',
            "pre59 <mark>quokkasum</mark>",
        ),
        # Words spread over the parts, one excluded: the first part holding a word that is not
        # excluded (the summary holds none; "-quokkasrc" would match it).
        (
            {"summary": PRE, "analysis": f"{PRE} quokkanal", "sources": "quokkasrc quokkasum"},
            "quokkasum quokkanal -quokkasrc",
            "pre59 <mark>quokkanal</mark>",
        ),
    ],
)
def test_the_headline_is_drawn_from_the_part_that_matches(db, parts, query, marked):
    made = _parts(**parts)
    assert marked in search.search_headlines([made.pk], query)[made.pk]


@postgresql_only
def test_words_spread_over_the_parts_are_stemmed_in_english_whatever_the_servers_default(simple_by_default):
    # "leasing" finds "Leases" only stemmed in English ('leas'); the simple configuration would
    # pass the summary by and draw the headline from the sources.
    made = _parts(summary=f"{PRE} Leases", sources="quokkasrc")
    assert "pre59 <mark>Leases</mark>" in search.search_headlines([made.pk], "leasing quokkasrc")[made.pk]


@postgresql_only
def test_a_query_of_excluded_words_only_shows_the_opening_words(db):
    # No word to find (an empty start pattern), in a part longer than the passage: the headline is
    # its opening twenty words, unmarked.
    made = _parts(summary=_seq("pre", range(300)))
    assert search.search_headlines([made.pk], "-quokkasrc")[made.pk] == _seq("pre", range(20))
