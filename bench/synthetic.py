"""A synthetic archive for benchmarks and scale tests: many published, scored cases, fast.

Every row is written directly in its final state with bulk writes: ``COPY``
on PostgreSQL, ``bulk_create`` elsewhere. Why not the services: publishing
100,000 analyses one by one takes hours, and the database freezes published
versions and their scores (triggers), so nothing may be inserted as a draft
and updated later. Within each chunk's transaction a version's children
(scores, annotations) are written *before* the version row itself: foreign
keys are deferred to the commit, so a trigger that refuses children of a
published version never sees a published parent, while every foreign key is
still checked at commit. The score scale trigger still checks every score.

On PostgreSQL (outside a transaction) threads write the chunks, each in its own
transaction on a connection of its own (``WRITERS`` at a time), while the next
chunk is generated: the database's share of the work (COPY, indexes, foreign
keys, the search vectors), most of the time, runs alongside the generator's
Python and on more than one core.

Ids are assigned here, taken from the tables' sequences (``_Ids``), so that
children can point at their parents without reading anything back, while the
site goes on writing. The output depends only on the seed and the arguments: two runs
with the same seed on empty databases write the same rows. Every case is
marked ``is_synthetic``.

Risk summaries and organization exposures are computed at the end by the
same services the workers call (in batches, in this process), unless
``compute_summaries`` is off, in which case they are left stale for the sweep
or for the recompute benchmark.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, connections, models, transaction
from django.db.models import Max

from cases import search, search_index
from cases.models import (
    Case,
    CaseSearchDocument,
    DatePrecision,
    DealType,
    Organization,
    Party,
    Source,
    Tag,
    TimelineEvent,
)
from evaluations import anchoring
from evaluations.demo import DATA_DIR, load_rubric
from evaluations.models import (
    Annotation,
    AuditEntry,
    Evaluation,
    EvaluationVersion,
    OrganizationExposure,
    PartyFigure,
    RiskSummary,
    RubricVersion,
    Score,
)
from evaluations.services import exposures, recompute_set

# --- Vocabulary (deterministic text) -----------------------------------------

_NAME_HEADS = [
    "Aster", "Basalt", "Cobalt", "Delta", "Ember", "Fathom", "Granite", "Helix", "Ion", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Onyx", "Polar", "Quartz", "Radiant", "Sable", "Tessel",
    "Umbra", "Vector", "Willow", "Xenon", "Yarrow", "Zephyr",
]  # fmt: skip
_NAME_TAILS = {
    Organization.Kind.MODEL_LAB: ["AI", "Labs", "Intelligence", "Research"],
    Organization.Kind.CLOUD_PROVIDER: ["Cloud", "Compute", "Hyperscale"],
    Organization.Kind.CHIP_MAKER: ["Semiconductor", "Silicon", "Microsystems"],
    Organization.Kind.INVESTOR: ["Capital", "Ventures", "Partners"],
    Organization.Kind.PLATFORM: ["Platforms", "Networks", "Social"],
    Organization.Kind.DATA_CENTER_OPERATOR: ["Data Centers", "Infrastructure", "Power & Compute"],
    Organization.Kind.DATA_PROVIDER: ["Data", "Archives", "Media"],
}
_KINDS = list(_NAME_TAILS)
_KIND_WEIGHTS = [30, 14, 8, 16, 14, 10, 8]
_ROLE_PAIRS = [
    (Party.Role.PROVIDER, Party.Role.CUSTOMER),
    (Party.Role.INVESTOR, Party.Role.INVESTEE),
    (Party.Role.LICENSOR, Party.Role.LICENSEE),
    (Party.Role.DISTRIBUTOR, Party.Role.PARTNER),
]
_EXTRA_ROLES = [Party.Role.PARTNER, Party.Role.INVESTOR, Party.Role.CUSTOMER, Party.Role.PROVIDER]
_PUBLISHERS = [
    ("Financial Ledger", "ledger.example"), ("The Compute Review", "computereview.example"),
    ("Wire Service", "wire.example"), ("Silicon Daily", "silicondaily.example"),
    ("Regulatory Filings", "filings.example"), ("The Information Desk", "infodesk.example"),
]  # fmt: skip
_TAGS = [
    "sovereign-ai", "gpu-supply", "nuclear-power", "europe", "asia", "middle-east", "antitrust", "open-weights",
    "exclusive", "multi-year", "renegotiated", "acqui-hire", "energy", "custom-silicon", "inference", "training",
    "revenue-share", "minority-stake", "board-seat", "cloud-credits",
]  # fmt: skip
_WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list of them
    "capacity compute lease contract exclusivity customers distribution margin supplier dependency "
    "hardware power cluster inference training revenue credits equity stake licence model weights "
    "regulators pricing commitment demand spike capital plans politics supply chips datacenter region "
    "tenancy renewal option termination clause leverage workaround rival partner platform users"
).split()
# A sentence in about one summary in 2,000: the benchmark's "rare term" search.
RARE_SENTENCE, RARE_SHARE = "Antimony supply is part of the terms.", 1 / 2000
_NARRATIVE_OPENERS = [
    "The announcement frames the deal as strategic, but the terms say more than the press release.",
    "Read closely, the filing shows who carries the risk when demand moves.",
    "Both sides called it a partnership; the money flows only one way for now.",
    "The capacity exists today, and that is the whole point of the arrangement.",
]
_ANNOTATION_BODIES = [
    "The filing gives a different figure; see the second source.",
    "Context: the same supplier signed a similar lease a year earlier.",
    "A dissenting reading: the exclusivity may lapse after the first renewal.",
    "Fact check: the capacity figure is the nameplate, not the delivered power.",
]


@dataclass(frozen=True)
class ArchiveShape:
    """How the archive looks; the defaults are the benchmark's realistic shape."""

    organizations: int | None = None  # default: one per 40 cases, at least 12
    zipf_exponent: float = 1.1  # deal counts per organization: a few giants, a long tail
    party_counts: Sequence[int] = (2, 3, 4, 5, 6)
    party_weights: Sequence[int] = (55, 22, 12, 7, 4)
    version_counts: Sequence[int] = (1, 2, 3, 4)  # published versions; all but the last superseded
    version_weights: Sequence[int] = (40, 32, 18, 10)
    draft_case_share: float = 0.02  # cases with only a draft analysis (never shown to readers)
    open_draft_share: float = 0.05  # published cases with a new draft in the works
    annotations_max: int = 3  # per public version
    sources_range: tuple[int, int] = (1, 5)
    narrative_paragraphs: tuple[int, int] = (5, 10)

    @classmethod
    def simple(cls) -> ArchiveShape:
        """Two parties, one published version, no drafts: the small test shape."""
        return cls(
            party_counts=(2,),
            party_weights=(1,),
            version_counts=(1,),
            version_weights=(1,),
            draft_case_share=0.0,
            open_draft_share=0.0,
            annotations_max=0,
            sources_range=(1, 1),
            narrative_paragraphs=(1, 1),
        )


@dataclass
class ArchiveReport:
    cases: int = 0
    published_cases: int = 0
    organizations: int = 0
    parties: int = 0
    versions: int = 0
    scores: int = 0
    annotations: int = 0
    sources: int = 0
    case_ids: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def line(self) -> str:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items())
        return (
            f"{self.cases} cases ({self.published_cases} published), {self.organizations} organizations, "
            f"{self.parties} parties, {self.versions} versions, {self.scores} scores, "
            f"{self.annotations} annotations, {self.sources} sources; {timings}"
        )


# --- Bulk writing ------------------------------------------------------------


class _Writer:
    """Writes rows (tuples of column values) with COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def write(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
        count = 0
        if self.postgres:
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) == 2000:
                model.objects.bulk_create(batch)
                count, batch = count + len(batch), []
        model.objects.bulk_create(batch)
        return count + len(batch)


class _Ids:
    """Ids for new rows, so that children can point at their parents without reading anything back.

    On PostgreSQL they are taken from each table's own sequence (``nextval``,
    a block at a time), as any other insert takes them: the site may write at
    the same time (an editor saving a case, a worker writing summaries)
    without a collision either way, and the sequences never need resetting.
    Blocks leave gaps in the ids, which mean nothing. Why not the tables'
    maximum plus one: a row inserted by anyone else meanwhile takes an id from
    the sequence that this generator has already used, or is about to, and
    one of the two inserts fails with a duplicate key.

    SQLite (the embedded demo) has one writer at a time and no sequences to
    ask: ids continue from the tables' maximum, read again for each chunk, and
    AUTOINCREMENT follows the ids inserted.
    """

    BLOCK = 5000

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.free: dict[type[models.Model], list[int]] = {}
        self.next: dict[type[models.Model], int] = {}

    def refresh(self) -> None:
        """Before a chunk (SQLite): continue after whatever was written meanwhile."""
        for model, value in self.next.items():
            self.next[model] = max(value, (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1)

    def take(self, model: type[models.Model]) -> int:
        if not self.postgres:
            if model not in self.next:
                self.next[model] = (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
            self.next[model] += 1
            return self.next[model] - 1
        free = self.free.setdefault(model, [])
        if not free:
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [connection.ops.quote_name(table), model._meta.pk.column, self.BLOCK],
                )
                free.extend(sorted((row[0] for row in cursor.fetchall()), reverse=True))
        return free.pop()


# --- Generation --------------------------------------------------------------


# A random byte picks a word (the first 256 % len(_WORDS) words slightly more often: text for a
# benchmark, not statistics). One ``randbytes`` call per sentence instead of a ``choice`` per word:
# the words were most of the generator's Python time.
_BYTE_WORDS = [_WORDS[i % len(_WORDS)] for i in range(256)]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join([_BYTE_WORDS[b] for b in rng.randbytes(words)])
    return text[0].upper() + text[1:] + "."


def _narrative(rng: random.Random, title: str, paragraphs: int) -> str:
    parts = [f"## {title}", rng.choice(_NARRATIVE_OPENERS)]
    for index in range(paragraphs):
        parts.append(" ".join(_sentence(rng, rng.randint(9, 18)) for _ in range(rng.randint(4, 7))))
        if index == 1:
            parts.append("\n".join(f"- {_sentence(rng, rng.randint(5, 9))}" for _ in range(3)))
    return "\n\n".join(parts)


def _narrative_text(verdict: str, narrative: str) -> str:
    """``cases.search._analysis_text`` of a narrative made by ``_narrative`` (a heading, paragraphs
    and one list), without rendering its Markdown: the search documents are written with the rows
    (tests/bench/test_generator.py checks it equals the rendered text)."""
    blocks = []
    for block in narrative.split("\n\n"):
        if block.startswith("## "):
            blocks.append(block[3:])
        elif block.startswith("- "):
            blocks.append("\n" + "\n".join(line[2:] for line in block.split("\n")) + "\n")
        else:
            blocks.append(block)
    return "\n".join(part for part in (verdict, "\n".join(blocks)) if part).strip()


def _slug_of(text: str) -> str:
    return "-".join("".join(ch for ch in word.lower() if ch.isalnum()) for word in text.split())


def rubric_version_default() -> RubricVersion:
    """The active version of the shipped rubric, loading it if the database has none."""
    data = json.loads((DATA_DIR / "rubric_v1.json").read_text())
    version = RubricVersion.objects.filter(
        rubric__slug=data["rubric"]["slug"], status=RubricVersion.Status.ACTIVE
    ).first()
    return version or load_rubric(data)


WRITERS = 2  # chunks written at the same time (PostgreSQL): one per core of the benchmark's machine


def generate_archive(
    *,
    cases: int,
    seed: int = 1,
    prefix: str = "syn",
    rubric_version: RubricVersion | None = None,
    shape: ArchiveShape | None = None,
    compute_summaries: bool = True,
    chunk_size: int = 5000,
    pipelined: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ArchiveReport:
    """Write ``cases`` synthetic cases (and their organizations, analyses, scores...).

    ``pipelined``: on PostgreSQL outside a transaction, threads write the chunks (``WRITERS`` at a
    time) while the next one is generated (see the module docstring); off, every chunk on this
    connection, one after the other.
    """
    shape = shape or ArchiveShape()
    rubric_version = rubric_version or rubric_version_default()
    if Case.objects.filter(slug__startswith=f"{prefix}-c").exists():
        raise ValueError(f"the database already holds a synthetic archive with prefix {prefix!r}")
    rng = random.Random(seed)
    report = ArchiveReport()
    say = progress or (lambda message: None)
    started = time.monotonic()
    writer = _Writer()
    criteria = list(rubric_version.criteria.order_by("position", "id"))
    deal_criteria = [c for c in criteria if not c.per_party]
    party_criteria = [c for c in criteria if c.per_party]
    scale = (rubric_version.scale_min, rubric_version.scale_max)
    base = datetime(2015, 1, 1, tzinfo=UTC)

    ids = _Ids()
    documents_seconds = 0.0
    with transaction.atomic():
        users = _users(prefix)
        deal_types = list(DealType.objects.order_by("slug").values_list("pk", flat=True))
        tags = _tags(prefix)
        organizations = _organizations(writer, ids, rng, prefix, shape.organizations or max(12, cases // 40))
    report.organizations = len(organizations)
    # Zipf: the organization at rank r takes part in deals with weight 1 / r^s.
    cumulative = list(itertools.accumulate(1 / (rank + 1) ** shape.zipf_exponent for rank in range(len(organizations))))
    rng.shuffle(organizations)  # ranks are not alphabetical

    context = _Context(rng, prefix, shape, ids, report, organizations, cumulative, deal_types, tags, users,
                       party_criteria, deal_criteria, rubric_version.pk, scale, base)  # fmt: skip

    def chunk_write(rows: dict[str, list[tuple]], documents: list[tuple], done: int) -> float:
        """Write one chunk in its own transaction; returns the seconds its search documents took."""
        with transaction.atomic():
            for key, (model, columns) in _TABLES.items():
                writer.write(model, columns, rows[key])
            t = time.monotonic()
            _documents_write(writer, documents)
            seconds = time.monotonic() - t
        say(f"{done}/{cases} cases written ({time.monotonic() - started:.1f}s)")
        return seconds

    def chunk_write_apart(rows: dict[str, list[tuple]], documents: list[tuple], done: int) -> float:
        try:
            return chunk_write(rows, documents, done)
        finally:
            connections.close_all()  # this thread's own connection

    # PostgreSQL, outside any transaction: threads write the chunks, each on a connection and in a
    # transaction of its own, while this one generates the next chunk, so the database's work (COPY,
    # indexes, the foreign keys checked at commit, the search vectors' to_tsvector) runs alongside
    # the generation, WRITERS chunks at a time. The chunks are independent (their parents, the
    # organizations, are committed first). Inside a transaction (tests) the rows must be written on
    # the caller's connection, one chunk after the other.
    pipelined = pipelined and writer.postgres and not connection.in_atomic_block
    pending: deque[Future[float]] = deque()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        for chunk_start in range(0, cases, chunk_size):
            n = min(chunk_size, cases - chunk_start)
            rows: dict[str, list[tuple]] = {k: [] for k in _TABLES}
            documents: list[tuple] = []
            ids.refresh()
            for index in range(chunk_start, chunk_start + n):
                _one_case(context, index, rows, documents)
            if len(pending) == WRITERS:  # at most WRITERS chunks held in memory, waiting or being written
                documents_seconds += pending.popleft().result()
            if pipelined:
                pending.append(pool.submit(chunk_write_apart, rows, documents, chunk_start + n))
            else:
                documents_seconds += chunk_write(rows, documents, chunk_start + n)
        while pending:
            documents_seconds += pending.popleft().result()
    if pipelined:  # the documents' time overlaps the generation's
        report.seconds["insert and search documents"] = time.monotonic() - started
        report.seconds["of which search documents (alongside)"] = documents_seconds
    else:
        report.seconds["insert"] = time.monotonic() - started - documents_seconds
        report.seconds["search documents"] = documents_seconds
    t = time.monotonic()
    analyze()  # the summaries' reads need fresh statistics too
    report.seconds["statistics"] = time.monotonic() - t
    if compute_summaries:
        t = time.monotonic()
        summaries_compute(report.case_ids, batch_size=5000, progress=say, seconds=report.seconds)
        analyze(RiskSummary, PartyFigure, OrganizationExposure)  # for the pages: written since the first ANALYZE
        report.seconds["summaries and exposures"] = time.monotonic() - t
    return report


_DOCUMENT_COLUMNS = ("case_id", "title", "summary", "analysis", "sources", "updated_at")


def _documents_write(writer: _Writer, documents: list[tuple]) -> None:
    """The chunk's search documents, as ``cases.search.search_documents_write`` would write them.

    PostgreSQL: COPY into a temporary table, then one INSERT computing each vector (the same
    weighted ``to_tsvector`` as ``cases.search._vector``): each row written once, not written
    and then updated. SQLite: its FTS5 index follows by triggers. Then the vocabulary.
    """
    if writer.postgres:
        names = ", ".join(_DOCUMENT_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE synthetic_documents "
                "(case_id bigint, title text, summary text, analysis text, sources text, updated_at timestamptz)"
            )
            with cursor.cursor.copy(f"COPY synthetic_documents ({names}) FROM STDIN") as copy:
                for row in documents:
                    copy.write_row(row)
            vector = " || ".join(
                f"setweight(to_tsvector('{search.CONFIG}'::regconfig, COALESCE({column}, '')), '{weight}')"
                for column, weight in (("title", "A"), ("summary", "B"), ("analysis", "C"), ("sources", "D"))
            )
            cursor.execute(
                f"INSERT INTO {CaseSearchDocument._meta.db_table} ({names}, vector) "  # noqa: S608 - our own names
                f"SELECT {names}, {vector} FROM synthetic_documents"
            )
            cursor.execute("DROP TABLE synthetic_documents")
    else:
        writer.write(CaseSearchDocument, _DOCUMENT_COLUMNS, documents)
    search_index.vocabulary_add(text for row in documents for text in row[1:5])


def analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load (autovacuum would, minutes later):
    these tables' (by their models), or every table's."""
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {names}")


def summaries_compute(
    case_ids: Sequence[int], *, batch_size: int = 1000, progress=None, seconds: dict[str, float] | None = None
) -> None:
    """Compute the cases' summaries and their organizations' exposures with the workers' services."""
    say = progress or (lambda message: None)
    started = time.monotonic()
    case_ids = sorted(case_ids)
    for start in range(0, len(case_ids), batch_size):
        batch = case_ids[start : start + batch_size]
        recompute_set.risk_summaries_recompute_many(case_ids=batch, queue_exposures=False)
        if (start // batch_size) % 10 == 9:
            say(f"{start + batch_size}/{len(case_ids)} summaries")
    # Each organization once: a party's default ordering (case, position) would make DISTINCT keep a
    # row per party, and every batch of that list loaded the deals of thousands of organizations again.
    organization_ids = sorted(
        set(Party.objects.filter(case_id__in=case_ids).values_list("organization_id", flat=True))
        if len(case_ids) < 5000
        else Party.objects.filter(case__is_synthetic=True)
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    if seconds is not None:
        seconds["of which summaries"] = time.monotonic() - started
    for start in range(0, len(organization_ids), batch_size):
        exposures.organization_exposures_recompute(organization_ids=organization_ids[start : start + batch_size])


_TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "case": (
        Case,
        (
            "id",
            "title",
            "slug",
            "summary",
            "announced_on",
            "announced_precision",
            "value_low_usd",
            "value_high_usd",
            "value_note",
            "capacity_mw",
            "capacity_chips",
            "capacity_note",
            "status",
            "first_published_at",
            "is_synthetic",
            "created_at",
            "updated_at",
        ),
    ),
    "deal_type": (Case.deal_types.through, ("case_id", "dealtype_id")),
    "tag": (Case.tags.through, ("case_id", "tag_id")),
    "party": (Party, ("id", "case_id", "organization_id", "role", "note", "position")),
    "source": (
        Source,
        (
            "id",
            "case_id",
            "publisher",
            "title",
            "url",
            "published_on",
            "published_precision",
            "claim",
            "position",
            "excerpt",
        ),
    ),
    "timeline": (TimelineEvent, ("case_id", "kind", "occurred_on", "precision", "note")),
    "evaluation": (Evaluation, ("id", "case_id", "rubric_version_id", "created_at")),
    # Children before their versions: see the module docstring.
    "score": (Score, ("id", "version_id", "criterion_id", "party_id", "value", "rationale")),
    "score_source": (Score.sources.through, ("score_id", "source_id")),
    "annotation": (
        Annotation,
        ("version_id", "quote", "prefix", "suffix", "kind", "body", "author_id", "orphaned", "created_at"),
    ),
    "version": (
        EvaluationVersion,
        (
            "id",
            "evaluation_id",
            "case_id",
            "number",
            "state",
            "author_id",
            "based_on_id",
            "narrative",
            "verdict",
            "change_note",
            "correction_note",
            "lock_version",
            "created_at",
            "updated_at",
            "submitted_at",
            "published_at",
            "published_by_id",
        ),
    ),
    "audit": (
        AuditEntry,
        ("action", "actor_id", "at", "from_state", "to_state", "comment", "evaluation_version_id", "subject"),
    ),
}


def _users(prefix: str) -> dict[str, list[int]]:
    """Synthetic editors and reviewers (they cannot log in)."""
    User = get_user_model()
    result: dict[str, list[int]] = {"editors": [], "reviewers": []}
    for group, count in (("editors", 8), ("reviewers", 3)):
        for i in range(count):
            user, created = User.objects.get_or_create(
                username=f"{prefix}-{group[:-1]}-{i}", defaults={"is_active": False}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            result[group].append(user.pk)
    return result


def _tags(prefix: str) -> list[int]:
    return [
        Tag.objects.get_or_create(slug=f"{prefix}-{slug}", defaults={"name": f"{slug.replace('-', ' ')} ({prefix})"})[
            0
        ].pk
        for slug in _TAGS
    ]


def _organizations(writer: _Writer, ids: _Ids, rng: random.Random, prefix: str, count: int) -> list[int]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(count):
        kind = rng.choices(_KINDS, _KIND_WEIGHTS)[0]
        name = f"{rng.choice(_NAME_HEADS)} {rng.choice(_NAME_TAILS[kind])} {i + 1} ({prefix})"
        rows.append(
            (ids.take(Organization), name, f"{prefix}-{_slug_of(name.rsplit(' (', 1)[0])}", kind,
             _sentence(rng, 20), now, now)
        )  # fmt: skip
    writer.write(Organization, ("id", "name", "slug", "kind", "description", "created_at", "updated_at"), rows)
    return [row[0] for row in rows]


@dataclass
class _Context:
    """What every case's generation reads (and the id counters and report it advances)."""

    rng: random.Random
    prefix: str
    shape: ArchiveShape
    ids: _Ids
    report: ArchiveReport
    organizations: list[int]
    cumulative: list[float]  # Zipf weights of ``organizations``, accumulated
    deal_types: list[int]
    tags: list[int]
    users: dict[str, list[int]]
    party_criteria: list
    deal_criteria: list
    rubric_version_id: int
    scale: tuple[int, int]
    base: datetime


def _one_case(context: _Context, index: int, rows: dict[str, list[tuple]], documents: list[tuple]) -> None:
    """Append one case and everything under it to ``rows``, table by table, and its search
    document (a published case's) to ``documents``."""
    c = context
    rng, prefix, shape, ids, report, organizations = c.rng, c.prefix, c.shape, c.ids, c.report, c.organizations
    cumulative, deal_types, tags, users, scale, base = c.cumulative, c.deal_types, c.tags, c.users, c.scale, c.base
    party_criteria, deal_criteria, rubric_version_id = c.party_criteria, c.deal_criteria, c.rubric_version_id
    total = cumulative[-1]
    case_id = ids.take(Case)
    # Parties: distinct organizations drawn by Zipf weight.
    n_parties = rng.choices(shape.party_counts, shape.party_weights)[0]
    n_parties = min(n_parties, len(organizations))
    chosen: list[int] = []
    while len(chosen) < n_parties:
        org = organizations[bisect.bisect_left(cumulative, rng.random() * total)]
        if org not in chosen:
            chosen.append(org)
    pair = rng.choice(_ROLE_PAIRS)
    party_ids = []
    for position, org in enumerate(chosen):
        role = pair[position] if position < 2 else rng.choice(_EXTRA_ROLES)
        party_ids.append(ids.take(Party))
        rows["party"].append((party_ids[-1], case_id, org, role, "", position))
    report.parties += n_parties

    announced = (base + timedelta(days=rng.randint(0, 3900))).date()
    published = rng.random() >= shape.draft_case_share
    dtype = rng.sample(deal_types, min(len(deal_types), rng.choice((1, 1, 2))))
    title = f"{rng.choice(_NAME_HEADS)} {rng.choice(('compute', 'cloud', 'chip', 'licensing', 'equity', 'distribution'))} deal {index + 1}"  # noqa: E501
    low = rng.choice((None, rng.randint(1, 500) * 10_000_000))
    high = low and low * rng.choice((1, 1, 2, 3))
    mw = rng.choice((None, None, Decimal(rng.randint(5, 3000))))
    first_published = datetime.combine(announced, datetime.min.time(), UTC) + timedelta(days=rng.randint(1, 30))
    created = first_published - timedelta(days=1)
    summary = " ".join(_sentence(rng, rng.randint(10, 20)) for _ in range(rng.randint(2, 3))) + (
        f" {RARE_SENTENCE}" if rng.random() < RARE_SHARE else ""
    )
    rows["case"].append((
        case_id, title, f"{prefix}-c{index + 1:06d}-{_slug_of(title)}"[:200], summary,
        announced, rng.choice((DatePrecision.DAY,) * 6 + (DatePrecision.MONTH,)), low, high,
        "As reported." if low else "", mw, rng.choice((None, rng.randint(1, 200) * 1000)),
        "Nameplate capacity." if mw else "", Case.Status.PUBLISHED if published else Case.Status.DRAFT,
        first_published if published else None, True, created, created,
    ))  # fmt: skip
    report.cases += 1
    report.published_cases += published
    report.case_ids.append(case_id)
    rows["deal_type"].extend((case_id, d) for d in dtype)
    rows["tag"].extend((case_id, t) for t in rng.sample(tags, rng.choice((0, 1, 1, 2, 3))))

    source_ids, source_texts = [], []
    for position in range(rng.randint(*shape.sources_range)):
        publisher, domain = rng.choice(_PUBLISHERS)
        source_ids.append(ids.take(Source))
        source_title = _sentence(rng, 8)[:-1]
        url = f"https://{domain}/{announced.year}/{case_id}-{position}"
        published_on = announced + timedelta(days=rng.randint(0, 20))
        claim = _sentence(rng, 12)
        rows["source"].append((
            source_ids[-1], case_id, publisher, source_title, url, published_on, DatePrecision.DAY, claim, position, "",
        ))  # fmt: skip
        source_texts.append(f"{publisher} {source_title} {claim}")
    report.sources += len(source_ids)
    rows["timeline"].append((case_id, TimelineEvent.Kind.ANNOUNCED, announced, DatePrecision.DAY, ""))
    if rng.random() < 0.3:
        later = announced + timedelta(days=rng.randint(30, 400))
        kind = rng.choice((TimelineEvent.Kind.EXPANDED, TimelineEvent.Kind.CLOSED, TimelineEvent.Kind.TERMINATED))
        rows["timeline"].append((case_id, kind, later, DatePrecision.MONTH, _sentence(rng, 8)))

    evaluation_id = ids.take(Evaluation)
    rows["evaluation"].append((evaluation_id, case_id, rubric_version_id, created))

    # Versions: superseded ones, then the published one (or a lone draft), maybe an open draft.
    n_public = rng.choices(shape.version_counts, shape.version_weights)[0] if published else 0
    states = [EvaluationVersion.State.SUPERSEDED] * max(0, n_public - 1)
    if published:
        states.append(EvaluationVersion.State.PUBLISHED)
    if not published or rng.random() < shape.open_draft_share:
        states.append(EvaluationVersion.State.DRAFT)
    values = {(p, c.pk): rng.randint(*scale) for p in party_ids for c in party_criteria}
    values.update({(None, c.pk): rng.randint(*scale) for c in deal_criteria})
    previous = None
    at = first_published
    for number, state in enumerate(states, start=1):
        version_id = ids.take(EvaluationVersion)
        public = state in EvaluationVersion.PUBLIC_STATES
        author = rng.choice(users["editors"])
        narrative = _narrative(rng, title, rng.randint(*shape.narrative_paragraphs))
        for key in values:  # later versions revise a few scores
            if number > 1 and rng.random() < 0.2:
                values[key] = min(scale[1], max(scale[0], values[key] + rng.choice((-1, 1))))
        for (party_id, criterion_id), value in values.items():
            score_id = ids.take(Score)
            rows["score"].append((score_id, version_id, criterion_id, party_id, value, _sentence(rng, 10)))
            if criterion_id == (party_criteria or deal_criteria)[0].pk and source_ids:
                rows["score_source"].append((score_id, rng.choice(source_ids)))
        report.scores += len(values)
        if public:
            paragraphs = narrative.split("\n\n")
            for _ in range(rng.randint(0, shape.annotations_max)):
                paragraph = rng.choice(paragraphs[2:] or paragraphs)
                quote = paragraph.split(". ")[0][:120]
                before, after = anchoring.context_for(narrative, quote)
                rows["annotation"].append((version_id, quote, before, after, rng.choice(Annotation.Kind.values),
                                           rng.choice(_ANNOTATION_BODIES), author, False, at))  # fmt: skip
                report.annotations += 1
            rows["audit"].append(
                (AuditEntry.Action.PUBLISH, rng.choice(users["reviewers"]), at, EvaluationVersion.State.IN_REVIEW,
                 EvaluationVersion.State.PUBLISHED, "", version_id, "")
            )  # fmt: skip
        verdict = _sentence(rng, 12)
        if state == EvaluationVersion.State.PUBLISHED:  # what readers find it by (cases.search)
            documents.append((case_id, title, summary, _narrative_text(verdict, narrative), "\n".join(source_texts),
                              at))  # fmt: skip
        rows["version"].append((
            version_id, evaluation_id, case_id, number, state, author, previous, narrative, verdict,
            "Scores revised after new reporting." if number > 1 else "",
            "An earlier version overstated the capacity." if number > 1 and rng.random() < 0.1 else "",
            rng.randint(1, 6), at - timedelta(hours=6), at, at - timedelta(hours=2) if public else None,
            at if public else None, rng.choice(users["reviewers"]) if public else None,
        ))  # fmt: skip
        report.versions += 1
        previous = version_id
        at = at + timedelta(days=rng.randint(10, 90))
