"""Independent double scoring: the scorers' raw scores and the settled differences, frozen with their version.

Each of the three tables reaches its version through version_id, so the triggers are 0006's
rule for scores (PostgreSQL reuses its function ``evaluations_version_part_frozen``), and they
stand aside inside ``evaluations.dbtriggers.frozen_writes_allowed`` as 0006's do.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


UNLOCK_TABLE = "evaluations_frozen_unlock"  # frozen copy of evaluations.dbtriggers.UNLOCK_TABLE
FROZEN = "('published', 'superseded')"
TABLES = ("evaluations_doublescoring", "evaluations_rawscore", "evaluations_reconciliation")


# Frozen copy (a migration keeps doing what it did when the app's code changes).
def run_vendor_sql(statements_by_vendor):
    """A RunPython function executing the statements written for the connection's vendor."""

    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(statement, params=None)

    return run


POSTGRES = [
    f"CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE OR DELETE ON {table}"
    " FOR EACH ROW EXECUTE FUNCTION evaluations_version_part_frozen();"
    for table in TABLES
]
POSTGRES_DROP = [f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};" for table in TABLES]

LOCKED = f"NOT EXISTS (SELECT 1 FROM {UNLOCK_TABLE})"
MESSAGE = "the double scoring of a published or superseded evaluation version cannot change"


def _state(row):
    return f"(SELECT state FROM evaluations_evaluationversion WHERE id = {row}.version_id)"


def _trigger(table, event, when):
    return (
        f"CREATE TRIGGER {table}_frozen_{event.lower()} BEFORE {event} ON {table}"
        f" WHEN {LOCKED} AND ({when})\nBEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
    )


SQLITE = [
    statement
    for table in TABLES
    for statement in (
        _trigger(table, "INSERT", f"{_state('NEW')} IN {FROZEN}"),
        _trigger(table, "UPDATE", f"{_state('NEW')} IN {FROZEN} OR {_state('OLD')} IN {FROZEN}"),
        _trigger(table, "DELETE", f"{_state('OLD')} IN {FROZEN}"),
    )
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_frozen_{event}" for table in TABLES for event in ("insert", "update", "delete")
]


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_relationships_aliases"),
        ("evaluations", "0019_crosswalk_rubric_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Reconciliation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("first_value", models.SmallIntegerField()),
                ("second_value", models.SmallIntegerField()),
                (
                    "value",
                    models.SmallIntegerField(
                        blank=True, help_text="The settled score; empty until settled.", null=True
                    ),
                ),
                ("note", models.TextField(blank=True, help_text="Why this value.")),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "criterion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="evaluations.criterion"
                    ),
                ),
                (
                    "party",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="cases.party",
                    ),
                ),
                (
                    "settled_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reconciliations",
                        to="evaluations.evaluationversion",
                    ),
                ),
            ],
            options={
                "ordering": ["version", "criterion__position", "party__position", "id"],
            },
        ),
        migrations.CreateModel(
            name="DoubleScoring",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("first_submitted_at", models.DateTimeField(blank=True, null=True)),
                ("second_submitted_at", models.DateTimeField(blank=True, null=True)),
                ("requested_at", models.DateTimeField()),
                ("settled_at", models.DateTimeField(blank=True, null=True)),
                (
                    "first_scorer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "second_scorer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "version",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="double_scoring",
                        to="evaluations.evaluationversion",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("first_scorer", models.F("second_scorer")), _negated=True),
                        name="double_scoring_two_scorers",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RawScore",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.SmallIntegerField()),
                (
                    "criterion",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="evaluations.criterion"
                    ),
                ),
                (
                    "party",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="cases.party",
                    ),
                ),
                (
                    "scorer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "version",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="raw_scores",
                        to="evaluations.evaluationversion",
                    ),
                ),
            ],
            options={
                "ordering": ["version", "criterion__position", "party__position", "scorer_id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("party__isnull", False)),
                        fields=("version", "scorer", "criterion", "party"),
                        name="raw_score_unique_per_party",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("party__isnull", True)),
                        fields=("version", "scorer", "criterion"),
                        name="raw_score_unique_per_deal",
                    ),
                ],
            },
        ),
        migrations.RunPython(
            run_vendor_sql({"postgresql": POSTGRES, "sqlite": SQLITE}),
            run_vendor_sql({"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}),
        ),
    ]
