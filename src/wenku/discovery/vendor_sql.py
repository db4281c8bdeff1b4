"""Raw SQL that exists on one database only: the search index tables are each
engine's own (FTS5 on SQLite, tsvector and GIN on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable


def on_vendor(vendor: str, statements: list[str]) -> Callable:
    """A RunPython function executing ``statements`` on a ``vendor`` database only."""

    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != vendor:
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run
