"""The synthetic archive generator: shape, determinism, marking, computable summaries."""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.db import connection, connections, transaction
from django.db.models import Count

from bench.management.commands import generate_archive as generate_archive_command
from bench.synthetic import ArchiveShape, generate_archive, rubric_version_default
from cases.models import Case, CaseSearchDocument, DealType, Organization, Party, Source, Tag, TimelineEvent
from evaluations.models import (
    Annotation,
    AuditEntry,
    Criterion,
    Evaluation,
    EvaluationVersion,
    OrganizationExposure,
    PartyFigure,
    RiskSummary,
    RubricVersion,
    Score,
)
from tests.support.synthetic import assert_summary_matches, expected_summary

pytestmark = pytest.mark.django_db(transaction=False)


def _snapshot(prefix: str) -> list[tuple]:
    """The archive's content with the prefix and the ids taken out."""
    rows = []
    for case in Case.objects.filter(slug__startswith=f"{prefix}-c").order_by("pk"):
        parties = [
            (p.organization.name.rsplit(" (", 1)[0], p.role)
            for p in case.parties.select_related("organization").order_by("position")
        ]
        versions = list(
            case.evaluation_versions.order_by("number").values_list("number", "state", "narrative", "verdict")
        )
        scores = list(
            Score.objects.filter(version__case=case)
            .order_by("version__number", "party__position", "criterion__position")
            .values_list("version__number", "party__position", "criterion__key", "value")
        )
        rows.append((case.title, case.summary, case.announced_on, case.status, parties, versions, scores))
    return rows


def test_same_seed_same_archive_other_seed_another():
    generate_archive(cases=12, seed=5, prefix="a", compute_summaries=False)
    generate_archive(cases=12, seed=5, prefix="b", compute_summaries=False)
    generate_archive(cases=12, seed=6, prefix="c", compute_summaries=False)
    assert _snapshot("a") == _snapshot("b")
    assert _snapshot("a") != _snapshot("c")


def test_counts_shape_and_marking():
    report = generate_archive(cases=30, seed=1, prefix="s")
    cases = Case.objects.filter(slug__startswith="s-c")
    assert report.cases == cases.count() == 30
    assert not cases.filter(is_synthetic=False).exists()
    parties = cases.annotate(n=Count("parties")).values_list("n", flat=True)
    assert min(parties) >= 2 and max(parties) <= 6
    assert report.parties == Party.objects.filter(case__in=cases).count()
    assert report.scores == Score.objects.filter(version__case__in=cases).count()
    assert report.annotations == Annotation.objects.filter(version__case__in=cases).count()
    criteria = rubric_version_default().criteria.count()
    for case in cases.prefetch_related("parties", "evaluation_versions__scores"):
        versions = list(case.evaluation_versions.all())
        published = [v for v in versions if v.state == EvaluationVersion.State.PUBLISHED]
        assert len(published) == (1 if case.status == Case.Status.PUBLISHED else 0)
        for version in versions:  # every criterion scored for every party, in every version
            assert len(version.scores.all()) == criteria * len(case.parties.all())
    for annotation in Annotation.objects.filter(version__case__in=cases).select_related("version"):
        assert annotation.quote in annotation.version.narrative


def test_drafts_never_published():
    generate_archive(cases=200, seed=2, prefix="d", compute_summaries=False)
    drafts = Case.objects.filter(slug__startswith="d-c", status=Case.Status.DRAFT)
    assert drafts.exists()  # about 2% of cases
    assert not EvaluationVersion.objects.filter(case__in=drafts, state__in=EvaluationVersion.PUBLIC_STATES).exists()


def test_summaries_are_computed_by_the_services():
    report = generate_archive(cases=30, seed=3, prefix="r")
    rubric_version = rubric_version_default()
    published = Case.objects.filter(pk__in=report.case_ids, status=Case.Status.PUBLISHED)
    summaries = RiskSummary.objects.filter(case__in=published).prefetch_related("party_figures")
    assert summaries.count() == published.count()
    for summary in summaries:
        assert_summary_matches(summary, expected_summary(summary.case_id, rubric_version), rubric_version)


def test_simple_shape_for_the_worker_tests():
    report = generate_archive(cases=5, seed=1, prefix="m", shape=ArchiveShape.simple(), compute_summaries=False)
    assert report.published_cases == 5 and report.versions == 5 and report.parties == 10
    assert not RiskSummary.objects.filter(case_id__in=report.case_ids, stale=False).exists()


def test_command_refuses_a_second_archive_with_the_same_prefix(capsys):
    call_command(generate_archive_command.Command(), "--cases", "3", "--seed", "1", "--prefix", "k", "--skip-summaries")
    assert "3 cases" in capsys.readouterr().out
    with pytest.raises(Exception, match="already holds"):
        call_command(generate_archive_command.Command(), "--cases", "3", "--prefix", "k")


def test_the_generator_ships_with_the_benchmark_only():
    """Production's manage.py has no generate_archive; the bench settings install it."""

    assert "generate_archive" not in get_commands()
    settings = (pathlib.Path(__file__).parents[2] / "bench" / "settings.py").read_text()
    assert '"bench"' in settings


@pytest.mark.django_db(transaction=True)
def test_generation_while_the_site_writes_cases_and_organizations():
    """Others insert rows (ids from the sequences) while the generator writes chunk after chunk."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer at a time)")
    rubric_version_default()
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def site_writes() -> None:
        try:
            n = 0
            while not stop.is_set() or n < 5:
                n += 1
                org = Organization.objects.create(name=f"Meanwhile {n}", slug=f"meanwhile-{n}", kind="model_lab")
                case = Case.objects.create(
                    title=f"Meanwhile {n}", slug=f"meanwhile-{n}", summary="-", announced_on=datetime.date(2025, 1, 1)
                )
                Party.objects.create(case=case, organization=org, role="customer", position=0)
                written.append(case.pk)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=site_writes)
    writer.start()
    try:
        report = generate_archive(cases=600, seed=4, prefix="w", compute_summaries=False, chunk_size=100)
    finally:
        stop.set()
        writer.join(60)
    assert not errors, errors
    assert report.cases == 600 and Case.objects.filter(slug__startswith="w-c").count() == 600
    assert Case.objects.filter(pk__in=written).count() == len(written) >= 5
    # And the site goes on inserting afterwards: the sequences are ahead of every id written.
    Case.objects.create(title="After", slug="after", summary="-", announced_on=datetime.date(2025, 1, 2))
    Organization.objects.create(name="After", slug="after", kind="model_lab")


def test_search_documents_are_written_as_the_search_service_writes_them():
    """The generator writes each published case's document with its rows (no Markdown rendering,
    no second pass): the same text, and on PostgreSQL the same vector, as ``search_documents_write``."""
    from cases.models import CaseSearchDocument
    from cases.search import search_documents_write

    generate_archive(cases=60, seed=7, prefix="doc", compute_summaries=False)
    cases = Case.objects.filter(slug__startswith="doc-c")
    published = set(cases.filter(status=Case.Status.PUBLISHED).values_list("pk", flat=True))
    columns = ("case_id", "title", "summary", "analysis", "sources", "vector")
    written = {row[0]: row for row in CaseSearchDocument.objects.filter(case__in=cases).values_list(*columns)}
    assert set(written) == published and len(published) > 40
    search_documents_write(list(cases.values_list("pk", flat=True)))
    rebuilt = {row[0]: row for row in CaseSearchDocument.objects.filter(case__in=cases).values_list(*columns)}
    assert rebuilt == written


# --- The generated archive, pinned ----------------------------------------------------------------

# Columns that say when or under which id a row was written, not what the archive holds.
_UNPINNED = {"id", "computed_at", "stale_since", "inputs_hash", "vector"}


def _archive_rows(prefix: str) -> list[tuple]:
    """Every row the generator writes or has the services compute, each foreign key replaced by its
    target's natural key (a slug, a name, a position), so that two databases can be compared."""
    cases = {c.pk: c.slug for c in Case.objects.filter(slug__startswith=f"{prefix}-c")}
    labels: dict[type, dict[int, object]] = {Case: cases}
    labels[Organization] = dict(Organization.objects.filter(slug__startswith=f"{prefix}-").values_list("pk", "name"))
    labels[Party] = {p.pk: (cases[p.case_id], p.position) for p in Party.objects.filter(case_id__in=cases)}
    labels[Source] = {s.pk: (cases[s.case_id], s.position) for s in Source.objects.filter(case_id__in=cases)}
    labels[Evaluation] = {e.pk: cases[e.case_id] for e in Evaluation.objects.filter(case_id__in=cases)}
    labels[EvaluationVersion] = {
        v.pk: (cases[v.case_id], v.number) for v in EvaluationVersion.objects.filter(case_id__in=cases)
    }
    labels[Criterion] = dict(Criterion.objects.values_list("pk", "key"))
    labels[get_user_model()] = dict(get_user_model().objects.values_list("pk", "username"))
    labels[Tag] = dict(Tag.objects.values_list("pk", "slug"))
    labels[DealType] = dict(DealType.objects.values_list("pk", "slug"))
    labels[RubricVersion] = {pk: "rubric" for pk in RubricVersion.objects.values_list("pk", flat=True)}
    scores = Score.objects.filter(version__case_id__in=cases)
    labels[Score] = {
        s.pk: (labels[EvaluationVersion][v], labels[Criterion][c], labels[Party].get(p))
        for s, v, c, p in ((s, s.version_id, s.criterion_id, s.party_id) for s in scores)
    }
    summaries = RiskSummary.objects.filter(case_id__in=cases)
    labels[RiskSummary] = {s.pk: cases[s.case_id] for s in summaries}
    tables = [
        (Organization, Organization.objects.filter(pk__in=labels[Organization])),
        (Case, Case.objects.filter(pk__in=cases)),
        (Case.deal_types.through, Case.deal_types.through.objects.filter(case_id__in=cases)),
        (Case.tags.through, Case.tags.through.objects.filter(case_id__in=cases)),
        (Party, Party.objects.filter(case_id__in=cases)),
        (Source, Source.objects.filter(case_id__in=cases)),
        (TimelineEvent, TimelineEvent.objects.filter(case_id__in=cases)),
        (Evaluation, Evaluation.objects.filter(case_id__in=cases)),
        (EvaluationVersion, EvaluationVersion.objects.filter(case_id__in=cases)),
        (Score, scores),
        (Score.sources.through, Score.sources.through.objects.filter(score__in=scores)),
        (Annotation, Annotation.objects.filter(version__case_id__in=cases)),
        (AuditEntry, AuditEntry.objects.filter(evaluation_version__case_id__in=cases)),
        (CaseSearchDocument, CaseSearchDocument.objects.filter(case_id__in=cases)),
        (RiskSummary, summaries),
        (PartyFigure, PartyFigure.objects.filter(summary__in=summaries)),
        (OrganizationExposure, OrganizationExposure.objects.filter(organization_id__in=labels[Organization])),
    ]
    rows = []
    for model, queryset in tables:
        fields = [f for f in model._meta.concrete_fields if f.attname not in _UNPINNED and not f.primary_key]
        if model is CaseSearchDocument:  # when it was written, not what it holds
            fields = [f for f in fields if f.name != "updated_at"]
        if connection.vendor != "postgresql":  # bulk_create stamps these with the time of the run
            fields = [f for f in fields if not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))]
        for values in queryset.values_list(*(f.attname for f in fields)):
            if model is Source:  # a source's address holds its case's id
                values = tuple(
                    value.replace(f"/{values[0]}-", "/<case>-") if f.name == "url" else value
                    for f, value in zip(fields, values, strict=True)
                )
            row = tuple(
                labels[f.related_model][value] if f.is_relation and value is not None else value
                for f, value in zip(fields, values, strict=True)
            )
            rows.append((model._meta.label, repr(row)))
    return sorted(rows)


def _digest(rows: list[tuple]) -> str:
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def test_the_archive_of_a_seed_is_pinned():
    """200 cases of seed 7, and their summaries, exposures and search documents, as the generator
    wrote them before it was made faster (bench/synthetic.py): any change to what it writes fails here."""
    generate_archive(cases=200, seed=7, prefix="p")
    rows = _archive_rows("p")
    assert len(rows) > 10_000
    assert _digest(rows) == PINNED[connection.vendor]
    if connection.vendor == "postgresql":  # the vectors the search matches (cases.search)
        vectors = CaseSearchDocument.objects.filter(case__slug__startswith="p-c").order_by("case__slug")
        assert _digest([str(v) for v in vectors.values_list("vector", flat=True)]) == PINNED_VECTORS


@pytest.mark.django_db(transaction=True)
def test_the_pipelined_writer_writes_the_same_archive():
    """Outside a transaction, PostgreSQL's chunks are written by a thread while the next is generated:
    the same rows as the plain writer's (inside a transaction), prefixes aside."""
    if connection.vendor != "postgresql":
        pytest.skip("the pipelined writer is PostgreSQL's")
    report = generate_archive(cases=200, seed=7, prefix="p", chunk_size=60)
    assert "insert and search documents" in report.seconds  # the pipeline ran
    with transaction.atomic():
        report = generate_archive(cases=200, seed=7, prefix="q", chunk_size=60)
    assert "insert" in report.seconds  # the plain writer ran

    def rows(prefix: str) -> list[tuple]:
        return sorted(
            (model, row.replace(f"({prefix})", "(*)").replace(f"'{prefix}-", "'*-"))
            for model, row in _archive_rows(prefix)
        )

    assert len(rows("p")) > 10_000 and rows("p") == rows("q")


PINNED = {
    "postgresql": "c307d307f257c818ce672f9625aa27df5646cca90956061bea258df6fe5c8985",
    "sqlite": "efdb41d84f478b6e4bf8e068cf053facf619227e14aa7bd2a2392e03638b89d9",
}
PINNED_VECTORS = "9a8d0abc14aa541edfd1f5433a600fcbb49c467a6afed6bfda3d6c78053071b9"
