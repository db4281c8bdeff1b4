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
RANK_CANDIDATES) plus the first RANK_CANDIDATES with them anywhere. Rare words
are ranked exactly; for very common ones title matches still come first. Measured
in bench/search.py.
"""

from __future__ import annotations

from django.db import connection, transaction

from wenku.discovery.search import filters_sql
from wenku.discovery.search.base import (
    COUNT_LIMIT,
    DOWNLOADS_ORDER,
    IndexEntry,
    Query,
    RawHit,
    Sort,
    SqlTableBackend,
)
from wenku.discovery.search.text import Term, stored_terms

TABLE = "discovery_pg_search"
# ts_rank weights for {D, C, B, A}: a title word (A) counts as five body words (B).
RANK_WEIGHTS = "{0, 0, 0.2, 1.0}"
RANK_CANDIDATES = 1000
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
        # Fresh statistics, so the planner knows the GIN index is selective.
        cursor.execute(f"ANALYZE {TABLE}")

    def run(self, query: Query) -> tuple[list[RawHit], int]:
        where, params = filters_sql.where(query.filters)
        tsquery = tsquery_literal(query.terms, query.match_all)
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
                f"(SELECT document_id FROM visible LIMIT {RANK_CANDIDATES})) "
                "SELECT s.document_id, "
                "ts_rank(%s::float4[], s.search_vector, %s::tsquery, 1) AS score, "
                "s.title, s.body, (SELECT count(*) FROM visible) "
                f"FROM candidates JOIN {TABLE} AS s USING (document_id) "
                "ORDER BY score DESC, s.document_id LIMIT %s OFFSET %s"
            )
            args = [tsquery, *params, tsquery, *params, RANK_WEIGHTS, tsquery]
        else:
            sql = (
                f"{common} SELECT s.document_id, 0.0, s.title, s.body, "
                "(SELECT count(*) FROM visible) FROM matches "
                "JOIN documents_document AS d ON d.id = matches.document_id "
                f"JOIN {TABLE} AS s ON s.document_id = d.id WHERE {where} "
                f"ORDER BY {_ORDER[query.sort]} LIMIT %s OFFSET %s"
            )
            args = [tsquery, *params, *params]
        with transaction.atomic(), connection.cursor() as cursor:
            _prefer_gin(cursor)
            cursor.execute(sql, [*args, query.limit, query.offset])
            ranked = cursor.fetchall()
            if ranked or query.offset == 0:
                total = ranked[0][4] if ranked else 0
            else:  # a page past the end: still say how many there are
                cursor.execute(f"{common} SELECT count(*) FROM visible", [tsquery, *params])
                total = cursor.fetchone()[0]
        return [RawHit(row[0], float(row[1]), row[2], row[3]) for row in ranked], total

    def related_ids(self, document_id: int, terms: list[Term], limit: int) -> list[int]:
        if not terms:
            return []
        tsquery = tsquery_literal(terms, False)
        with transaction.atomic(), connection.cursor() as cursor:
            _prefer_gin(cursor)
            cursor.execute(
                f"SELECT document_id FROM {TABLE} "
                "WHERE related_vector @@ %s::tsquery AND document_id != %s "
                "ORDER BY ts_rank(%s::float4[], related_vector, %s::tsquery) DESC, document_id "
                "LIMIT %s",
                [tsquery, document_id, "{0, 0, 0.5, 1.0}", tsquery, limit],
            )
            return [row[0] for row in cursor.fetchall()]
