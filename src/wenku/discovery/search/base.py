"""The search backend interface: what every backend stores, and the behaviour they share.

A backend only stores entries and runs one query shape; query parsing, the
AND-then-OR fallback, snippets and index entries are built here, once, so the
SQLite and PostgreSQL backends cannot drift apart.
"""

from __future__ import annotations

import abc
import contextlib
import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch
from django.utils.safestring import SafeString

from wenku.discovery.search import text

# Beyond this a 500-page document only grows the index; ranking and snippets are
# settled by then. About 100 pages of dense Chinese.
MAX_BODY_CHARS = 200_000
MAX_PAGE = 100  # deep pages are for crawlers, not readers, and cost an OFFSET scan
# Totals are counted up to here and shown as "2000+" beyond: an exact count of a
# word found in half the site costs as much as the search itself and tells nobody anything.
COUNT_LIMIT = 2000
BATCH_SIZE = 500


class Sort(enum.StrEnum):
    RELEVANCE = "relevance"
    NEWEST = "newest"
    # Hook: ordered like NEWEST until documents count their downloads.
    DOWNLOADS = "downloads"


class Price(enum.StrEnum):
    FREE = "free"
    PAID = "paid"


@dataclass(frozen=True)
class SearchFilters:
    formats: tuple[str, ...] = ()
    # The category and everything below it (Category.descendant_ids()); ignored
    # until Document.category exists.
    category_ids: tuple[int, ...] = ()
    price: Price | None = None  # free: price 0; paid: above 0
    min_pages: int | None = None
    max_pages: int | None = None


@dataclass(frozen=True)
class SearchHit:
    document_id: int
    score: float  # higher is better, comparable only within one result page
    title_html: SafeString  # escaped, query words in <mark>
    snippet_html: SafeString


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    total: int  # at most COUNT_LIMIT; see total_exact
    page: int
    page_size: int
    terms: tuple[str, ...] = ()  # the words actually searched for
    matched_all_terms: bool = True  # False when AND found nothing and OR was used
    pageable: int | None = None  # how many can be paged through, when fewer than total

    @property
    def total_exact(self) -> bool:
        return self.total < COUNT_LIMIT

    @property
    def num_pages(self) -> int:
        shown = self.total if self.pageable is None else min(self.total, self.pageable)
        return min(MAX_PAGE, -(-shown // self.page_size)) if shown else 0

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class IndexEntry:
    """One document as the index stores it (stored text, see search.text)."""

    document_id: int
    title: str
    body: str
    keywords: str


@dataclass(frozen=True)
class RawHit:
    document_id: int
    score: float
    title: str  # stored text, for highlighting
    body: str


@dataclass(frozen=True)
class Found:
    """What a backend's run() found: one page of hits and the counts around it."""

    hits: list[RawHit]
    total: int  # matches, counted up to COUNT_LIMIT
    pageable: int | None = None  # a backend ranking a bounded candidate set says how many


def less_hidden(total: int, hidden: int) -> int:
    """A total less the hits of the page found hidden since they were indexed; a total
    at COUNT_LIMIT stands for more than that and stays as it is."""
    return total if total >= COUNT_LIMIT else max(0, total - hidden)


class IndexBusy(Exception):
    """The index is locked by another writer (a rebuild) for longer than the caller waits."""


@dataclass
class Query:
    terms: list[text.Term]
    match_all: bool
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: Sort = Sort.RELEVANCE
    offset: int = 0
    limit: int = 20


class SearchBackend(abc.ABC):
    """Full-text search over published documents. Subclasses store and query; this class thinks."""

    # Whether writes join the database transaction (an index inside the database).
    # Those that do not are updated once the transaction has committed.
    transactional: bool = True

    # --- what a backend implements ---

    @abc.abstractmethod
    def write(self, entries: list[IndexEntry]) -> None:
        """Insert or replace these entries."""

    @abc.abstractmethod
    def remove_document(self, document_id: int) -> None: ...

    @abc.abstractmethod
    def clear(self) -> None: ...

    @abc.abstractmethod
    def run(self, query: Query) -> Found:
        """Hits of one page (with stored title and body) and the number of matches,
        counted up to COUNT_LIMIT."""

    @abc.abstractmethod
    def related_ids(self, document_id: int, terms: list[text.Term], limit: int) -> list[int]:
        """Documents whose title or keywords best match ``terms``, best first, never itself."""

    @abc.abstractmethod
    def count(self) -> int:
        """How many documents the index holds."""

    def exclusive(self, wait: float | None = None) -> contextlib.AbstractContextManager:
        """Hold off every other writer of the index until the block ends; raise IndexBusy
        after ``wait`` seconds (None: wait as long as it takes). Nothing to hold for an
        index inside the database, whose rows lock themselves."""
        return contextlib.nullcontext()

    # --- shared behaviour ---

    def index_document(self, document) -> None:
        self.write([entry_for(document)])

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        sort: Sort = Sort.RELEVANCE,
        page: int = 1,
        page_size: int = 20,
    ) -> SearchPage:
        """One page of results; an empty or junk query gives an empty page, never an error."""
        page = max(1, min(int(page), MAX_PAGE))
        page_size = max(1, min(int(page_size), 100))
        terms = text.parse_query(query)
        empty = SearchPage([], 0, page, page_size)
        if not terms:
            return empty
        request = Query(terms, True, filters or SearchFilters(), Sort(sort))
        request.offset, request.limit = (page - 1) * page_size, page_size
        found = self.run(request)
        if found.total == 0 and len(terms) > 1:
            # Nothing has every word: rank documents by how many of the rarest they have.
            request.terms, request.match_all = text.rarest(terms, text.OR_FALLBACK_TERMS), False
            found = self.run(request)
        pattern = text.highlight_pattern(request.terms)
        hits = [
            SearchHit(
                hit.document_id,
                hit.score,
                text.highlight_html(hit.title, pattern),
                text.snippet_html(hit.body, pattern),
            )
            for hit in found.hits
        ]
        words = tuple(term.word for term in request.terms)
        return SearchPage(
            hits, found.total, page, page_size, words, request.match_all, found.pageable
        )

    def rebuild(
        self,
        documents=None,
        *,
        progress: Callable[[int], None] | None = None,
        workers: int = 1,
    ) -> int:
        """Empty the index and add every published document; returns how many were indexed."""
        from wenku.documents.models import Document

        if documents is None:
            documents = Document.objects.published()
        self.clear()
        indexed = 0
        for batch in _entries(documents, workers=workers):
            self.write(batch)
            indexed += len(batch)
            if progress is not None:
                progress(len(batch))
        return indexed


def entry_for(document) -> IndexEntry:
    """The index entry of a document: its title, keywords and the text of the pages
    anyone may preview — never the rest, which snippets would otherwise show to
    readers who have not bought the document."""
    pages = document.pages.filter(number__lte=document.preview_pages).order_by("number")
    page_texts = pages.values_list("text", flat=True)
    return build_entry(document.pk, document.title, page_texts, document.keywords)


def build_entry(
    document_id: int, title: str, page_texts: Iterable[str], keywords: list[str] | None
) -> IndexEntry:
    body = "\n".join(page_texts)
    return IndexEntry(
        document_id,
        text.index_text(title),
        text.index_text(body, max_chars=MAX_BODY_CHARS),
        text.index_text(" ".join(keywords or [])),
    )


def previewable_texts(document) -> list[str]:
    """Texts of the pages anyone may preview, from prefetched pages (see entry_for)."""
    return [page.text for page in document.pages.all() if page.number <= document.preview_pages]


def _build_entry_args(args: tuple) -> IndexEntry:
    return build_entry(*args)


def _entries(documents, *, workers: int) -> Iterator[list[IndexEntry]]:
    """Index entries in batches; segmentation, the slow part, spread over ``workers`` processes."""
    from wenku.documents.models import Page

    pages = Prefetch(
        "pages", queryset=Page.objects.order_by("number").only("document", "number", "text")
    )
    ids = list(documents.order_by("pk").values_list("pk", flat=True))
    pool = None
    if workers > 1:
        import multiprocessing

        # Fork: the children inherit the loaded dictionary and never touch the database.
        text.index_text("")
        pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            rows = documents.model.objects.filter(pk__in=chunk).order_by("pk")
            rows = rows.only("pk", "title", "keywords", "preview_pages").prefetch_related(pages)
            args = [(doc.pk, doc.title, previewable_texts(doc), doc.keywords) for doc in rows]
            if pool is not None:
                yield pool.map(_build_entry_args, args, chunksize=max(1, len(args) // workers))
            else:
                yield [build_entry(*arg) for arg in args]
    finally:
        if pool is not None:
            pool.close()
            pool.join()


def downloads_order(document_id: str = "d.id", published_at: str = "d.published_at") -> str:
    """ORDER BY for Sort.DOWNLOADS, on the SQL backends' columns: counted downloads (a
    resumed download is not counted twice), newest first on ties."""
    return (
        "(SELECT count(*) FROM commerce_downloadlog AS dl WHERE dl.document_id = "
        f"{document_id} AND dl.counted) DESC, {published_at} DESC, {document_id} DESC"
    )


DOWNLOADS_ORDER = downloads_order()


class SqlTableBackend(SearchBackend):
    """A backend keeping its index in one table of the database: the bookkeeping
    statements are the same whatever the engine; subclasses name the table, its
    document-id column, and what to run after a bulk rebuild."""

    table: str
    key_column: str

    def remove_document(self, document_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table} WHERE {self.key_column} = %s", [document_id])

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {self.table}")
            return cursor.fetchone()[0]

    def rebuild(self, documents=None, **kwargs) -> int:
        indexed = super().rebuild(documents, **kwargs)
        with connection.cursor() as cursor:
            self.after_rebuild(cursor)
        return indexed

    def after_rebuild(self, cursor) -> None:
        """Engine housekeeping once a bulk load is done."""

    @staticmethod
    def capped_count(cursor, source: str, params: list) -> int:
        """How many rows ``source`` (a FROM … WHERE … clause) yields, up to COUNT_LIMIT."""
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT {COUNT_LIMIT}) AS n", params)
        return cursor.fetchone()[0]
