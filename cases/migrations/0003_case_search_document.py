import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def gin_index_on_postgres(apps, schema_editor):
    # The GIN index only exists where the vector is used: SQLite searches text.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS case_search_document_vector ON cases_casesearchdocument USING gin (vector)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_search_document_vector")


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_deal_types")]

    operations = [
        migrations.CreateModel(
            name="CaseSearchDocument",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_document",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                ("title", models.TextField()),
                ("summary", models.TextField(blank=True)),
                (
                    "analysis",
                    models.TextField(blank=True, help_text="The published analysis as plain text, with its verdict."),
                ),
                ("sources", models.TextField(blank=True)),
                ("vector", django.contrib.postgres.search.SearchVectorField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(gin_index_on_postgres, drop_gin_index),
    ]
