"""The WHERE clause the SQL backends put on ``documents_document AS d`` (or on the
PostgreSQL index table's copies of its columns).

Visibility is checked again here, not only when indexing: a document taken down
between an index update and a query must never show in a result.
"""

from __future__ import annotations

from functools import cache

from django.db import connection

from wenku.discovery.search.base import Price, SearchFilters


@cache
def _has_field(name: str) -> bool:
    """Whether Document has this field yet (categories arrive in a later migration)."""
    from wenku.documents.models import Document

    return any(field.name == name for field in Document._meta.get_fields())


def where(filters: SearchFilters, alias: str = "d", visibility: bool = True) -> tuple[str, list]:
    """The clause on table ``alias``, which has the document's column names: the
    documents table, or the PostgreSQL index table's copies of them (which leave
    visibility to be checked on the page found, ``visibility=False``)."""
    clauses = (
        [f"{alias}.status = 'ready'", f"{alias}.published_at IS NOT NULL"] if visibility else []
    )
    params: list = []
    if filters.formats:
        clauses.append(f"{alias}.format IN ({', '.join(['%s'] * len(filters.formats))})")
        params.extend(filters.formats)
    if filters.category_ids and _has_field("category"):
        placeholders = ", ".join(["%s"] * len(filters.category_ids))
        clauses.append(f"{alias}.category_id IN ({placeholders})")
        params.extend(filters.category_ids)
    if filters.min_pages is not None:
        clauses.append(f"{alias}.page_count >= %s")
        params.append(filters.min_pages)
    if filters.max_pages is not None:
        clauses.append(f"{alias}.page_count <= %s")
        params.append(filters.max_pages)
    if filters.price is not None and _has_field("price"):
        clauses.append(
            f"{alias}.price = 0" if filters.price == Price.FREE else f"{alias}.price > 0"
        )
    return " AND ".join(clauses) or "TRUE", params


def visible_ids(document_ids: list[int], filters: SearchFilters, order: str = "d.id") -> list[int]:
    """Those of ``document_ids`` that are published and pass the filters now, in ``order``:
    for results found in an index that does not know the documents' current state."""
    if not document_ids:
        return []
    clauses, params = where(filters)
    placeholders = ", ".join(["%s"] * len(document_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id FROM documents_document AS d WHERE d.id IN ({placeholders}) "
            f"AND {clauses} ORDER BY {order}",
            [*document_ids, *params],
        )
        return [row[0] for row in cursor.fetchall()]


def keep_visible(rows: list, filters: SearchFilters) -> tuple[list, int]:
    """The rows (document id first) whose documents are still visible, in their order,
    and how many were dropped."""
    visible = set(visible_ids([row[0] for row in rows], filters))
    kept = [row for row in rows if row[0] in visible]
    return kept, len(rows) - len(kept)
