"""Full-text search over published cases: the stored document, ranking, highlights.

Each published case has one ``CaseSearchDocument`` holding only what readers
may see: title, summary, the *published* analysis and verdict, and the
sources. ``search_document_refresh`` rebuilds it; the services that change
that content call it in their transaction. PostgreSQL searches a weighted
``tsvector`` (GIN-indexed) with ``SearchRank`` and ``ts_headline``; SQLite
searches an FTS5 index over the documents (``cases.search_index``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery, SearchQueryField, SearchRank, SearchVector
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Case as Choose
from django.db.models.expressions import CombinedExpression, Expression
from django.db.models.functions import Cast, Coalesce, Replace
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from cases import search_index
from cases.models import Case, CaseSearchDocument, Source
from evaluations.markdown import render as render_markdown
from evaluations.models import EvaluationVersion

CONFIG = "english"
# Private-use characters for PostgreSQL's headline: they survive escaping, so after escaping
# they become <mark> tags. Editors' text cannot hold them (refused at the door, core.text), and
# older text or a narrative's character reference (``&#xE000;``, decoded by the renderer) could:
# the body's own are replaced before the headline is drawn, so every marker is ours.
_START, _STOP = "\ue000", "\ue001"


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _vector() -> CombinedExpression:
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector("analysis", weight="C", config=CONFIG)
        + SearchVector("sources", weight="D", config=CONFIG)
    )


def _analysis_text(verdict: str, narrative: str) -> str:
    """What a reader can find in a published analysis: its verdict and its rendered text."""
    return "\n".join(part for part in (verdict, strip_tags(render_markdown(narrative))) if part).strip()


def search_document_refresh(case_id: int) -> None:
    """Rebuild one case's search document from its published content only.

    A case that is not published has no document, so drafts are never found.
    """
    search_documents_write([case_id])


def search_documents_write(case_ids: Iterable[int]) -> None:
    """Rebuild these cases' documents in a fixed number of queries (their published content only).

    Cases that are not published (or gone) lose their document. Used for one
    case by the services and in batches by the rebuild and the archive generator.
    """
    case_ids = list(case_ids)
    cases = list(
        Case.objects.filter(pk__in=case_ids, status=Case.Status.PUBLISHED)
        .only("id", "title", "summary")
        .prefetch_related(Prefetch("sources", queryset=Source.objects.only("case_id", "publisher", "title", "claim")))
    )
    published = {case.pk for case in cases}
    CaseSearchDocument.objects.filter(case_id__in=set(case_ids) - published).delete()
    if not cases:
        return
    versions = {
        case_id: (verdict, narrative)
        for case_id, verdict, narrative in EvaluationVersion.objects.filter(
            case_id__in=published, state=EvaluationVersion.State.PUBLISHED
        ).values_list("case_id", "verdict", "narrative")
    }
    documents = []
    for case in cases:
        verdict, narrative = versions.get(case.pk, ("", ""))
        sources = "\n".join(
            " ".join(part for part in (source.publisher, source.title, source.claim) if part)
            for source in case.sources.all()
        )
        documents.append(
            CaseSearchDocument(
                case_id=case.pk,
                title=case.title,
                summary=case.summary,
                analysis=_analysis_text(verdict, narrative) if case.pk in versions else "",
                sources=sources,
                updated_at=timezone.now(),
            )
        )
    CaseSearchDocument.objects.bulk_create(
        documents,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=["title", "summary", "analysis", "sources", "updated_at"],
    )
    if _is_postgres():
        CaseSearchDocument.objects.filter(case_id__in=published).update(vector=_vector())
    # SQLite's FTS5 index follows the documents by triggers; the vocabulary is added here.
    search_index.vocabulary_add(text for d in documents for text in (d.title, d.summary, d.analysis, d.sources))


def search_documents_rebuild(case_ids: Iterable[int] | None = None, *, batch_size: int = 500) -> int:
    """Rebuild the documents of these cases (default: every case) in batches; returns how many."""
    ids = list(case_ids) if case_ids is not None else list(Case.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            search_documents_write(ids[start : start + batch_size])
    return len(ids)


FEW_MATCHES = 200


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def search_filter(queryset: QuerySet[Case], text: str, *, also: QuerySet | None = None) -> QuerySet[Case]:
    """Cases of ``queryset`` matching ``text``, annotated with ``search_rank`` (higher is better).

    ``also``: the ids of further cases to include whatever their text (an organization's deals,
    when the query is one of its names); they rank by their text like the others.
    """
    if _is_postgres():
        query = _query(text)
        # A rare term: PostgreSQL cannot tell from its statistics how few documents match, and
        # for a newest-first page it walks the date index, testing every case (a second at
        # 100,000 cases). So ask the GIN index first: when few documents match, hand the
        # planner their ids. A common term keeps the plain plan, which is fast for it.
        few = list(CaseSearchDocument.objects.filter(vector=query).values_list("case_id", flat=True)[: FEW_MATCHES + 1])
        matching = Q(pk__in=few) if len(few) <= FEW_MATCHES else Q(search_document__vector=query)
        if also is not None:
            matching |= Q(pk__in=also)
            # Marked, so that the rank window (below) keeps them: their text may not match at all.
            queryset = queryset.annotate(search_also=ExpressionWrapper(Q(pk__in=also), output_field=BooleanField()))
        return queryset.filter(matching).annotate(
            search_rank=Coalesce(
                Cast(SearchRank(F("search_document__vector"), query), FloatField()),
                Value(0.0),
                output_field=FloatField(),
            )
        )
    return search_index.sqlite_filter(queryset, text, also=also)


# Ranking is bounded (PostgreSQL): a word found in nearly every case would otherwise have
# ts_rank computed for every match (98,000 at 100,000 cases, hundreds of milliseconds) to
# show twenty. Only the RANK_WINDOW newest matching documents (the highest case ids: the
# cases most recently added) are ranked, so a relevance page costs the same for any word.
# A query matching fewer documents ranks them all; the other sorts page through every match.
RANK_WINDOW = 1000


def search_rank_window(queryset: QuerySet[Case], text: str) -> QuerySet[Case]:
    """For ordering by relevance: the matches of ``queryset`` among the RANK_WINDOW newest matching documents."""
    if not _is_postgres():
        return queryset  # FTS5 ranks inside its own index (cases.search_index)
    window = CaseSearchDocument.objects.filter(vector=_query(text)).order_by("-case_id").values("case_id")[:RANK_WINDOW]
    keep = Q(pk__in=window)
    if "search_also" in queryset.query.annotations:  # an organization's deals found by its name (search_filter)
        keep |= Q(search_also=True)
    return queryset.filter(keep)


def _marked(text: str) -> SafeString:
    """Escape everything, then turn our markers (the only ones left, see _without_markers) into <mark> tags."""
    return mark_safe(escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


# A long part is not parsed whole for its headline: ts_headline parses every word it is given
# (an analysis runs to thousands of characters: about 1 ms a case, 20 ms a page, at 100,000
# cases). It is drawn from HEADLINE_WINDOW characters that begin HEADLINE_LEAD before the
# query's words first appear in the part (see _HEADLINE_SQL). Where they first appear is found
# by a regular expression over their first letters (``_start_pattern``), which costs next to
# nothing; the marks are PostgreSQL's own, so they are always the query's matches.
HEADLINE_WINDOW = 1200
HEADLINE_LEAD = 100


def _word_start(word: str) -> str:
    """The first letters a word's forms share, as its stem does (an English stem is the word less
    at most three letters: "capacity", "capac"): the word less three letters, three at least."""
    return word.lower()[: max(3, len(word) - 3)]


def _start_pattern(text: str) -> str:
    """PostgreSQL's regular expression for where the query's words begin in a text: each word by its
    first letters, a quoted phrase by its words' first letters in order; excluded words and "or"
    left out. Empty when nothing is left (the passage then starts at the part's beginning)."""
    alternatives = []
    for number, chunk in enumerate(text.split('"')):
        if number % 2:  # inside quotes: a phrase
            words = re.findall(r"\w+", chunk)
            if words:
                alternatives.append(r"\w*\W+".join(_word_start(word) for word in words))
            continue
        for token in chunk.split():
            if token.startswith("-") or token.lower() == "or":
                continue
            alternatives.extend(_word_start(word) for word in re.findall(r"\w+", token))
    return rf"\m(?:{'|'.join(alternatives)})" if alternatives else ""


# ts_headline's options (its own syntax: a double-quoted value keeps its spaces).
_HEADLINE_OPTIONS = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=40, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "'
)
# The part and query (``_headline_source``) are computed once per document (MATERIALIZED: else
# PostgreSQL copies their expressions into every place that reads them, and each reads the
# stored vector again). A long part's passage: HEADLINE_WINDOW characters from HEADLINE_LEAD
# before where the words first appear, less the words cut at either end. Its headline is kept
# when it marks a word; else (the words' first letters found in another word, a form the
# expression misses) the headline is drawn from the whole part.
_HEADLINE_SQL = r"""
WITH parts (case_id, body, query) AS MATERIALIZED ({parts}),
starts AS MATERIALIZED (
    SELECT *, greatest(regexp_instr(body, %s, 1, 1, 0, 'i') - %s, 1) AS start FROM parts
),
passages AS MATERIALIZED (
    SELECT case_id, body, query, CASE WHEN length(body) > %s THEN ts_headline(
        %s::regconfig,
        regexp_replace(
            regexp_replace(substr(body, start, %s), CASE WHEN start > 1 THEN '^\S*\s+' ELSE '^' END, ''),
            CASE WHEN start + %s <= length(body) THEN '\s+\S*$' ELSE '$' END,
            ''
        ),
        query,
        %s
    ) END AS headline
    FROM starts
)
SELECT case_id, CASE WHEN strpos(headline, %s) > 0 THEN headline ELSE ts_headline(%s::regconfig, body, query, %s) END
FROM passages
"""


def search_headlines(case_ids: Iterable[int], text: str) -> dict[int, SafeString]:
    """Each case's best matching passage with the matches in <mark>; one query."""
    case_ids = list(case_ids)
    if not case_ids or not text.strip():
        return {}
    documents = CaseSearchDocument.objects.filter(case_id__in=case_ids)
    if _is_postgres():
        body, query = _headline_source(text)
        parts = documents.annotate(headline_body=body, headline_query=query)
        sql, params = parts.values_list("case_id", "headline_body", "headline_query").query.sql_with_params()
        window, lead, options = HEADLINE_WINDOW, HEADLINE_LEAD, _HEADLINE_OPTIONS
        # In the order of their places in _HEADLINE_SQL.
        passage: list[str | int] = [_start_pattern(text), lead, window, CONFIG, window, window, options]
        with connection.cursor() as cursor:
            cursor.execute(_HEADLINE_SQL.format(parts=sql), [*params, *passage, _START, CONFIG, options])
            rows = cursor.fetchall()
        return {case_id: _marked(headline or "") for case_id, headline in rows}
    return {
        document.case_id: search_index.snippet(document.body, text.strip())
        for document in documents.only("case_id", "summary", "analysis", "sources")
    }


def _without_markers(text: Expression) -> Func:
    """The text with its own markers replaced: shown as U+FFFD, never as <mark>."""
    without_start = Replace(text, Value(_START), Value("\ufffd"), output_field=TextField())
    return Replace(without_start, Value(_STOP), Value("\ufffd"), output_field=TextField())


class _PartMatches(Func):
    """Whether one part of the document (its lexemes of one weight in the stored vector: see
    ``_vector``) matches the query by itself; read from the vector, nothing is parsed again."""

    output_field = BooleanField()

    def __init__(self, weight: str, query: SearchQuery) -> None:
        super().__init__(F("vector"), query)
        self.weight = weight

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        vector, vector_params = compiler.compile(self.source_expressions[0])
        query, query_params = compiler.compile(self.source_expressions[1])
        return f"(ts_filter({vector}, '{{{self.weight}}}') @@ {query})", (*vector_params, *query_params)


def _any_word(text: str) -> SearchQuery:
    """A query matching any one of ``text``'s words (its phrases split, its excluded words left out)."""
    words = [word for word in text.replace('"', " ").split() if not word.startswith("-") and word.lower() != "or"]
    return SearchQuery(" or ".join(words), search_type="websearch", config=CONFIG)


_PARTS = (("b", "summary"), ("c", "analysis"), ("d", "sources"))


def _headline_source(text: str) -> tuple[Func, Choose]:
    """What the headline is drawn from, and with which query: the first part that matches the query
    by itself (summary, then analysis, then sources), with the query; else the first that holds one
    of its words (the words spread over the parts), with any of its words, so that the passage
    shown is around them and they are marked; else (only the title matches) the summary. One part,
    never all three: the headline parses every word it is given, and the analysis alone runs to
    thousands of characters a case."""
    query, any_word = _query(text), _any_word(text)
    whole = [_PartMatches(weight, query) for weight, _ in _PARTS]
    body = Choose(
        *(When(matches, then=F(name)) for matches, (_, name) in zip(whole, _PARTS, strict=True)),
        *(When(_PartMatches(weight, any_word), then=F(name)) for weight, name in _PARTS),
        default=F("summary"),
        output_field=TextField(),
    )
    with_query = Choose(
        *(When(matches, then=query) for matches in whole), default=any_word, output_field=SearchQueryField()
    )
    return _without_markers(body), with_query
