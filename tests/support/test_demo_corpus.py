"""The ``demo`` fixture's copy of the demo corpus is what the loader writes, row for row."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction

from cases.models import Case, Organization, Source
from evaluations.demo import DESK_USERNAME, load_demo
from evaluations.models import EvaluationVersion, RiskSummary, Score
from tests.support.accounts import user_make
from tests.support.demo_corpus import DemoCorpora, _models, _rows

pytestmark = pytest.mark.django_db


def _clock_columns(model: type[models.Model]) -> set[str]:
    return {f.column for f in model._meta.local_concrete_fields if isinstance(f, models.DateTimeField)}


def _database() -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows with ids replaced by their rank (links too), clock times and hashes by a mark."""
    tables = {model: _rows(model) for model in _models()}
    ranks = {model: {pk: rank for rank, pk in enumerate(sorted(rows))} for model, rows in tables.items()}
    result = {}
    for model, rows in tables.items():
        fields = [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]
        clocks = _clock_columns(model)
        canonical = []
        for pk in sorted(rows):
            values = []
            for f, value in zip(fields, rows[pk], strict=True):
                if f.primary_key and not f.is_relation:
                    value = ranks[model][pk]
                elif f.is_relation and value is not None and f.target_field.primary_key:
                    value = ranks[f.related_model].get(value, ("outside", value))
                elif f.column in clocks and value is not None:
                    value = "<time>"
                elif f.column.endswith("_hash"):
                    value = "<hash>"  # of inputs that include ids (test_demo.py: a second load finds no work)
                elif (model._meta.db_table, f.column) == ("auth_user", "password"):
                    value = value[:1]  # the desk account's unusable password is random ("!" and noise)
                elif (model._meta.db_table, f.column) == ("evaluations_evaluationversion", "facts"):
                    value = _facts_ranked(value, ranks[Source])
                values.append(value)
            canonical.append(tuple(values))
        result[model._meta.db_table] = canonical
    return result


def _facts_ranked(value: Any, source_ranks: dict[Any, int]) -> Any:
    """A version's facts (JSON) with the ids of its sources replaced by their rank, as for a link."""
    facts = json.loads(value) if isinstance(value, str) else value
    for source in (facts or {}).get("sources", []):
        if "id" in source:
            source["id"] = source_ranks.get(source["id"], ("outside", source["id"]))
    return facts


def _in_savepoint(fill) -> dict[str, list[tuple[Any, ...]]]:
    with transaction.atomic():
        fill()
        state = _database()
        transaction.set_rollback(True)
    return state


def test_the_copy_is_what_the_loader_writes(demo_corpora: DemoCorpora):
    runs = demo_corpora.loader_runs
    restored = _in_savepoint(demo_corpora.restore)
    assert demo_corpora.loader_runs == runs  # the copy was used
    loaded = _in_savepoint(load_demo)
    assert restored.keys() == loaded.keys()
    for table in loaded:
        assert restored[table] == loaded[table], table
    assert len(loaded["cases_case"]) == 16 and loaded["evaluations_score"]


def test_the_copy_goes_in_beside_users_made_first(demo_corpora: DemoCorpora):
    runs = demo_corpora.loader_runs
    editor = user_make("editor", "Editors")
    demo_corpora.restore()
    assert demo_corpora.loader_runs == runs
    editor.refresh_from_db()
    assert Case.objects.published().count() == 16
    assert RiskSummary.objects.filter(stale=False).count() == 16
    # Ids made afterwards continue past the copy's.
    copied = set(Organization.objects.values_list("pk", flat=True))
    made = Organization.objects.create(name="Made after", slug="made-after", kind="model_lab")
    assert made.pk > max(copied)
    assert user_make("reviewer", "Reviewers").pk > get_user_model().objects.get(username=DESK_USERNAME).pk


def test_a_database_the_loader_would_treat_otherwise_gets_the_loader(demo_corpora: DemoCorpora):
    """A test that made an organization the loader would reuse gets the loader's own run."""
    runs = demo_corpora.loader_runs
    Organization.objects.create(name="Anthropic", slug="anthropic", kind="model_lab", description="Made first.")
    demo_corpora.restore()
    assert demo_corpora.loader_runs == runs + 1
    assert Organization.objects.get(name="Anthropic").description == "Made first."
    assert Case.objects.published().count() == 16
    assert EvaluationVersion.objects.filter(state=EvaluationVersion.State.PUBLISHED).count() == 16


def test_the_copy_keeps_the_records_frozen(demo):
    """Restored published analyses are as frozen as loaded ones: the triggers stood aside only for the copy."""
    score = Score.objects.filter(version__state=EvaluationVersion.State.PUBLISHED).first()
    with pytest.raises(Exception, match="cannot change"), transaction.atomic():
        Score.objects.filter(pk=score.pk).update(value=score.value)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM evaluations_frozen_unlock")
        assert cursor.fetchone()[0] == 0
    assert Case.objects.get(slug="xai-anthropic-colossus-1").search_document.title
    assert get_user_model().objects.filter(username=DESK_USERNAME).count() == 1
