"""An index of documents by keyword, for tag pages.

Without one a tag page reads every document's keyword list: measured at 100,000
documents, 130–340 ms on SQLite (``json_each`` per row) and 40–70 ms on PostgreSQL.

- PostgreSQL: a GIN index (``jsonb_path_ops``) answers ``keywords @> '["词"]'``.
  It is built without CONCURRENTLY, so it holds writes to the documents table
  while it builds (seconds at 100,000 documents).
- SQLite: a table of (word, document) pairs kept by triggers; see
  wenku.discovery.keyword_index, which also repairs them after table rebuilds.
"""

from django.db import migrations

from wenku.discovery import keyword_index

PG_INDEX = "discovery_document_keywords"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            keyword_index.install(cursor)
        elif schema_editor.connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE INDEX {PG_INDEX} ON documents_document USING gin (keywords jsonb_path_ops)"
            )


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "sqlite":
            keyword_index.uninstall(cursor)
        elif schema_editor.connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0004_fts_related"),
        ("documents", "0003_document_category"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
