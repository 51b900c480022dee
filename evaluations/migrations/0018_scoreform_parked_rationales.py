"""Parked rationales: ``EvaluationVersion.parked_rationales``, a draft's rationales written before
their score is decided. Added with plain SQL, as 0008 adds ``facts``: SQLite would rebuild the table,
which the score and annotation triggers that read it refuse. The column keeps its default ([]), so
bulk writers that name their columns need not know it.
"""

from django.db import migrations, models

ADD_COLUMN = {
    "postgresql": [
        "ALTER TABLE evaluations_evaluationversion ADD COLUMN parked_rationales jsonb NOT NULL DEFAULT '[]'::jsonb",
    ],
    "sqlite": [
        "ALTER TABLE evaluations_evaluationversion ADD COLUMN \"parked_rationales\" text NOT NULL DEFAULT '[]'"
        " CHECK ((JSON_VALID(\"parked_rationales\") OR \"parked_rationales\" IS NULL))",
    ],
}
DROP_COLUMN = {
    "postgresql": ["ALTER TABLE evaluations_evaluationversion DROP COLUMN parked_rationales"],
    "sqlite": ["ALTER TABLE evaluations_evaluationversion DROP COLUMN \"parked_rationales\""],
}


def run_vendor_sql(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0017_notify_assign_kind")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="evaluationversion",
                    name="parked_rationales",
                    field=models.JSONField(blank=True, default=list),
                )
            ],
            database_operations=[migrations.RunPython(run_vendor_sql(ADD_COLUMN), run_vendor_sql(DROP_COLUMN))],
        ),
    ]
