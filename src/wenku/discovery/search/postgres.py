"""PostgreSQL full-text search over the same segmented text, with GIN indexes.

The table ``discovery_pg_search`` (created by migration 0001 on PostgreSQL only)
keeps the stored text of search.text for snippets and three tsvectors:
``title_vector`` (A), ``search_vector`` (title A, body B) and ``related_vector``
(title A, keywords B), each with a GIN index.

The tsvectors are written as literals built from search.text's terms instead of
``to_tsvector('simple', …)``: PostgreSQL's parser decides what a letter is from
the database's LC_CTYPE, and under the common ``C`` locale it drops every Chinese
character. The literal gives exactly the terms SQLite's tokenizer sees, lower-cased
and unstemmed like the ``simple`` configuration, whatever the locale.

The table also keeps copies of each document's filter and sort fields (format,
category, price, pages, publication time; migration 0006), written from the
document row in the entry's own statement, so filters and sorts read this table
alone instead of joining every match to its document (130 ms at p99 for a common
word sorted newest first at 100,000 documents). The page found is then checked
against the documents table, as a document may have changed since.

Ranking reads every candidate's tsvector from TOAST, a few microseconds each: a
word found in 30,000 documents would take 150 ms. So relevance ranks a bounded
candidate set — every document with the words in its title (up to
RANK_CANDIDATES) plus the first BODY_CANDIDATES with them anywhere. Rare words
are ranked exactly; for very common ones title matches still come first. Measured
in bench/search.py.
"""

from __future__ import annotations

from django.db import OperationalError, connection, transaction

from wenku.discovery.plans import prefer_indexes
from wenku.discovery.search import filters_sql
from wenku.discovery.search.base import (
    COUNT_LIMIT,
    Found,
    IndexEntry,
    Query,
    RawHit,
    Sort,
    SqlTableBackend,
    downloads_order,
    less_hidden,
)
from wenku.discovery.search.text import Term, stored_terms

TABLE = "discovery_pg_search"
# ts_rank weights for {D, C, B, A}: a title word (A) counts as five body words (B).
RANK_WEIGHTS = "{0, 0, 0.2, 1.0}"
RANK_CANDIDATES = 1000  # documents with the words in their title
BODY_CANDIDATES = 300  # and the first of those with them anywhere
RELATED_RANK_WEIGHTS = "{0, 0, 0.5, 1.0}"  # a shared title word (A) counts double a keyword (B)
RELATED_PER_TERM = 200  # documents ranked per keyword of a related-documents query
# Newest-first pages this deep (offset + size) of a common query walk the publication
# index; deeper ones sort every match (see _choose_newest_plan). The first page only:
# the walk reads about depth × documents ÷ matches rows, and a match count just
# past COUNT_LIMIT made page 10 take 90 ms walking, 9 ms sorting (100,000 documents).
NEWEST_WALK_DEPTH = 20
CLEAR_LOCK_WAIT = "2s"  # a rebuild's TRUNCATE waits this long for the table
# Copies of the document row's columns that filters and sorts read (migration 0006).
FILTER_COLUMNS = ("format", "category_id", "price", "page_count", "published_at")
VECTOR_COLUMNS = ("title_vector", "search_vector", "related_vector")
MAX_POSITION = 16383  # tsvector positions stop here
MAX_POSITIONS_PER_TERM = 255

_ORDER = {
    Sort.NEWEST: "s.published_at DESC, s.document_id DESC",
    Sort.DOWNLOADS: downloads_order("s.document_id", "s.published_at"),
}


def tsvector_literal(stored: str) -> str:
    """A tsvector of the stored text's terms with their positions (clamped as PostgreSQL does)."""
    positions: dict[str, list[int]] = {}
    for position, term in enumerate(stored_terms(stored), start=1):
        found = positions.setdefault(term, [])
        if len(found) < MAX_POSITIONS_PER_TERM:
            clamped = min(position, MAX_POSITION)
            if not found or found[-1] != clamped:
                found.append(clamped)
    # Terms are runs of letters and digits, so they never hold a quote or backslash.
    return " ".join(f"'{term}':{','.join(map(str, where))}" for term, where in positions.items())


def tsquery_literal(terms: list[Term], match_all: bool) -> str:
    """A tsquery of quoted terms; a term of several pieces is a phrase (``<->``)."""
    parts = []
    for term in terms:
        quoted = [f"'{piece}'" for piece in term.pieces]
        parts.append(quoted[0] if len(quoted) == 1 else "(" + " <-> ".join(quoted) + ")")
    return (" & " if match_all else " | ").join(parts)


def _choose_newest_plan(cursor, total: int, query: Query) -> None:
    """Newest first, the planner must guess how common the words are, and a wrong
    guess costs hundreds of milliseconds (measured: 330 ms at p99 at 100,000
    documents). The capped count knows. Thousands of matches: walk the publication
    index for the first page, testing each row (a thousand rows at most at 100,000
    documents). Fewer, or a deeper page: fetch them all through GIN and sort them."""
    walk = total >= COUNT_LIMIT and query.offset + query.limit <= NEWEST_WALK_DEPTH
    # Both, every time: an earlier query in an outer transaction may have set either.
    cursor.execute(f"SET LOCAL enable_bitmapscan = {'off' if walk else 'on'}")
    cursor.execute(f"SET LOCAL enable_indexscan = {'on' if walk else 'off'}")


class PostgresBackend(SqlTableBackend):
    table = TABLE
    key_column = "document_id"

    def write(self, entries: list[IndexEntry]) -> None:
        if not entries:
            return
        rows = [
            (
                e.document_id,
                e.title,
                e.body,
                tsvector_literal(e.title),
                tsvector_literal(e.body),
                tsvector_literal(e.keywords),
            )
            for e in entries
        ]
        # The filter and sort fields are copied from the document row in the same
        # statement (and transaction): what the row says when the entry is written.
        # A document not (or no longer) published gets no entry.
        copied = ", ".join(FILTER_COLUMNS)
        updated = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in ("title", "body", *VECTOR_COLUMNS, *FILTER_COLUMNS)
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"WITH v AS (SELECT setweight(%s::tsvector, 'A') AS title, "
                "%s::tsvector AS body, %s::tsvector AS keywords) "
                f"INSERT INTO {TABLE} (document_id, title, body, {', '.join(VECTOR_COLUMNS)}, "
                f"{copied}) "
                "SELECT %s, %s, %s, v.title, v.title || setweight(v.body, 'B'), "
                "v.title || setweight(v.keywords, 'B'), "
                f"{', '.join(f'd.{column}' for column in FILTER_COLUMNS)} "
                # FOR SHARE: a concurrent edit of the row (and of its entry) is waited
                # for and then read, so an older version never overwrites the entry.
                "FROM v JOIN documents_document AS d ON d.id = %s "
                "AND d.status = 'ready' AND d.published_at IS NOT NULL FOR SHARE OF d "
                f"ON CONFLICT (document_id) DO UPDATE SET {updated}",
                [(*row[3:], *row[:3], row[0]) for row in rows],
            )

    def clear(self) -> None:
        """TRUNCATE, not DELETE: a rebuild would leave every old row behind as a dead
        tuple until autovacuum, and each search read through twice the table
        (measured: p99 ×2). TRUNCATE needs the table to itself, and every search
        would queue behind it while another session holds the table: after
        CLEAR_LOCK_WAIT it deletes instead."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{CLEAR_LOCK_WAIT}'")
            try:
                with transaction.atomic():
                    cursor.execute(f"TRUNCATE {TABLE}")
            except OperationalError:  # lock_timeout: busy
                cursor.execute(f"DELETE FROM {TABLE}")

    def after_rebuild(self, cursor) -> None:
        # Merge what bulk loading left in the GIN pending lists, which every query
        # would otherwise read through; fresh statistics, so the planner knows the
        # GIN index is selective.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_am ON "
            "pg_am.oid = (SELECT relam FROM pg_class WHERE oid = indexrelid) "
            "WHERE indrelid = %s::regclass AND pg_am.amname = 'gin'",
            [TABLE],
        )
        cursor.execute(f"ANALYZE {TABLE}")

    def run(self, query: Query) -> Found:
        """The index table alone finds, ranks, sorts and counts (its copies of the
        filter fields included); the page found is then checked against the
        documents, since a document may have been taken down or changed since."""
        tsquery = tsquery_literal(query.terms, query.match_all)
        where, params = filters_sql.where(query.filters, alias="s", visibility=False)
        source = f"FROM {TABLE} AS s WHERE s.search_vector @@ %s::tsquery AND {where}"
        with prefer_indexes(), connection.cursor() as cursor:
            total = self.capped_count(cursor, source, [tsquery, *params])
            if query.sort == Sort.RELEVANCE:
                found, pageable = self._rank(cursor, tsquery, where, params, query)
            else:
                if query.sort == Sort.NEWEST:
                    _choose_newest_plan(cursor, total, query)
                cursor.execute(
                    f"SELECT s.document_id, 0.0, s.title, s.body {source} "
                    f"ORDER BY {_ORDER[query.sort]} LIMIT %s OFFSET %s",
                    [tsquery, *params, query.limit, query.offset],
                )
                found, pageable = cursor.fetchall(), None
        kept, hidden = filters_sql.keep_visible(found, query.filters)
        hits = [RawHit(row[0], float(row[1]), row[2], row[3]) for row in kept]
        return Found(hits, less_hidden(total, hidden), pageable)

    @staticmethod
    def _rank(cursor, tsquery: str, where: str, params: list, query: Query):
        """One page ranked by ts_rank over the candidates, and how many those are."""
        cursor.execute(
            "WITH candidates AS ("
            f"(SELECT document_id FROM {TABLE} AS s WHERE s.title_vector @@ %s::tsquery "
            f"AND {where} LIMIT {RANK_CANDIDATES}) UNION "
            f"(SELECT document_id FROM {TABLE} AS s WHERE s.search_vector @@ %s::tsquery "
            f"AND {where} LIMIT {BODY_CANDIDATES})) "
            "SELECT s.document_id, "
            "ts_rank(%s::float4[], s.search_vector, %s::tsquery, 1) AS score, s.title, s.body, "
            "(SELECT count(*) FROM candidates) "
            f"FROM candidates JOIN {TABLE} AS s USING (document_id) "
            "ORDER BY score DESC, s.document_id LIMIT %s OFFSET %s",
            [
                *(tsquery, *params),
                *(tsquery, *params),
                RANK_WEIGHTS,
                tsquery,
                query.limit,
                query.offset,
            ],
        )
        found = cursor.fetchall()
        return found, (found[0][4] if found else None)

    def related_ids(self, document_id: int, terms: list[Term], limit: int) -> list[int]:
        """Ranked over at most RELATED_PER_TERM matches of each keyword: ranking reads
        every candidate's row, and a keyword shared by thousands of documents
        (measured: one in 7% of the bench corpus) made this 15–20 ms. A document
        sharing a rarer keyword too is still found through that one. Which matches
        of a common keyword are taken is the bitmap scan's, the table's physical
        order (older rows first): ordering them would read every match again."""
        if not terms:
            return []
        whole = tsquery_literal(terms, False)
        per_term = " UNION ALL ".join(
            [
                f"(SELECT document_id, ts_rank(%s::float4[], related_vector, %s::tsquery) AS score "
                f"FROM {TABLE} WHERE related_vector @@ %s::tsquery AND document_id != %s "
                f"LIMIT {RELATED_PER_TERM})"
            ]
            * len(terms)
        )
        params = []
        for term in terms:
            params += [RELATED_RANK_WEIGHTS, whole, tsquery_literal([term], False), document_id]
        with prefer_indexes(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT document_id FROM ({per_term}) AS candidates GROUP BY document_id "
                "ORDER BY max(score) DESC, document_id LIMIT %s",
                [*params, limit],
            )
            return [row[0] for row in cursor.fetchall()]
