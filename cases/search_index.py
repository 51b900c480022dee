"""Search on both runtimes: the query parser, SQLite's FTS5 match, the vocabulary, snippets.

``cases.search`` keeps the search documents; this module holds what is the
same on both databases (how a reader's query is read, the vocabulary behind
"did you mean", the passage shown under a result) and the SQLite half of the
matching (FTS5, created by migration ``cases/0004``). A reader's query reads
like PostgreSQL's ``websearch_to_tsquery``: every word must match, in any
order; "quoted words" match as a phrase; ``-word`` excludes; ``or`` between
two terms accepts either.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import FloatField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Length
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from cases.models import SearchTerm

FTS_TABLE = "cases_search_fts"
# bm25 column weights, in the FTS table's column order: a title match first, then summary, analysis, sources.
WEIGHTS = (10.0, 4.0, 2.0, 1.0)
WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer splits
MIN_WORD, MAX_WORD = 3, 64
SNIPPET_CHARS = 240


# --- The query -----------------------------------------------------------------


@dataclass
class ParsedQuery:
    """A reader's query: groups of alternatives (joined by AND), each a phrase of words; exclusions."""

    groups: list[list[list[str]]] = field(default_factory=list)
    excluded: list[list[str]] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """The words a match is made of, for highlighting and suggestions (not the excluded ones)."""
        return [word for group in self.groups for phrase in group for word in phrase]

    def __bool__(self) -> bool:
        return bool(self.groups)


def _words(text: str) -> list[str]:
    return [word.lower() for word in WORD.findall(text)]


def parse_query(text: str) -> ParsedQuery:
    """Read a query the way ``websearch_to_tsquery`` does (words, "phrases", -exclusions, or)."""
    parsed = ParsedQuery()
    join_next = False
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', text):
        negative, phrase_text, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or" and parsed.groups:
                join_next = True
                continue
            negative = "-" if bare.startswith("-") else ""
            phrase_text = bare.lstrip("-")
        phrase = _words(phrase_text or "")
        if not phrase:
            continue
        if negative:
            parsed.excluded.append(phrase)
        elif join_next:
            parsed.groups[-1].append(phrase)
        else:
            parsed.groups.append([phrase])
        join_next = False
    return parsed


def _fts_phrase(words: list[str]) -> str:
    return '"' + " ".join(words) + '"'  # words are letters and digits only: nothing to escape


def fts_expression(parsed: ParsedQuery) -> str:
    """The FTS5 MATCH expression for a parsed query (every term quoted: no syntax from the reader)."""
    groups = []
    for group in parsed.groups:
        alternatives = [_fts_phrase(phrase) for phrase in group]
        groups.append(alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")")
    expression = " AND ".join(groups)
    for phrase in parsed.excluded:
        expression += f" NOT {_fts_phrase(phrase)}"
    return expression


# --- SQLite: FTS5 -------------------------------------------------------------------


def sqlite_filter(queryset: QuerySet, text: str, *, also: QuerySet | None = None) -> QuerySet:
    """Cases matching ``text`` in the FTS5 index, annotated with ``search_rank`` (higher is better).

    The rank is the negated bm25 with the title weighted most. A query with
    no word (only punctuation, or only exclusions) matches nothing.
    """
    parsed = parse_query(text)
    if not parsed:
        if also is not None:
            return queryset.filter(pk__in=also).annotate(search_rank=Value(0.0, output_field=FloatField()))
        return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
    expression = fts_expression(parsed)
    case_table = queryset.model._meta.db_table
    weights = ", ".join(str(w) for w in WEIGHTS)
    # Only our constants are interpolated; the reader's query is a parameter.
    rank_sql = (
        f"SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "  # noqa: S608
        f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = {case_table}.id"
    )
    rank = RawSQL(  # noqa: S611
        rank_sql,
        (expression,),
        output_field=FloatField(),
    )
    matches = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (expression,))  # noqa: S608, S611
    if also is None:
        return queryset.filter(pk__in=matches).annotate(search_rank=rank)
    # The further cases match nothing in the index: their rank is 0, below every text match.
    return queryset.filter(Q(pk__in=matches) | Q(pk__in=also)).annotate(
        search_rank=Coalesce(rank, Value(0.0), output_field=FloatField())
    )


# --- The vocabulary and "did you mean" ------------------------------------------------


def words_of(*texts: str) -> set[str]:
    """The words of these texts that go into the vocabulary (lower case, 3 to 64 characters, not numbers)."""
    return {
        word
        for text in texts
        if text
        for word in _words(text)
        if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit()
    }


def vocabulary_add(texts: Iterable[str]) -> None:
    """Add the words of these texts to the vocabulary (one query; known words are skipped)."""
    words = words_of(*texts)
    if words:
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=word) for word in sorted(words)], ignore_conflicts=True, batch_size=1000
        )


def _has_trigram_index() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'cases_searchterm_word_trgm'")
        return cursor.fetchone() is not None


def _near_words(word: str, limit: int = 5) -> list[str]:
    """Vocabulary words spelled like ``word``, closest first."""
    if _has_trigram_index():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM cases_searchterm WHERE word %% %s ORDER BY similarity(word, %s) DESC, word LIMIT %s",
                [word, word, limit],
            )
            return [row[0] for row in cursor.fetchall()]
    # Without trigrams: words of about the same length sharing the first letter (an index range), compared here.
    candidates = (
        SearchTerm.objects.filter(word__startswith=word[0], word__gte=word[0])
        .annotate(length=Length("word"))
        .filter(length__gte=len(word) - 2, length__lte=len(word) + 2)
        .values_list("word", flat=True)
    )
    return difflib.get_close_matches(word, list(candidates), n=limit, cutoff=0.75)


def suggest(text: str, matches: Callable[[str], bool]) -> str | None:
    """A respelled query that finds something, built from the vocabulary, or None.

    Each word of the query that is not in the vocabulary is replaced by the
    nearest word that is; ``matches(query)`` says whether a candidate query
    finds anything (so a word no longer in any document is never offered).
    """
    parsed = parse_query(text)
    words = sorted({w for w in parsed.words if len(w) >= MIN_WORD and not w.isdigit()})
    if not words:
        return None
    known = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    replacements = {}
    for word in words:
        if word in known:
            continue
        near = [w for w in _near_words(word) if w != word]
        if near:
            replacements[word] = near[0]
    if not replacements:
        return None

    def respell(match: re.Match) -> str:
        word = match.group(0)
        return replacements.get(word.lower(), word)

    suggestion = WORD.sub(respell, text).strip()
    return suggestion if suggestion.lower() != text.lower().strip() and matches(suggestion) else None


# --- Snippets: escape first, mark second ------------------------------------------------


_SUFFIXES = ("ingly", "edly", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A light English stem, for highlighting only ("leases", "leased", "leasing" -> "leas").

    The databases stem for matching (Porter on SQLite, Snowball on PostgreSQL);
    this only decides which words of a passage to mark, so close is enough.
    """
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word[-2] in "su":  # "colossus", "glass": not a plural
                break
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def snippet(body: str, text: str, *, chars: int = SNIPPET_CHARS) -> SafeString:
    """The passage of ``body`` where most of the query's words are, each matching word in <mark>.

    The passage is cut from the plain text and escaped piece by piece; only
    the <mark> tags added here are markup, so nothing from the text can be.
    """
    stems = {stem(word) for word in parse_query(text).words}
    hits = [m for m in WORD.finditer(body) if stem(m.group(0)) in stems] if stems else []
    start = 0
    if hits:
        # The window of ``chars`` holding the most distinct query words; the earliest of equals.
        best, best_count = hits[0].start(), 0
        for i, hit in enumerate(hits):
            window = {stem(h.group(0)) for h in hits[i:] if h.end() <= hit.start() + chars}
            if len(window) > best_count:
                best, best_count = hit.start(), len(window)
        start = max(0, best - chars // 4)
        # Start at a word boundary.
        if start:
            boundary = body.rfind(" ", 0, start + 1)
            start = boundary + 1 if boundary >= 0 and start - boundary < 30 else start
    end = min(len(body), start + chars)
    if end < len(body):
        boundary = body.rfind(" ", start, end)
        end = boundary if boundary > start + chars // 2 else end
    parts = ["…" if start else ""]
    position = start
    for hit in hits:
        if hit.start() < start or hit.end() > end:
            continue
        parts.append(escape(body[position : hit.start()]))
        parts.append(f"<mark>{escape(hit.group(0))}</mark>")
        position = hit.end()
    parts.append(escape(body[position:end]))
    parts.append("…" if end < len(body) else "")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above
