"""Normalize the text stored before the rule: LF line endings, no spaces or tabs at line ends, NFC.

The rule (core.text.text_normalize) runs on every write path now; this brings
what was written before it into line, so that comparing an old version with a
new one shows only real changes. Published versions, their scores and their
annotations are frozen by triggers (migration 0006): this migration uses
their one escape hatch, a row in the unlock table that only this transaction
sees, removed again before it commits (the same mechanism as backup_import).
The audit log is left as it was written: it is the record of what happened.

Self-contained: a frozen copy of the rule and of the unlock table's name.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import migrations, models

UNLOCK_TABLE = "evaluations_frozen_unlock"  # frozen copy of evaluations.dbtriggers.UNLOCK_TABLE
_NEWLINES = re.compile(r"\r\n?")
_TRAILING = re.compile(r"[ \t]+\n")

# (app, model): every text and character field without choices or uniqueness is normalized.
MODELS = [
    ("evaluations", "EvaluationVersion"),
    ("evaluations", "Score"),
    ("evaluations", "Annotation"),
    ("evaluations", "RubricVersion"),
    ("evaluations", "Criterion"),
    ("cases", "Organization"),
    ("cases", "Case"),
    ("cases", "Party"),
    ("cases", "Source"),
    ("cases", "TimelineEvent"),
]


def _normalize(value: str) -> str:
    return unicodedata.normalize("NFC", _TRAILING.sub("\n", _NEWLINES.sub("\n", value)))


def _normalize_json(value):
    """Every string inside a JSON value (a version's facts) normalized."""
    if isinstance(value, str):
        return _normalize(value)
    if isinstance(value, list):
        return [_normalize_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalize_json(item) for key, item in value.items()}
    return value


# JSON fields holding text written through the rule (the facts a version publishes, copied from the case).
JSON_FIELDS = {("evaluations", "EvaluationVersion"): ["facts"]}


def _text_fields(model) -> list[str]:
    return [
        field.attname
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and not field.unique
        and not isinstance(field, models.SlugField | models.URLField | models.EmailField)
    ]


def normalize_stored_text(apps, schema_editor) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {UNLOCK_TABLE} (reason) VALUES (%s)", ["normalize stored text"])  # noqa: S608
    for app_label, model_name in MODELS:
        model = apps.get_model(app_label, model_name)
        names = _text_fields(model)
        json_names = JSON_FIELDS.get((app_label, model_name), [])
        if not names and not json_names:
            continue
        manager = model._base_manager.using(connection.alias)
        updates = []  # gathered first: no writes to a table while reading it through a cursor
        for pk, *values in manager.values_list("pk", *names, *json_names).iterator(chunk_size=2000):
            changed = {
                name: _normalize(value)
                for name, value in zip(names, values[: len(names)], strict=True)
                if isinstance(value, str) and _normalize(value) != value
            }
            changed.update(
                (name, _normalize_json(value))
                for name, value in zip(json_names, values[len(names) :], strict=True)
                if _normalize_json(value) != value
            )
            if changed:
                updates.append((pk, changed))
        for pk, changed in updates:
            manager.filter(pk=pk).update(**changed)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {UNLOCK_TABLE}")  # noqa: S608


class Migration(migrations.Migration):
    atomic = True  # the unlock row lives and dies inside this transaction

    dependencies = [
        ("evaluations", "0009_review_revisions"),
        ("cases", "0006_relationships_aliases"),
    ]

    operations = [migrations.RunPython(normalize_stored_text, migrations.RunPython.noop, elidable=False)]
