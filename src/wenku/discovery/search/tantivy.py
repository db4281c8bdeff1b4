"""Tantivy, an embedded search library, over the same terms: the fast backend.

The index lives in a directory of its own (``WENKU_SEARCH_INDEX_DIR``), beside
the database rather than inside it. Fields:

- ``title``, ``body``, ``keywords``: search.text's terms, space-joined and split
  by tantivy's ``whitespace`` tokenizer, so the terms are exactly the ones the
  SQL backends index (positions too: a term of several pieces is a phrase);
- ``stored_title``, ``stored_body``: the stored text snippets are cut from;
- ``format``, ``category``, ``price``, ``pages``, ``published``: what filters and
  the newest-first sort read, copied from the document row when it is indexed.

Tantivy ranks the top hits with block-max WAND (BM25, title boosted like the
other backends) instead of scoring every match, which is why it stays fast on
words found in a third of the site. What it cannot know is checked against the
database for the page shown: visibility and filters again (an index entry may
be older than a takedown or an edit), and download counts for that sort.

Not transactional: indexing.document_changed calls it once the database
transaction has committed. One writer at a time across processes, by a lock file.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy
from django.conf import settings

from wenku.discovery.search import filters_sql
from wenku.discovery.search.base import (
    COUNT_LIMIT,
    DOWNLOADS_ORDER,
    Found,
    IndexBusy,
    IndexEntry,
    Price,
    Query,
    RawHit,
    SearchBackend,
    SearchFilters,
    Sort,
    less_hidden,
)
from wenku.discovery.search.text import Term, stored_terms

# A title word counts as five body words, as in the SQL backends.
TITLE_BOOST = 5.0
# Related documents: a document's keywords against others' titles (×2) and keywords.
RELATED_TITLE_BOOST = 2.0
WRITER_HEAP = 50_000_000  # bytes; one thread. More only helps bulk loads.
REBUILD_HEAP = 200_000_000
LOCK_FILE = "wenku-writer.lock"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    for name in ("title", "body"):
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    # Positions for keywords too: a keyword of several pieces (COVID-19) is a phrase.
    builder.add_text_field("keywords", tokenizer_name="whitespace", index_option="position")
    builder.add_bytes_field("stored_title", stored=True)
    builder.add_bytes_field("stored_body", stored=True)
    builder.add_text_field("format", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("category", indexed=True)
    builder.add_unsigned_field("price", indexed=True, fast=True)
    builder.add_unsigned_field("pages", indexed=True, fast=True)
    builder.add_integer_field("published", fast=True)
    return builder.build()


def terms_text(stored: str) -> str:
    """The stored text as the whitespace tokenizer must see it: one term per word."""
    return " ".join(stored_terms(stored))


class TantivyBackend(SearchBackend):
    transactional = False

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path or settings.WENKU_SEARCH_INDEX_DIR)
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self._held = threading.local()  # .writer: the writer this thread holds, if any

    # --- writing ---

    def exclusive(self, wait: float | None = None):
        return self._writer(wait=wait)

    @contextmanager
    def _writer(
        self, heap: int = WRITER_HEAP, wait: float | None = None
    ) -> Iterator[tantivy.IndexWriter]:
        """The one writer of the index, committed on a clean exit, rolled back on an error.

        Writes inside an open block (rebuild, exclusive) join its writer, so a whole
        rebuild becomes visible to readers at once. Across processes and threads,
        writers take turns on a lock file (tantivy's own lock fails instead of
        waiting). The index is opened afresh under the lock: it then knows the files
        other processes wrote, and its clean-up of unused files deletes none of theirs.
        """
        held = getattr(self._held, "writer", None)
        if held is not None:
            yield held
            return
        with open(self.path / LOCK_FILE, "a") as lock:
            _lock(lock, wait)
            index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            writer = index.writer(heap, 1)
            self._held.writer = writer
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                self._held.writer = None
                writer.wait_merging_threads()
        self.index.reload()

    def write(self, entries: list[IndexEntry]) -> None:
        if not entries:
            return
        attributes = _attributes([entry.document_id for entry in entries])
        with self._writer() as writer:
            for entry in entries:
                writer.delete_documents_by_query(self._id_query(entry.document_id))
                writer.add_document(self._document(entry, attributes.get(entry.document_id)))

    def _document(self, entry: IndexEntry, row: dict | None) -> tantivy.Document:
        document = tantivy.Document()
        document.add_unsigned("id", entry.document_id)
        document.add_text("title", terms_text(entry.title))
        document.add_text("body", terms_text(entry.body))
        document.add_text("keywords", terms_text(entry.keywords))
        document.add_bytes("stored_title", entry.title.encode())
        document.add_bytes("stored_body", entry.body.encode())
        if row is not None:
            document.add_text("format", row["format"])
            if row["category_id"] is not None:
                document.add_unsigned("category", row["category_id"])
            document.add_unsigned("price", row["price"])
            document.add_unsigned("pages", row["page_count"])
            published = row["published_at"]
            document.add_integer("published", int(published.timestamp() * 1e6) if published else 0)
        return document

    def remove_document(self, document_id: int) -> None:
        with self._writer() as writer:
            writer.delete_documents_by_query(self._id_query(document_id))

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()

    def rebuild(self, documents=None, **kwargs) -> int:
        with self._writer(REBUILD_HEAP):
            return super().rebuild(documents, **kwargs)

    def count(self) -> int:
        return self.index.searcher().num_docs

    # --- querying ---

    def run(self, query: Query) -> Found:
        searcher = self.index.searcher()
        matcher = self._filtered(self._text_query(query.terms, query.match_all), query.filters)
        if query.sort == Sort.DOWNLOADS:
            return self._by_downloads(searcher, matcher, query)
        # Equal scores come in index order (tantivy's), not by id as in the SQL
        # backends: stable while the index is, and only a tie's order can change.
        options = {"order_by_field": "published"} if query.sort == Sort.NEWEST else {}
        found = searcher.search(matcher, query.limit, count=True, offset=query.offset, **options)
        kept, hidden = filters_sql.keep_visible(_with_ids(searcher, found), query.filters)
        relevance = query.sort == Sort.RELEVANCE
        hits = [
            _raw_hit(pk, searcher.doc(address), float(key) if relevance else 0.0)
            for pk, (key, address) in kept
        ]
        if query.offset == 0 and found.count <= query.limit:
            return Found(hits, len(hits))  # everything is on this page: exact
        return Found(hits, less_hidden(min(found.count, COUNT_LIMIT), hidden))

    def _by_downloads(self, searcher, matcher, query: Query) -> Found:
        """Download counts live in the database: order the COUNT_LIMIT most relevant
        matches there (all of them, for any query with fewer matches)."""
        found = searcher.search(matcher, COUNT_LIMIT, count=False)
        addresses = _addresses(found)
        by_id = dict(zip(searcher.fast_field_values("id", addresses), addresses, strict=True))
        ordered = filters_sql.visible_ids(list(by_id), query.filters, DOWNLOADS_ORDER)
        page = ordered[query.offset : query.offset + query.limit]
        return Found([_raw_hit(pk, searcher.doc(by_id[pk]), 0.0) for pk in page], len(ordered))

    def related_ids(self, document_id: int, terms: list[Term], limit: int) -> list[int]:
        if not terms:
            return []
        clauses = []
        for term in terms:
            title = tantivy.Query.boost_query(self._term(term, "title"), RELATED_TITLE_BOOST)
            clauses += [
                (tantivy.Occur.Should, title),
                (tantivy.Occur.Should, self._term(term, "keywords")),
            ]
        clauses.append((tantivy.Occur.MustNot, self._id_query(document_id)))
        searcher = self.index.searcher()
        found = searcher.search(tantivy.Query.boolean_query(clauses), limit, count=False)
        return searcher.fast_field_values("id", _addresses(found))

    # --- query building ---

    def _id_query(self, document_id: int) -> tantivy.Query:
        # A query, not delete_documents_by_term: that one makes a signed term of a
        # Python int, which never matches this unsigned field.
        return tantivy.Query.term_query(self.schema, "id", document_id)

    def _term(self, term: Term, field: str) -> tantivy.Query:
        if len(term.pieces) == 1:
            return tantivy.Query.term_query(self.schema, field, term.pieces[0])
        return tantivy.Query.phrase_query(self.schema, field, list(term.pieces))

    def _text_query(self, terms: list[Term], match_all: bool) -> tantivy.Query:
        """Every term (or, with match_all off, any) in the title or the body."""
        occur = tantivy.Occur.Must if match_all else tantivy.Occur.Should
        per_term = []
        for term in terms:
            title = tantivy.Query.boost_query(self._term(term, "title"), TITLE_BOOST)
            either = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, title), (tantivy.Occur.Should, self._term(term, "body"))]
            )
            per_term.append((occur, either))
        return tantivy.Query.boolean_query(per_term)

    def _filtered(self, matcher: tantivy.Query, filters: SearchFilters) -> tantivy.Query:
        """The text query narrowed by the filters, which add nothing to the score."""
        clauses = [(tantivy.Occur.Must, matcher)]
        for condition in self._filter_queries(filters):
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(condition, 0.0)))
        return matcher if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def _filter_queries(self, filters: SearchFilters) -> Iterator[tantivy.Query]:
        schema = self.schema
        if filters.formats:
            yield tantivy.Query.term_set_query(schema, "format", list(filters.formats))
        if filters.category_ids:
            yield tantivy.Query.term_set_query(schema, "category", list(filters.category_ids))
        if filters.min_pages is not None or filters.max_pages is not None:
            yield tantivy.Query.range_query(
                schema, "pages", tantivy.FieldType.Unsigned, filters.min_pages, filters.max_pages
            )
        if filters.price == Price.FREE:
            yield tantivy.Query.term_query(schema, "price", 0)
        elif filters.price == Price.PAID:
            yield tantivy.Query.range_query(schema, "price", tantivy.FieldType.Unsigned, 1, None)


def _attributes(document_ids: list[int]) -> dict[int, dict]:
    """What filters and sorting need of each document, read from its row."""
    from wenku.documents.models import Document

    rows = Document.objects.filter(pk__in=document_ids).values(
        "id", "format", "category_id", "price", "page_count", "published_at"
    )
    return {row["id"]: row for row in rows}


def _lock(lock_file, wait: float | None) -> None:
    """Take the writers' lock, waiting at most ``wait`` seconds (None: as long as it takes)."""
    if wait is None:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexBusy(f"{lock_file.name} held for more than {wait} s") from None
            time.sleep(0.05)


def _addresses(found) -> list:
    return [address for _key, address in found.hits]


def _with_ids(searcher, found) -> list[tuple[int, tuple]]:
    """(document id, (order key, address)) for every hit, ids read from the fast field."""
    ids = searcher.fast_field_values("id", _addresses(found))
    return list(zip(ids, found.hits, strict=True))


def _raw_hit(document_id: int, document: tantivy.Document, score: float) -> RawHit:
    return RawHit(
        document_id,
        score,
        document.get_first("stored_title").decode(),
        document.get_first("stored_body").decode(),
    )
