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

Ranking reads every candidate's tsvector from TOAST, a few microseconds each: a
word found in 30,000 documents would take 150 ms. So relevance ranks a bounded
candidate set — every document with the words in its title (up to
RANK_CANDIDATES) plus the first BODY_CANDIDATES with them anywhere. Rare words
are ranked exactly; for very common ones title matches still come first. Measured
in bench/search.py.
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
from wenku.discovery.search.text import Term, stored_terms

TABLE = "discovery_pg_search"
# ts_rank weights for {D, C, B, A}: a title word (A) counts as five body words (B).
RANK_WEIGHTS = "{0, 0, 0.2, 1.0}"
RANK_CANDIDATES = 1000  # documents with the words in their title
BODY_CANDIDATES = 300  # and the first of those with them anywhere
RELATED_RANK_WEIGHTS = "{0, 0, 0.5, 1.0}"  # a shared title word (A) counts double a keyword (B)
RELATED_PER_TERM = 200  # documents ranked per keyword of a related-documents query
MAX_POSITION = 16383  # tsvector positions stop here
MAX_POSITIONS_PER_TERM = 255

_ORDER = {
    Sort.NEWEST: "d.published_at DESC, d.id DESC",
    Sort.DOWNLOADS: DOWNLOADS_ORDER,
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


def _prefer_gin(cursor) -> None:
    """Keep the planner on the GIN indexes for the rest of this transaction.

    It prices ``@@`` as cheap, but on a sequential scan every row's tsvector is
    read back from TOAST: 2–3x slower than the bitmap index scan even when a word
    is in a third of the documents (measured with EXPLAIN ANALYZE, bench corpus).
    """
    cursor.execute("SET LOCAL enable_seqscan = off")


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
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"WITH v AS (SELECT setweight(%s::tsvector, 'A') AS title, "
                "%s::tsvector AS body, %s::tsvector AS keywords) "
                f"INSERT INTO {TABLE} (document_id, title, body, title_vector, search_vector, "
                "related_vector) "
                "SELECT %s, %s, %s, v.title, v.title || setweight(v.body, 'B'), "
                "v.title || setweight(v.keywords, 'B') FROM v "
                "ON CONFLICT (document_id) DO UPDATE SET title = EXCLUDED.title, "
                "body = EXCLUDED.body, title_vector = EXCLUDED.title_vector, "
                "search_vector = EXCLUDED.search_vector, "
                "related_vector = EXCLUDED.related_vector",
                [(*row[3:], *row[:3]) for row in rows],
            )

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
        tsquery = tsquery_literal(query.terms, query.match_all)
        with transaction.atomic(), connection.cursor() as cursor:
            _prefer_gin(cursor)
            if query.sort == Sort.RELEVANCE and query.filters == SearchFilters():
                return self._run_unfiltered(cursor, tsquery, query)
            return self._run_joined(cursor, tsquery, query)

    def _run_joined(self, cursor, tsquery: str, query: Query) -> Found:
        """Filters and sorts that read the document row: every match is joined to it."""
        where, params = filters_sql.where(query.filters)
        # `matches` is materialised so that it is answered by the GIN index alone;
        # `visible` applies visibility and filters, and is what gets counted.
        common = (
            "WITH matches AS MATERIALIZED ("
            f"SELECT document_id FROM {TABLE} WHERE search_vector @@ %s::tsquery), "
            "visible AS MATERIALIZED (SELECT d.id AS document_id, d.published_at FROM matches "
            f"JOIN documents_document AS d ON d.id = matches.document_id WHERE {where} "
            f"LIMIT {COUNT_LIMIT}) "
        )
        if query.sort == Sort.RELEVANCE:
            sql = (
                f"{common}, candidates AS ("
                f"(SELECT s.document_id FROM {TABLE} AS s JOIN documents_document AS d "
                f"ON d.id = s.document_id WHERE s.title_vector @@ %s::tsquery AND {where} "
                f"LIMIT {RANK_CANDIDATES}) UNION "
                f"(SELECT document_id FROM visible LIMIT {BODY_CANDIDATES})) "
                "SELECT s.document_id, "
                "ts_rank(%s::float4[], s.search_vector, %s::tsquery, 1) AS score, "
                "s.title, s.body, (SELECT count(*) FROM visible), "
                "(SELECT count(*) FROM candidates) "
                f"FROM candidates JOIN {TABLE} AS s USING (document_id) "
                "ORDER BY score DESC, s.document_id LIMIT %s OFFSET %s"
            )
            args = [tsquery, *params, tsquery, *params, RANK_WEIGHTS, tsquery]
        else:
            sql = (
                f"{common} SELECT s.document_id, 0.0, s.title, s.body, "
                "(SELECT count(*) FROM visible), NULL FROM matches "
                "JOIN documents_document AS d ON d.id = matches.document_id "
                f"JOIN {TABLE} AS s ON s.document_id = d.id WHERE {where} "
                f"ORDER BY {_ORDER[query.sort]} LIMIT %s OFFSET %s"
            )
            args = [tsquery, *params, *params]
        cursor.execute(sql, [*args, query.limit, query.offset])
        ranked = cursor.fetchall()
        if ranked or query.offset == 0:
            total, pageable = (ranked[0][4], ranked[0][5]) if ranked else (0, None)
        else:  # a page past the end: still say how many there are
            cursor.execute(f"{common} SELECT count(*) FROM visible", [tsquery, *params])
            total, pageable = cursor.fetchone()[0], None
        hits = [RawHit(row[0], float(row[1]), row[2], row[3]) for row in ranked]
        return Found(hits, total, pageable)

    def _run_unfiltered(self, cursor, tsquery: str, query: Query) -> Found:
        """Plain relevance, the common case: the index alone ranks and counts, and only
        the page shown is checked against the documents (the index holds published
        documents only, but one may have been taken down since)."""
        cursor.execute(
            "WITH candidates AS ("
            f"(SELECT document_id FROM {TABLE} WHERE title_vector @@ %s::tsquery "
            f"LIMIT {RANK_CANDIDATES}) UNION "
            f"(SELECT document_id FROM {TABLE} WHERE search_vector @@ %s::tsquery "
            f"LIMIT {BODY_CANDIDATES})) "
            "SELECT s.document_id, "
            "ts_rank(%s::float4[], s.search_vector, %s::tsquery, 1) AS score, s.title, s.body, "
            f"(SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE search_vector @@ %s::tsquery "
            f"LIMIT {COUNT_LIMIT}) AS counted), (SELECT count(*) FROM candidates) "
            f"FROM candidates JOIN {TABLE} AS s USING (document_id) "
            "ORDER BY score DESC, s.document_id LIMIT %s OFFSET %s",
            [tsquery, tsquery, RANK_WEIGHTS, tsquery, tsquery, query.limit, query.offset],
        )
        found = cursor.fetchall()
        if found:
            total, pageable = found[0][4], found[0][5]
        else:
            source = f"FROM {TABLE} WHERE search_vector @@ %s::tsquery"
            total, pageable = self.capped_count(cursor, source, [tsquery]), None
        kept, hidden = filters_sql.keep_visible(found, query.filters)
        hits = [RawHit(row[0], float(row[1]), row[2], row[3]) for row in kept]
        return Found(hits, less_hidden(total, hidden), pageable)

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
        with transaction.atomic(), connection.cursor() as cursor:
            _prefer_gin(cursor)
            cursor.execute(
                f"SELECT document_id FROM ({per_term}) AS candidates GROUP BY document_id "
                "ORDER BY max(score) DESC, document_id LIMIT %s",
                [*params, limit],
            )
            return [row[0] for row in cursor.fetchall()]
