"""Export and import of the whole database content, for backups and moves.

A backup is one JSON document: a header (format, version, the migrations it
was taken at) and every row of the tables that hold the newsroom's work:
users and groups (with their permissions), API tokens, the admin's history,
organizations, cases with parties, sources, timelines, tags and deal types,
rubrics and their versions and criteria, evaluations with every version,
score, score-to-source link and annotation, risk summaries, exposures and the
audit log. Content types and permissions are not copied (migrations create
them) but referred to by natural key; groups are matched by name, because
migrations create them too. Every other row keeps its primary key, so links
(and URLs that carry ids) survive. Sessions are not kept.

Import goes into an empty database at the same migrations, in one
transaction: all of it or nothing. Published analyses, frozen rubric
versions and audit entries are refused by the database's triggers
(migration evaluations/0006); the import runs inside
``evaluations.dbtriggers.frozen_writes_allowed``, which lets this one
transaction write them.
"""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from cases.search import search_documents_rebuild
from core.text import text_character_errors
from evaluations.dbtriggers import frozen_writes_allowed

FORMAT = "moatwatch-backup"
VERSION = 1
# Models whose rows a backup carries, in an order where what is referred to comes first.
MODELS = [
    "auth.group",
    "auth.user",
    "authtoken.token",
    "cases.organization",
    "cases.organizationalias",
    "cases.organizationredirect",
    "cases.organizationrelationship",
    "cases.dealtype",
    "cases.tag",
    "cases.case",
    "cases.party",
    "cases.source",
    "cases.timelineevent",
    "evaluations.rubric",
    "evaluations.rubricversion",
    "evaluations.criterion",
    "evaluations.evaluation",
    "evaluations.evaluationversion",
    "evaluations.score",
    "evaluations.citation",
    "evaluations.annotation",
    "evaluations.doublescoring",
    "evaluations.rawscore",
    "evaluations.reconciliation",
    "evaluations.revision",
    "evaluations.reviewcomment",
    "evaluations.reviewassignment",
    "evaluations.risksummary",
    "evaluations.partyfigure",
    "evaluations.organizationexposure",
    "evaluations.auditentry",
    "evaluations.notification",  # the desk's messages, read and emailed as they were (a restore emails nothing)
    "admin.logentry",
]
# Derived from the rows above and rebuilt on import, so not carried.
DERIVED = {"cases.casesearchdocument", "cases.searchterm"}  # rebuilt by search_documents_rebuild
# Created by migrations in every database, so matched by natural key rather than id.
MATCHED_BY_NATURAL_KEY = {"auth.group"}
# Rows an "empty" database may already hold (made by migrations).
MAY_PRE_EXIST = MATCHED_BY_NATURAL_KEY


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """The backup cannot be imported here; the message says why."""


def _models() -> list:
    return [apps.get_model(label) for label in MODELS]


def _open(path: Path, mode: str, *, gzipped: bool):
    return gzip.open(path, mode + "t", encoding="utf-8") if gzipped else path.open(mode, encoding="utf-8")


def _migrations(using: str) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[using])
    applied: dict[str, list[str]] = {}
    for app, name in sorted(recorder.applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def backup_rows(using: str = DEFAULT_DB_ALIAS) -> list[dict[str, Any]]:
    """Every row a backup carries, serialized (natural keys where the section above says)."""
    rows: list[dict[str, Any]] = []
    for model in _models():
        queryset = model._default_manager.using(using).order_by("pk")
        if model._meta.label_lower == "auth.user":
            queryset = queryset.prefetch_related("groups", "user_permissions")
        rows += serializers.serialize(
            "python",
            queryset.iterator(chunk_size=2000),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=model._meta.label_lower in MATCHED_BY_NATURAL_KEY,
        )
    return rows


def backup_export(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Write the whole database content to ``path`` (gzip if it ends in .gz); return rows per model."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One consistent snapshot of every table, while the site keeps running.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        rows = backup_rows(using)
        document = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "migrations": _migrations(using),
            "objects": rows,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with _open(partial, "w", gzipped=path.suffix == ".gz") as handle:
        json.dump(document, handle, cls=_Encoder, ensure_ascii=False)
    partial.replace(path)  # never a half-written backup under the real name
    return _counts(rows)


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(MODELS, 0)
    for row in rows:
        counts[row["model"]] += 1
    return counts


def _require_empty(using: str) -> None:
    occupied = [
        model._meta.label_lower
        for model in _models()
        if model._meta.label_lower not in MAY_PRE_EXIST and model._default_manager.using(using).exists()
    ]
    if occupied:
        raise BackupError(
            "the database is not empty (" + ", ".join(occupied) + "); import into a new database, "
            "or empty this one first with `manage.py flush`"
        )


def _text_refused(instance) -> list[str]:
    """The newsroom's text goes through the one text rule (normalized; refused characters named)."""
    if instance._meta.app_label not in {"cases", "evaluations"}:
        return []
    label = f"{instance._meta.label_lower} {instance.pk}"
    return [f"{label} {name}: {m}" for name, messages in text_character_errors(instance).items() for m in messages]


def backup_import(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Load a backup into an empty database at the same migrations; return rows per model.

    One transaction: on any error nothing is written. Raises BackupError when
    the file is not a backup, was taken at other migrations, or the database
    holds data.
    """
    try:
        with _open(path, "r", gzipped=path.suffix == ".gz") as handle:
            document = json.load(handle)
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Moatwatch backup")
    if document.get("version") != VERSION:
        raise BackupError(f"backup format version {document.get('version')} is not supported (expected {VERSION})")
    here = _migrations(using)
    if document.get("migrations") != here:
        missing = sorted(
            f"{app}.{name}"
            for app, names in document.get("migrations", {}).items()
            for name in set(names) - set(here.get(app, []))
        )
        raise BackupError(
            "the backup was taken at other migrations; run `manage.py migrate` to the same code first"
            + (f" (missing here: {', '.join(missing[:5])})" if missing else "")
        )
    rows = document["objects"]
    connection = connections[using]
    with frozen_writes_allowed(using=using):
        _require_empty(using)
        # Rows refer to each other in both directions (a version's based_on); check once at the end.
        with connection.constraint_checks_disabled():
            refused: list[str] = []
            for obj in serializers.deserialize("python", rows, using=using, handle_forward_references=True):
                refused += _text_refused(obj.object)
                obj.save(using=using)
            if refused:  # raised inside the transaction: nothing is written
                raise BackupError(
                    f"the backup holds text the site refuses ({len(refused)} fields): " + "; ".join(refused[:5])
                )
        connection.check_constraints()
        sequence_sql = connection.ops.sequence_reset_sql(no_style(), _models())
        if sequence_sql:
            with connection.cursor() as cursor:
                for statement in sequence_sql:
                    cursor.execute(statement)
        search_documents_rebuild()  # derived from the rows just loaded, so not in the backup
    return _counts(rows)
