"""SQLite FTS5 over pre-segmented text: the embedded default.

The virtual table ``discovery_fts`` (created by migration 0001 on SQLite only)
holds the stored text of search.text in three columns, rowid = document id.
Its ``unicode61`` tokenizer only splits that text on the spaces and punctuation
already there — never the ``trigram`` tokenizer, which cannot match the
two-character words most Chinese queries are made of.
"""

from __future__ import annotations

from django.db import connection, transaction

from wenku.discovery.search import filters_sql
from wenku.discovery.search.base import (
    DOWNLOADS_ORDER,
    Found,
    IndexEntry,
    Query,
    RawHit,
    SearchFilters,
    Sort,
    SqlTableBackend,
    less_hidden,
)
from wenku.discovery.search.text import Term

TABLE = "discovery_fts"
# bm25 weights for (title, body, keywords): a title word counts as five body words;
# keywords repeat title and body words, so for search they must not count again.
SEARCH_WEIGHTS = "5.0, 1.0, 0.0"
# Related documents compare a document's keywords with others' titles and keywords.
RELATED_WEIGHTS = "2.0, 0.0, 1.0"

_ORDER = {
    Sort.RELEVANCE: "score, discovery_fts.rowid",
    Sort.NEWEST: "d.published_at DESC, d.id DESC",
    Sort.DOWNLOADS: DOWNLOADS_ORDER,
}


def match_expression(terms: list[Term], match_all: bool, columns: str = "title body") -> str:
    """An FTS5 query where every user word is a quoted string: no syntax reaches MATCH."""
    quoted = ['"' + " ".join(term.pieces).replace('"', '""') + '"' for term in terms]
    joiner = " AND " if match_all else " OR "
    return f"{{{columns}}} : ({joiner.join(quoted)})"


class Fts5Backend(SqlTableBackend):
    table = TABLE
    key_column = "rowid"

    def write(self, entries: list[IndexEntry]) -> None:
        if not entries:
            return
        # One transaction per batch: FTS5 flushes a new index segment at every commit.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {TABLE} WHERE rowid = %s", [(e.document_id,) for e in entries]
            )
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, keywords) VALUES (%s, %s, %s, %s)",
                [(e.document_id, e.title, e.body, e.keywords) for e in entries],
            )

    def after_rebuild(self, cursor) -> None:
        # Merge the many small segments bulk loading leaves: fewer b-trees per query.
        cursor.execute(f"INSERT INTO {TABLE}({TABLE}) VALUES ('optimize')")

    def run(self, query: Query) -> Found:
        match = match_expression(query.terms, query.match_all)
        if query.sort == Sort.RELEVANCE and query.filters == SearchFilters():
            ranked, total = self._run_unfiltered(match, query)
        else:
            ranked, total = self._run_joined(match, query)
        if not ranked:
            return Found([], total)
        # Stored text only for the page shown, not for every match while sorting.
        ids = [row[0] for row in ranked]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, title, body FROM {TABLE} WHERE rowid IN "
                f"({', '.join(['%s'] * len(ids))})",
                ids,
            )
            stored = {row[0]: row[1:] for row in cursor.fetchall()}
        hits = [
            RawHit(document_id, -score, *stored[document_id])
            for document_id, score in ranked
            if document_id in stored
        ]
        return Found(hits, total)

    def _run_joined(self, match: str, query: Query) -> tuple[list, int]:
        """Filters and sorts that read the document row: joined to every match."""
        where, params = filters_sql.where(query.filters)
        source = (
            f"FROM {TABLE} JOIN documents_document AS d ON d.id = {TABLE}.rowid "
            f"WHERE {TABLE} MATCH %s AND {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {TABLE}.rowid, bm25({TABLE}, {SEARCH_WEIGHTS}) AS score {source} "
                f"ORDER BY {_ORDER[query.sort]} LIMIT %s OFFSET %s",
                [match, *params, query.limit, query.offset],
            )
            ranked = cursor.fetchall()
            if query.offset == 0 and len(ranked) < query.limit:
                return ranked, len(ranked)  # the whole result is on this page
            return ranked, self.capped_count(cursor, source, [match, *params])

    def _run_unfiltered(self, match: str, query: Query) -> tuple[list, int]:
        """Plain relevance, the common case: the index alone ranks and counts, and only
        the page shown is checked against the documents (the index holds published
        documents only, but one may have been taken down since)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, bm25({TABLE}, {SEARCH_WEIGHTS}) AS score FROM {TABLE} "
                f"WHERE {TABLE} MATCH %s ORDER BY score, rowid LIMIT %s OFFSET %s",
                [match, query.limit, query.offset],
            )
            found = cursor.fetchall()
            if query.offset == 0 and len(found) < query.limit:
                total = len(found)
            else:
                total = self.capped_count(cursor, f"FROM {TABLE} WHERE {TABLE} MATCH %s", [match])
        ranked, hidden = filters_sql.keep_visible(found, query.filters)
        return ranked, less_hidden(total, hidden)

    def related_ids(self, document_id: int, terms: list[Term], limit: int) -> list[int]:
        if not terms:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s AND rowid != %s "
                f"ORDER BY bm25({TABLE}, {RELATED_WEIGHTS}) LIMIT %s",
                [match_expression(terms, False, "title keywords"), document_id, limit],
            )
            return [row[0] for row in cursor.fetchall()]
