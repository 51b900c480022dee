"""Search on both runtimes: SQLite's FTS5 index over the search documents, and the vocabulary.

On SQLite, ``cases_search_fts`` is an FTS5 table whose content is the search
document table itself (external content), kept in step by triggers on that
table, so whatever writes the documents (``search_documents_write``) updates
the index in the same transaction. Porter stemming, every word, phrases.
On PostgreSQL this is a no-op: the ``tsvector`` column does that job.

On PostgreSQL, ``pg_trgm`` is created when the server offers it (and the
migrating role may), with a trigram index on the vocabulary. On SQLite, or
without it, suggestions are computed in Python (``cases.search_index``).
"""

import re

from django.db import migrations, models

FTS = "cases_search_fts"
DOCS = "cases_casesearchdocument"
COLUMNS = "title, summary, analysis, sources"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
    f"{COLUMNS}, content='{DOCS}', content_rowid='case_id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON {DOCS} BEGIN "
    f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.case_id, new.title, new.summary, new.analysis, new.sources); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON {DOCS} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.case_id, old.title, old.summary, old.analysis, old.sources); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE ON {DOCS} BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) "
    f"VALUES ('delete', old.case_id, old.title, old.summary, old.analysis, old.sources); "
    f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.case_id, new.title, new.summary, new.analysis, new.sources); END",
    # Documents written before this migration.
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {FTS}_{t}" for t in ("ai", "ad", "au")] + [f"DROP TABLE IF EXISTS {FTS}"]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return  # not installed, or not ours to create: suggestions fall back to Python
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS cases_searchterm_word_trgm ON cases_searchterm USING gin (word gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cases_searchterm_word_trgm")


# Frozen copy of cases.search_index.words_of as it stood when this migration was written.
WORD = re.compile(r"[^\W_]+")  # letters and digits, as FTS5's unicode61 tokenizer splits
MIN_WORD, MAX_WORD = 3, 64


def words_of(*texts):
    """The words of these texts that go into the vocabulary (lower case, 3 to 64 characters, not numbers)."""
    return {
        word
        for text in texts
        if text
        for word in [found.lower() for found in WORD.findall(text)]
        if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit()
    }


def vocabulary(apps, schema_editor):
    """The words of the documents already written."""
    SearchTerm = apps.get_model("cases", "SearchTerm")
    CaseSearchDocument = apps.get_model("cases", "CaseSearchDocument")
    words: set[str] = set()
    for row in CaseSearchDocument.objects.values_list("title", "summary", "analysis", "sources").iterator():
        words.update(words_of(*row))
    SearchTerm.objects.bulk_create([SearchTerm(word=w) for w in sorted(words)], ignore_conflicts=True, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_case_search_document")]

    operations = [
        migrations.CreateModel(
            name="SearchTerm",
            fields=[("word", models.CharField(max_length=64, primary_key=True, serialize=False))],
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(vocabulary, migrations.RunPython.noop),
    ]
