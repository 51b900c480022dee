"""The demo corpus, loaded once per test session and restored per test with one bulk insert per table.

Running the loader (``evaluations.demo.load_demo``: rubric v1 and sixteen
cases scored, published and recomputed through the services) takes seconds;
the ``demo`` fixture needs it in hundreds of tests. So the loader runs once,
in a transaction that is rolled back, and what it wrote is kept as rows
(``DemoCorpus``). Each test then inserts those rows as they were (same ids,
same values, one ``executemany`` per table) inside its own transaction.

A copy is only used where the loader would have written exactly those rows:
the tables it writes hold the same rows as when it ran (users made earlier by
the test aside: the loader looks up no account but its own), and every row
outside the copy that the copy refers to (deal types, say) is still there,
unchanged. Otherwise (a test that emptied the database, as transactional
tests do, or made cases before asking for the demo) a new copy is taken in
that state when the connection is outside a transaction, and where it is not,
the loader simply runs as before. A copy that collides with a row the test
made anyway (a unique name) also falls back to the loader.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import Model

from evaluations.dbtriggers import frozen_writes_allowed
from evaluations.demo import load_demo

# Rows the test may have added before the demo without changing what the loader writes.
MAY_HOLD_MORE = {"auth_user"}

Row = tuple[Any, ...]


def _models() -> list[type[Model]]:
    """Every table Django manages here (many-to-many tables included) that exists."""
    existing = set(connection.introspection.table_names())
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._meta.db_table in existing
    ]


def _columns(model: type[Model]) -> list[str]:
    return [f.column for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


def _rows(model: type[Model]) -> dict[Any, Row]:
    """The table's rows as the database driver returns them, by primary key."""
    q = connection.ops.quote_name
    columns = _columns(model)
    pk = columns.index(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(map(q, columns))} FROM {q(model._meta.db_table)}")  # noqa: S608
        return {row[pk]: tuple(row) for row in cursor.fetchall()}


def _referred_first(models: list[type[Model]]) -> list[type[Model]]:
    """The models in an order where what a row refers to comes first (a cycle is cut where it closes).

    Foreign keys are checked at commit on both databases, so the order is for
    the triggers that look a referred row up (a score's scale).
    """
    order: list[type[Model]] = []

    def visit(model: type[Model], path: set[type[Model]]) -> None:
        if model in order or model in path:
            return
        path.add(model)
        for f in model._meta.local_concrete_fields:
            if f.is_relation and f.related_model in models:
                visit(f.related_model, path)
        path.discard(model)
        order.append(model)

    for model in models:
        visit(model, set())
    return order


@dataclass
class _Table:
    model: type[Model]
    columns: list[str]
    rows: list[Row]
    baseline: frozenset[str]  # primary keys (as text) the table held when the loader ran


@dataclass
class DemoCorpus:
    """What one run of the loader wrote, and the state of the database it ran in."""

    tables: list[_Table]  # in an order where what is referred to comes first
    # Rows outside the copy that it refers to: (model, key column) -> {key value: row}.
    referred: dict[tuple[type[Model], str], dict[Any, Row]] = field(default_factory=dict)

    @classmethod
    def take(cls) -> DemoCorpus:
        """Run the loader in a transaction rolled back, and keep what it wrote."""
        models = _models()
        with transaction.atomic():
            before = {model: _rows(model) for model in models}
            load_demo()
            after = {model: _rows(model) for model in models}
            transaction.set_rollback(True)
        added: dict[type[Model], dict[Any, Row]] = {}
        for model in models:
            changed = [pk for pk, row in before[model].items() if after[model].get(pk) != row]
            if changed:
                raise RuntimeError(
                    f"load_demo changed or deleted rows of {model._meta.db_table} that were there before it "
                    f"(ids {changed[:5]}); tests/support/demo_corpus.py only knows how to add rows"
                )
            new = {pk: row for pk, row in after[model].items() if pk not in before[model]}
            if new:
                added[model] = new
        order = _referred_first(list(added))
        corpus = cls(
            tables=[
                _Table(model, _columns(model), list(added[model].values()), frozenset(map(str, before[model])))
                for model in order
            ]
        )
        corpus._note_referred(added, before)
        corpus._keep_ids_free()
        return corpus

    def _note_referred(self, added: dict[type[Model], dict[Any, Row]], before: dict[type[Model], dict[Any, Row]]):
        for table in self.tables:
            for f in table.model._meta.local_concrete_fields:
                if not f.is_relation:
                    continue
                target = f.related_model
                key = f.target_field.column
                key_index = _columns(target).index(key)
                copied = {row[key_index] for row in added.get(target, {}).values()}
                index = table.columns.index(f.column)
                wanted = {row[index] for row in table.rows} - copied - {None}
                if wanted:
                    rows = {row[key_index]: row for row in before[target].values() if row[key_index] in wanted}
                    self.referred.setdefault((target, key), {}).update(rows)

    def _keep_ids_free(self) -> None:
        """On SQLite the rollback also rolled back the id counters: move them past the copy's ids for good.

        Otherwise a user made by a test before it asks for the demo would take
        the id of a copied row. (PostgreSQL's sequences are not rolled back.)
        """
        if connection.vendor != "sqlite" or connection.in_atomic_block:
            return
        with connection.cursor() as cursor:
            for table in self.tables:
                pk = table.columns.index(table.model._meta.pk.column)
                top = max(row[pk] for row in table.rows)
                if not isinstance(top, int):
                    continue
                name = table.model._meta.db_table
                cursor.execute("UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [top, name])
                if not cursor.rowcount:
                    cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [name, top])

    def fits(self) -> bool:
        """Would the loader write exactly these rows into the database as it is now?"""
        q = connection.ops.quote_name
        checked = [t for t in self.tables if t.model._meta.db_table not in MAY_HOLD_MORE]
        with connection.cursor() as cursor:
            if checked:
                cursor.execute(
                    " UNION ALL ".join(
                        f"SELECT {i}, CAST({q(t.model._meta.pk.column)} AS TEXT) FROM {q(t.model._meta.db_table)}"  # noqa: S608
                        for i, t in enumerate(checked)
                    )
                )
                present: dict[int, set[Any]] = defaultdict(set)
                for i, pk in cursor.fetchall():
                    present[i].add(pk)  # as text: one column for tables whose keys differ in type
                if any(present[i] != t.baseline for i, t in enumerate(checked)):
                    return False
            for (model, key), expected in self.referred.items():
                columns = _columns(model)
                cursor.execute(
                    f"SELECT {', '.join(map(q, columns))} FROM {q(model._meta.db_table)} "  # noqa: S608
                    f"WHERE {q(key)} IN ({', '.join(['%s'] * len(expected))})",
                    list(expected),
                )
                index = columns.index(key)
                if {row[index]: tuple(row) for row in cursor.fetchall()} != expected:
                    return False
        return True

    def insert(self) -> None:
        """The copied rows, as they were; published ones too (the triggers stand aside, as for a backup import)."""
        q = connection.ops.quote_name
        with frozen_writes_allowed(), connection.cursor() as cursor:
            for table in self.tables:
                cursor.executemany(
                    f"INSERT INTO {q(table.model._meta.db_table)} ({', '.join(map(q, table.columns))}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(table.columns))})",
                    table.rows,
                )
            # Ids made after this continue past the copy's (PostgreSQL: setval to the largest id).
            for statement in connection.ops.sequence_reset_sql(no_style(), [t.model for t in self.tables]):
                cursor.execute(statement)


class DemoCorpora:
    """The copies taken in this session; ``restore()`` is what the ``demo`` fixtures do."""

    def __init__(self) -> None:
        self.copies: list[DemoCorpus] = []
        self.loader_runs = 0  # how often a test needed the loader itself (checked by its own tests)

    def restore(self) -> None:
        """The demo corpus in the database, as ``load_demo()`` leaves it."""
        corpus = next((c for c in reversed(self.copies) if c.fits()), None)
        if corpus is None and not connection.in_atomic_block:
            corpus = DemoCorpus.take()
            self.copies.append(corpus)
        if corpus is not None:
            try:
                corpus.insert()
                return
            except IntegrityError:  # a row made by the test before it asked for the demo (its atomic rolled back)
                pass
        self.loader_runs += 1
        load_demo()
