"""Search: ranked, highlighted, only published content, kept current by the services."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from cases import selectors
from cases import services as case_services
from cases.facts import case_facts
from cases.models import Case, CaseSearchDocument, Source
from cases.search import search_headlines
from evaluations.services import workflow
from tests.support import tiny
from tests.support.content import publish_facts

pytestmark = pytest.mark.django_db
COLOSSUS_TITLE = escape("xAI (SpaceX) leases all of Colossus 1 to Anthropic")


def _titles(html: str) -> list[str]:
    return re.findall(r'<article class="case-row">\s*<h3><a href="[^"]+">([^<]+)</a>', html)


def test_every_published_case_has_a_document_and_drafts_none(demo):
    assert CaseSearchDocument.objects.count() == Case.objects.published().count()


def test_search_finds_the_phrase_ranked_and_highlighted(client, demo):
    html = client.get(reverse("home"), {"search": "Colossus"}).content.decode()
    titles = _titles(html)
    assert titles[0] == COLOSSUS_TITLE  # the title match ranks first
    assert "<mark>Colossus</mark>" in html
    assert '<option value="relevance" selected>' in html


def test_search_matches_analysis_and_sources(client, demo):
    # A word from a source title only.
    source = Source.objects.filter(case__slug="xai-anthropic-colossus-1").first()
    word = max(source.title.split(), key=len)
    assert COLOSSUS_TITLE in _titles(client.get(reverse("home"), {"search": word}).content.decode())


def test_headline_escapes_everything_but_our_marks(demo, editor):
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    CaseSearchDocument.objects.filter(case=case).update(summary="<b>bold</b> <script>x()</script> quokkafeed here")
    if connection.vendor == "postgresql":
        from cases.search import _vector

        CaseSearchDocument.objects.filter(case=case).update(vector=_vector())
    headline = str(search_headlines([case.pk], "quokkafeed")[case.pk])
    assert "<mark>quokkafeed</mark>" in headline
    assert "<script>" not in headline and "<b>" not in headline
    # SQLite's fallback escapes the tags; PostgreSQL's parser drops them. Neither lets them through.
    assert "&lt;script&gt;" in headline or "x()" in headline


def test_source_writes_refresh_the_document(demo, editor, reviewer):
    # A published case's sources change with a version's facts: searchable once it is published, not before.
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    held = case_facts(case)["sources"]
    source = {"publisher": "Example Wire", "title": "Wombatronics report on leases", "url": "https://example.com/w"}
    draft = workflow.evaluation_version_start(case=case, by=editor)
    workflow.evaluation_version_save(
        version=draft, by=editor, expected_lock=draft.lock_version, facts={"sources": [*held, source]}
    )
    assert not selectors.case_search(Case.objects.published(), "Wombatronics").exists()
    workflow.evaluation_version_submit(version=draft, by=editor)
    workflow.evaluation_version_approve(version=draft, by=reviewer)
    assert list(selectors.case_search(Case.objects.published(), "Wombatronics")) == [case]
    publish_facts(case, editor, reviewer, sources=held)
    assert not selectors.case_search(Case.objects.published(), "Wombatronics").exists()
    # A never-published case's sources are written in place (and it has no document).
    draft_case = case_services.case_create(
        by=editor, data=case_services.CaseInput(title="Unpublished", summary="s", announced_on=case.announced_on)
    )
    data = case_services.SourceInput(publisher="Example Wire", title="Wombatronics", url="https://example.com/w")
    case_services.source_delete(source=case_services.source_add(case=draft_case, by=editor, data=data), by=editor)
    assert not selectors.case_search(Case.objects.published(), "Wombatronics").exists()


def test_publishing_a_version_refreshes_the_document(demo, publish_second_version):
    assert not selectors.case_search(Case.objects.published(), "platypusology").exists()
    publish_second_version(extra="\n\nA note on platypusology.")
    assert selectors.case_search(Case.objects.published(), "platypusology").count() == 1


def test_case_search_is_the_filterset_entry_point(demo):
    from cases.filters import CaseFilter

    qs = CaseFilter({"search": "Colossus"}, queryset=Case.objects.published()).qs
    assert Case.objects.get(slug="xai-anthropic-colossus-1") in qs
    assert list(selectors.case_search(Case.objects.all(), "   ")) == list(Case.objects.all())


def test_rebuild_command_restores_documents(demo):
    from django.core.management import call_command

    CaseSearchDocument.objects.all().delete()
    call_command("rebuild_search_documents", stdout=__import__("io").StringIO())
    assert CaseSearchDocument.objects.count() == Case.objects.published().count()
    assert selectors.case_search(Case.objects.published(), "Colossus").exists()


def test_postgres_keeps_a_gin_indexed_vector(demo):
    if connection.vendor != "postgresql":
        pytest.skip("the stored tsvector and its GIN index exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_search_document_vector'")
        assert "gin" in cursor.fetchone()[0].lower()
    assert not CaseSearchDocument.objects.filter(vector__isnull=True).exists()


def _toast_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltoastrelid::regclass::text FROM pg_class WHERE relname = 'cases_casesearchdocument'")
        cursor.execute(f"SELECT count(*) FROM {cursor.fetchone()[0]}")  # noqa: S608 - the catalogue's own name
        return cursor.fetchone()[0]


def test_postgres_keeps_each_vector_in_its_row(demo):
    """Out of line, every match test and rank fetched the vector through the TOAST index (migration 0009)."""
    if connection.vendor != "postgresql":
        pytest.skip("the stored tsvector exists on PostgreSQL only")
    from importlib import import_module

    with connection.cursor() as cursor:  # as migrated
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'cases_casesearchdocument'::regclass"
            " AND attname = 'vector'"
        )
        assert cursor.fetchone()[0] == "m"
    case = Case.objects.published().first()
    # Distinct words that do not compress: a vector of about 4 kB, which the default storage moved out of line.
    words = " ".join(f"w{n:05d}x{(n * 7919) % 10007:05d}" for n in range(400))
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE with deferred checks pending
        cursor.execute("ALTER TABLE cases_casesearchdocument ALTER COLUMN vector SET STORAGE EXTENDED")
        cursor.execute(
            "UPDATE cases_casesearchdocument SET vector = to_tsvector('simple', %s) WHERE case_id = %s",
            [words, case.pk],
        )
    out_of_line = _toast_rows()
    assert out_of_line > 0  # what the migration moves back
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        import_module("cases.migrations.0009_search_vector_inline").vectors_inline(None, editor)
    assert _toast_rows() < out_of_line
    with connection.cursor() as cursor:  # the same vector
        cursor.execute(
            "SELECT vector = to_tsvector('simple', %s) FROM cases_casesearchdocument WHERE case_id = %s",
            [words, case.pk],
        )
        assert cursor.fetchone()[0] is True


@pytest.mark.parametrize("few_matches", [0, 200])
def test_search_finds_the_same_cases_whether_matches_are_few_or_many(demo, monkeypatch, few_matches):
    # PostgreSQL looks the matches up first when they are few (FEW_MATCHES), else plans as usual.
    monkeypatch.setattr("cases.search.FEW_MATCHES", few_matches)
    for text, expected in [("Colossus", True), ("xylophonequokka", False)]:
        found = set(selectors.case_search(Case.objects.published(), text).values_list("slug", flat=True))
        assert ("xai-anthropic-colossus-1" in found) is expected, (text, few_matches)
    compute = selectors.case_search(Case.objects.published(), "compute")
    assert compute.count() > 1 and all(case.search_rank > 0 for case in compute)


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("quokkasum", ["quokkasum"]),  # in the summary
        ("quokkanal", ["quokkanal"]),  # in the analysis only
        ("quokkasrc", ["quokkasrc"]),  # in the sources only
        # Both words, in two parts: drawn from the first part holding one, around it (past 60 words).
        ("quokkasum quokkanal", ["quokkasum"]),
        ('"quokkasrc quokkasum"', ["quokkasum"]),  # a phrase no part holds: its words, the same way
        ("quokkasrc -quokkasum", ["quokkasrc"]),  # the part without the excluded word
        ("quokkasrc or quokkasum", ["quokkasum"]),
        ('"quokkanal quokkapair"', ["quokkanal", "quokkapair"]),  # a phrase
    ],
)
def test_the_headline_marks_the_words_wherever_they_are(demo, query, marked):
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    document = CaseSearchDocument.objects.get(case=case)
    filler = " ".join(f"filler{n}" for n in range(60))
    tiny.search_document(
        case,
        summary=f"{filler} quokkasum {filler}",
        analysis=f"{filler} quokkanal quokkapair {filler} {document.analysis}",
        sources=f"{filler} quokkasrc {filler}",
    )
    headline = str(search_headlines([case.pk], query)[case.pk])
    for word in marked:
        assert f"<mark>{word}</mark>" in headline


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the headline's passage is PostgreSQL's")
@pytest.mark.parametrize(
    ("analysis", "query", "marked"),
    [
        # Deep in a long analysis: the passage around where the word first appears.
        ("{filler} the quokkanal lease {filler}", "quokkanal", "filler149 the <mark>quokkanal</mark> lease"),
        # At the very start: the passage keeps the first word (only a word cut by the passage is dropped).
        ("quokkanal first {few} quokkanal second {filler}", "quokkanal", "<mark>quokkanal</mark> first"),
        # A phrase: from where its words first appear in order, not where one of them does.
        (
            "quokkanal alone {filler} quokkapair alone {filler} a quokkanal quokkapair here",
            '"quokkanal quokkapair"',
            "<mark>quokkanal</mark> <mark>quokkapair</mark> here",
        ),
        # Its first letters found first in another word ("...compulsory" for "...compute", and the
        # match past the passage): the whole analysis, so the match is still shown.
        ("quokkacompulsory {filler} {filler} they quokkacompute", "quokkacompute", "they <mark>quokkacompute</mark>"),
        # A form whose first letters the expression misses ("running" finds "run"): the whole analysis.
        ("{filler} {filler} they run quickly", "running", "they <mark>run</mark>"),
    ],
)
def test_the_headline_of_a_long_analysis_is_drawn_around_its_match(demo, analysis, query, marked):
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    filler = " ".join(f"filler{n}" for n in range(150))  # 1,290 characters: past the passage
    tiny.search_document(case, analysis=analysis.format(filler=filler, few=filler[:100]))
    assert marked in str(search_headlines([case.pk], query)[case.pk])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the headline's passage is PostgreSQL's")
def test_the_headline_of_a_long_analysis_is_drawn_from_its_passage_only(demo):
    # The whole analysis would show a second fragment, around the later words where the word is
    # found three times; the passage (HEADLINE_WINDOW characters) ends before them.
    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    filler = " ".join(f"filler{n}" for n in range(150))
    analysis = f"{filler} the quokkanal lease {filler} more quokkanal quokkanal quokkanal words"
    tiny.search_document(case, analysis=analysis)
    headline = str(search_headlines([case.pk], "quokkanal")[case.pk])
    assert headline.count("<mark>") == 1 and "words" not in headline
    assert re.match(r"filler1[0-9][0-9] filler", headline)  # from a whole word: the one cut at the start is dropped


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the headline's passage is PostgreSQL's")
def test_a_word_cut_at_the_passage_end_is_not_taken_for_a_match(demo):
    # "...capacitor" starts like "...capacity" but is not a match; the passage from it ends inside
    # the only "...capacity", cut to "...capac", which PostgreSQL's stemmer takes for a match: the
    # cut word is dropped, and the headline is drawn from the whole analysis, marking the whole word.
    from cases.search import HEADLINE_WINDOW

    case = Case.objects.get(slug="xai-anthropic-colossus-1")
    head = "quokkacapacitor " + "x" * (HEADLINE_WINDOW - len("quokkacapacitor ") - len("quokkacapac") - 1) + " "
    tiny.search_document(case, analysis=f"{head}quokkacapacity planning ahead")
    with connection.cursor() as cursor:  # the cut word, alone, would match
        cursor.execute("SELECT to_tsvector('english', 'quokkacapac') @@ plainto_tsquery('english', 'quokkacapacity')")
        assert cursor.fetchone()[0] is True
    headline = str(search_headlines([case.pk], "quokkacapacity")[case.pk])
    assert "<mark>quokkacapacity</mark> planning" in headline
