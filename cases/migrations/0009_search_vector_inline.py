"""Keep each search document's vector in its row (PostgreSQL): ``STORAGE MAIN``.

A vector averages about 2 kB and does not compress, so PostgreSQL's default
stored most of them out of line, in the TOAST table: every match test, rank and
count then fetched each document's vector through the TOAST index, several
times a query. In the row, a ranked search at 100,000 cases reads a third to a
half as much (bench/RESULTS.md). The longer text columns stay out of line, so
the rows still fit their pages; a vector too large for a row is still moved out.

The existing vectors are rewritten so that they move into their rows: the
storage setting applies to values written after it, and an UPDATE that keeps a
value keeps it where it is; ``|| ''::tsvector`` makes a new, identical value.
"""

from django.db import migrations


def vectors_inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_casesearchdocument ALTER COLUMN vector SET STORAGE MAIN")
        schema_editor.execute(
            "UPDATE cases_casesearchdocument SET vector = vector || ''::tsvector WHERE vector IS NOT NULL"
        )


def vectors_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cases_casesearchdocument ALTER COLUMN vector SET STORAGE EXTENDED")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_graph_stamp_indexes")]

    operations = [migrations.RunPython(vectors_inline, vectors_default)]
