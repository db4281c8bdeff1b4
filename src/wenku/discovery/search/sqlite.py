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
    COUNT_LIMIT,
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
# Titles and keywords again, for related documents (migration 0004 says why).
RELATED_TABLE = "discovery_fts_related"
# bm25 weights for (title, body, keywords): a title word counts as five body words;
# keywords repeat title and body words, so for search they must not count again.
SEARCH_WEIGHTS = "5.0, 1.0, 0.0"
# Related documents compare a document's keywords with others' titles and keywords.
RELATED_WEIGHTS = "2.0, 1.0"
# A query matching COUNT_LIMIT documents or more ranks a bounded candidate set,
# as the PostgreSQL backend does (see Fts5Backend._rank).
RANK_CANDIDATES = 1000
BODY_CANDIDATES = 300

_ORDER = {
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
            for table in (TABLE, RELATED_TABLE):
                cursor.executemany(
                    f"DELETE FROM {table} WHERE rowid = %s", [(e.document_id,) for e in entries]
                )
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, keywords) VALUES (%s, %s, %s, %s)",
                [(e.document_id, e.title, e.body, e.keywords) for e in entries],
            )
            cursor.executemany(
                f"INSERT INTO {RELATED_TABLE} (rowid, title, keywords) VALUES (%s, %s, %s)",
                [(e.document_id, e.title, e.keywords) for e in entries],
            )

    def remove_document(self, document_id: int) -> None:
        with transaction.atomic():
            super().remove_document(document_id)
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {RELATED_TABLE} WHERE rowid = %s", [document_id])

    def clear(self) -> None:
        with transaction.atomic():
            super().clear()
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {RELATED_TABLE}")

    def after_rebuild(self, cursor) -> None:
        # Merge the many small segments bulk loading leaves: fewer b-trees per query.
        for table in (TABLE, RELATED_TABLE):
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")

    def run(self, query: Query) -> Found:
        match = match_expression(query.terms, query.match_all)
        in_title = match_expression(query.terms, query.match_all, "title")
        with connection.cursor() as cursor:
            if query.sort == Sort.RELEVANCE and query.filters == SearchFilters():
                ranked, total, pageable = self._run_unfiltered(cursor, match, in_title, query)
            else:
                ranked, total, pageable = self._run_joined(cursor, match, in_title, query)
            if not ranked:
                return Found([], total, pageable)
            # Stored text only for the page shown, not for every match while sorting.
            ids = [row[0] for row in ranked]
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
        return Found(hits, total, pageable)

    def _run_unfiltered(self, cursor, match: str, in_title: str, query: Query):
        """Plain relevance, the common case: the index alone ranks and counts, and only
        the page shown is checked against the documents (the index holds published
        documents only, but one may have been taken down since)."""
        source = f"FROM {TABLE} WHERE {TABLE} MATCH %s"
        total = self.capped_count(cursor, source, [match])
        ranked, pageable = self._rank(cursor, source, [], match, in_title, total, query)
        ranked, hidden = filters_sql.keep_visible(ranked, query.filters)
        return ranked, less_hidden(total, hidden), pageable

    def _run_joined(self, cursor, match: str, in_title: str, query: Query):
        """Filters and sorts that read the document row: joined to every match."""
        where, params = filters_sql.where(query.filters)
        source = (
            f"FROM {TABLE} JOIN documents_document AS d ON d.id = {TABLE}.rowid "
            f"WHERE {TABLE} MATCH %s AND {where}"
        )
        total = self.capped_count(cursor, source, [match, *params])
        if query.sort != Sort.RELEVANCE:  # no scores to compute
            cursor.execute(
                f"SELECT {TABLE}.rowid, 0.0 {source} ORDER BY {_ORDER[query.sort]} "
                "LIMIT %s OFFSET %s",
                [match, *params, query.limit, query.offset],
            )
            return cursor.fetchall(), total, None
        ranked, pageable = self._rank(cursor, source, params, match, in_title, total, query)
        return ranked, total, pageable

    def _rank(
        self, cursor, source: str, params: list, match: str, in_title: str, total: int, query: Query
    ) -> tuple[list, int | None]:
        """One page of (id, bm25) best first, and how many can be paged through when
        that is fewer than the total.

        ``source`` is a FROM … WHERE clause whose first placeholder is the MATCH and
        ``params`` the rest. bm25 reads every match's column sizes, ~0.4 ms per
        thousand, and SQLite cannot stop early: a word in most documents would take
        tens of milliseconds. So a query with COUNT_LIMIT matches or more ranks, as
        the PostgreSQL backend does, a bounded set: the newest RANK_CANDIDATES
        documents with the words in their title, ranked among themselves by their
        title hits alone, then the newest BODY_CANDIDATES others ("newest": the
        highest rowid, i.e. document id, the most recently uploaded). Each list is a
        rowid range of its matches, which FTS5 seeks to; rarer queries rank every
        match. (Counting body hits in the title list too, by matching "(words) AND
        ({title}: words)", scans the word's whole doclist twice: 2 → 20 ms for the
        commonest words at 100,000 documents, and growing with the site.)
        """
        if total < COUNT_LIMIT:
            everything = [match, *params]
            return self._rank_range(cursor, source, everything, query.limit, query.offset), None
        lists = ((in_title, RANK_CANDIDATES), (f"({match}) NOT ({in_title})", BODY_CANDIDATES))
        ranked, pageable, offset = [], 0, query.offset
        for words, size in lists:
            args = [words, *params]
            cursor.execute(
                f"SELECT {TABLE}.rowid {source} ORDER BY {TABLE}.rowid DESC LIMIT 1 OFFSET %s",
                [*args, size - 1],
            )
            oldest = cursor.fetchone()
            if oldest:  # `size` of them or more: the newest `size`
                ranged, args, found = f"{source} AND {TABLE}.rowid >= %s", [*args, oldest[0]], size
            else:
                ranged, found = source, self.capped_count(cursor, source, args)
            wanted = query.limit - len(ranked)
            if wanted and offset < found:
                ranked += self._rank_range(cursor, ranged, args, wanted, offset)
            offset = max(0, offset - found)
            pageable += found
        return ranked, pageable

    @staticmethod
    def _rank_range(cursor, source: str, params: list, limit: int, offset: int) -> list:
        cursor.execute(
            f"SELECT {TABLE}.rowid, bm25({TABLE}, {SEARCH_WEIGHTS}) AS score {source} "
            f"ORDER BY score, {TABLE}.rowid LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return cursor.fetchall()

    def related_ids(self, document_id: int, terms: list[Term], limit: int) -> list[int]:
        if not terms:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid FROM {RELATED_TABLE} WHERE {RELATED_TABLE} MATCH %s "
                f"AND rowid != %s ORDER BY bm25({RELATED_TABLE}, {RELATED_WEIGHTS}) LIMIT %s",
                [match_expression(terms, False, "title keywords"), document_id, limit],
            )
            return [row[0] for row in cursor.fetchall()]
