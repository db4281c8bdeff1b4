"""Search as the pages use it: backend hits joined to the documents they show."""

from __future__ import annotations

from dataclasses import dataclass

from wenku.discovery.search import SearchFilters, SearchHit, SearchPage, Sort, get_backend


@dataclass(frozen=True)
class Result:
    document: object  # a published wenku.documents.models.Document
    hit: SearchHit


@dataclass(frozen=True)
class ResultPage:
    results: list[Result]
    page: SearchPage  # totals, pagination, the words searched for


def search_documents(
    query: str,
    filters: SearchFilters | None = None,
    sort: Sort | str = Sort.RELEVANCE,
    page: int = 1,
    page_size: int = 20,
) -> ResultPage:
    """One page of results with their documents, loaded in one query, in ranked order."""
    from wenku.documents.models import Document

    try:
        sort = Sort(sort)
    except ValueError:  # an unknown ?sort= from a URL is not the reader's error to see
        sort = Sort.RELEVANCE
    found = get_backend().search(query, filters, sort, page, page_size)
    ids = [hit.document_id for hit in found.hits]
    documents = Document.objects.published().filter(pk__in=ids).select_related("owner")
    by_id = {doc.pk: doc for doc in documents}
    # A hit whose document was unpublished after indexing is dropped, not shown.
    results = [Result(by_id[h.document_id], h) for h in found.hits if h.document_id in by_id]
    return ResultPage(results, found)
