"""The search index follows the document lifecycle through these two calls.

documents.services calls ``document_changed`` wherever a document is published,
re-processed, edited, unpublished, taken down or fails, and ``document_deleted``
before a document row is deleted. No signals: the calls are where a reader of
services.py can see them.

An index inside the database (FTS5, PostgreSQL) is written inside the caller's
transaction, so on a rollback it rolls back with the document. One outside it
(tantivy) is synchronised once that transaction has committed: under the index's
exclusive lock the committed row is read and its entry written, so whichever
process writes last writes the latest state — never an entry for a rolled-back
change, never an older state over a newer one. When the lock is held longer than a
request should wait (a `wenku reindex` is running), the worker does it later.
"""

from __future__ import annotations

import logging

from django.db import transaction

from wenku.discovery.search import get_backend
from wenku.discovery.search.base import IndexBusy

log = logging.getLogger(__name__)
# How long a request's index update waits for another writer before leaving it to
# the worker: a single update holds the lock for milliseconds, a rebuild for minutes.
REQUEST_WAIT = 5.0


def document_changed(document) -> None:
    """Index a published document, drop any other from the index.

    A failure is logged, never raised: a broken index must not fail a document,
    and `wenku reindex` repairs it.
    """
    if get_backend().transactional:
        _apply_change(document)
    else:
        document_id = document.pk
        transaction.on_commit(lambda: sync_committed(document_id, wait=REQUEST_WAIT))


def document_deleted(document_id: int) -> None:
    if get_backend().transactional:
        _apply_removal(document_id)
    else:
        # Called before the row goes: remove the entry whatever the row still says.
        transaction.on_commit(lambda: sync_committed(document_id, wait=REQUEST_WAIT, deleted=True))


def sync_committed(document_id: int, wait: float | None = None, *, deleted: bool = False) -> None:
    """Make the index entry of one document match its committed row (see above)."""
    from wenku.documents.models import Document

    backend = get_backend()
    try:
        with backend.exclusive(wait):
            document = None if deleted else Document.objects.filter(pk=document_id).first()
            if document is not None and document.is_published:
                backend.index_document(document)
            else:
                backend.remove_document(document_id)
    except IndexBusy:
        from wenku.discovery.tasks import sync_search_entry

        log.info("search index busy; document_id=%s left to the worker", document_id)
        sync_search_entry.enqueue(document_id)
    except Exception:
        log.exception("search index update failed document_id=%s", document_id)


def _apply_change(document) -> None:
    try:
        with transaction.atomic():  # a savepoint: an index error leaves the caller usable
            if document.is_published:
                get_backend().index_document(document)
            else:
                get_backend().remove_document(document.pk)
    except Exception:
        log.exception("search index update failed document_id=%s", document.pk)


def _apply_removal(document_id: int) -> None:
    try:
        with transaction.atomic():
            get_backend().remove_document(document_id)
    except Exception:
        log.exception("search index removal failed document_id=%s", document_id)
