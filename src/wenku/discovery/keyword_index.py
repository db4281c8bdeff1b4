"""The SQLite table of (keyword, document) pairs behind tag pages, kept by triggers.

SQLite has no index into JSON arrays, so triggers keep ``discovery_keyword`` in
step with ``documents_document.keywords`` on every write, whatever path it takes
(the ORM, ``bulk_create``, ``update()``, the admin). Django's SQLite schema editor
rebuilds a table for most field changes (create a copy, drop the old one, rename),
and dropping a table drops its triggers: ``repair``, run after every ``migrate``,
puts back what is missing and refills the table. PostgreSQL needs none of this: a
GIN index answers ``keywords @> '["词"]'`` (migration 0005).
"""

from __future__ import annotations

TABLE = "discovery_keyword"
_INSERT = f"INSERT OR IGNORE INTO {TABLE} (word, document_id) "
# Strings only: a list holding something else is not a keyword list to tag.
_NEW_PAIRS = "SELECT value, NEW.id FROM json_each(NEW.keywords) WHERE type = 'text'"
_ALL_PAIRS = (
    "SELECT json_each.value, d.id FROM documents_document AS d, json_each(d.keywords) "
    "WHERE json_each.type = 'text'"
)
TRIGGERS = {
    "discovery_keyword_insert": f"AFTER INSERT ON documents_document BEGIN "
    f"{_INSERT}{_NEW_PAIRS}; END",
    "discovery_keyword_update": f"AFTER UPDATE OF keywords ON documents_document BEGIN "
    f"DELETE FROM {TABLE} WHERE document_id = OLD.id; {_INSERT}{_NEW_PAIRS}; END",
    "discovery_keyword_delete": f"AFTER DELETE ON documents_document BEGIN "
    f"DELETE FROM {TABLE} WHERE document_id = OLD.id; END",
}


def install(cursor) -> None:
    cursor.execute(
        f"CREATE TABLE {TABLE} (word text NOT NULL, document_id integer NOT NULL, "
        "PRIMARY KEY (word, document_id)) WITHOUT ROWID"
    )
    cursor.execute(f"CREATE INDEX {TABLE}_document ON {TABLE} (document_id)")
    _fill_and_trigger(cursor, TRIGGERS)


def uninstall(cursor) -> None:
    for name in TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def repair(connection) -> list[str]:
    """Re-create the triggers a table rebuild dropped and refill the table (writes
    made in between went unrecorded); returns the names of those put back."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {row[0] for row in cursor.fetchall()}
        if TABLE not in present:  # not migrated this far
            return []
        missing = {name: body for name, body in TRIGGERS.items() if name not in present}
        if missing:
            cursor.execute(f"DELETE FROM {TABLE}")
            _fill_and_trigger(cursor, missing)
        return sorted(missing)


def _fill_and_trigger(cursor, triggers: dict[str, str]) -> None:
    cursor.execute(_INSERT + _ALL_PAIRS)
    for name, body in triggers.items():
        cursor.execute(f"CREATE TRIGGER {name} {body}")
