"""An index of documents by keyword, for tag pages.

Without one a tag page reads every document's keyword list: measured at 100,000
documents, 130–340 ms on SQLite (``json_each`` per row) and 40–70 ms on PostgreSQL.

- PostgreSQL: a GIN index (``jsonb_path_ops``) answers ``keywords @> '["词"]'``.
- SQLite has no index into JSON arrays, so triggers keep a table of (word,
  document) pairs in step with ``documents_document.keywords`` on every write,
  whatever path it takes (the ORM, ``bulk_create``, ``update()``, the admin).
"""

from django.db import migrations

SQLITE_CREATE = [
    "CREATE TABLE discovery_keyword ("
    "word text NOT NULL, document_id integer NOT NULL, PRIMARY KEY (word, document_id)"
    ") WITHOUT ROWID",
    "CREATE INDEX discovery_keyword_document ON discovery_keyword (document_id)",
    "INSERT OR IGNORE INTO discovery_keyword (word, document_id) "
    "SELECT value, documents_document.id FROM documents_document, "
    "json_each(documents_document.keywords) WHERE json_each.type = 'text'",
    "CREATE TRIGGER discovery_keyword_insert AFTER INSERT ON documents_document BEGIN "
    "INSERT OR IGNORE INTO discovery_keyword (word, document_id) "
    "SELECT value, NEW.id FROM json_each(NEW.keywords) WHERE type = 'text'; END",
    "CREATE TRIGGER discovery_keyword_update AFTER UPDATE OF keywords ON documents_document "
    "BEGIN DELETE FROM discovery_keyword WHERE document_id = OLD.id; "
    "INSERT OR IGNORE INTO discovery_keyword (word, document_id) "
    "SELECT value, NEW.id FROM json_each(NEW.keywords) WHERE type = 'text'; END",
    "CREATE TRIGGER discovery_keyword_delete AFTER DELETE ON documents_document BEGIN "
    "DELETE FROM discovery_keyword WHERE document_id = OLD.id; END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS discovery_keyword_insert",
    "DROP TRIGGER IF EXISTS discovery_keyword_update",
    "DROP TRIGGER IF EXISTS discovery_keyword_delete",
    "DROP TABLE IF EXISTS discovery_keyword",
]
PG_CREATE = [
    "CREATE INDEX discovery_document_keywords ON documents_document "
    "USING gin (keywords jsonb_path_ops)"
]
PG_DROP = ["DROP INDEX IF EXISTS discovery_document_keywords"]


def _by_vendor(sqlite: list[str], postgresql: list[str]):
    def run(apps, schema_editor):
        statements = {"sqlite": sqlite, "postgresql": postgresql}
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0004_fts_related"),
        ("documents", "0003_document_category"),
    ]

    operations = [
        migrations.RunPython(
            _by_vendor(SQLITE_CREATE, PG_CREATE), _by_vendor(SQLITE_DROP, PG_DROP)
        ),
    ]
