"""The search index follows the document lifecycle through these two calls.

documents.services calls ``document_changed`` wherever a document is published,
re-processed, edited, unpublished, taken down or fails, and ``document_deleted``
before a document row is deleted. No signals: the calls are where a reader of
services.py can see them.

An index inside the database (FTS5, PostgreSQL) is written inside the caller's
transaction, so on a rollback it rolls back with the document. One outside it
(tantivy) is written once that transaction has committed, from the committed
row — never an entry for a change that was rolled back.
"""

from __future__ import annotations

import logging

from django.db import transaction

from wenku.discovery.search import get_backend

log = logging.getLogger(__name__)


def document_changed(document) -> None:
    """Index a published document, drop any other from the index.

    A failure is logged, never raised: a broken index must not fail a document,
    and `wenku reindex` repairs it.
    """
    if get_backend().transactional:
        _apply_change(document)
    else:
        transaction.on_commit(lambda: _apply_committed_change(document.pk))


def document_deleted(document_id: int) -> None:
    if get_backend().transactional:
        _apply_removal(document_id)
    else:
        transaction.on_commit(lambda: _apply_removal(document_id))


def _apply_change(document) -> None:
    try:
        with transaction.atomic():  # a savepoint: an index error leaves the caller usable
            if document.is_published:
                get_backend().index_document(document)
            else:
                get_backend().remove_document(document.pk)
    except Exception:
        log.exception("search index update failed document_id=%s", document.pk)


def _apply_committed_change(document_id: int) -> None:
    from wenku.documents.models import Document

    document = Document.objects.filter(pk=document_id).first()
    if document is None:
        _apply_removal(document_id)
    else:
        _apply_change(document)


def _apply_removal(document_id: int) -> None:
    try:
        with transaction.atomic():
            get_backend().remove_document(document_id)
    except Exception:
        log.exception("search index removal failed document_id=%s", document_id)
