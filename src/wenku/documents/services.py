"""Domain operations on documents, callable from views, tasks, the CLI and tests alike."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from wenku.discovery import indexing
from wenku.documents import storage
from wenku.documents.models import Blob, Document, DocumentEvent, Page
from wenku.documents.pipeline import keywords as keywords_step
from wenku.documents.pipeline import render as render_step
from wenku.documents.pipeline import title as title_step
from wenku.documents.pipeline.convert import to_pdf
from wenku.documents.pipeline.detect import detect_format, reconcile_with_name
from wenku.documents.pipeline.errors import RejectedDocument

log = logging.getLogger(__name__)

Status = Document.Status


class UploadTooLarge(ValueError):
    pass


def max_upload_bytes() -> int:
    return settings.WENKU_MAX_UPLOAD_MB * 1024 * 1024


def ingest(
    owner,
    chunks: Iterable[bytes],
    filename: str,
    *,
    publish: bool = True,
    preview_pages: int | None = None,
) -> Document:
    """Store an upload content-addressed and queue it for processing.

    The same user uploading the same bytes again gets the existing document back;
    another user's identical file shares the stored blob but is a document of its own.
    """
    try:
        spooled = storage.spool(chunks, max_bytes=max_upload_bytes())
    except ValueError as exc:
        raise UploadTooLarge(str(exc)) from exc
    try:
        blob, _ = Blob.objects.get_or_create(sha256=spooled.sha256, defaults={"size": spooled.size})
        storage.store_original(spooled, blob.storage_name)
    finally:
        spooled.path.unlink(missing_ok=True)

    existing = Document.objects.filter(owner=owner, blob=blob).first()
    if existing is not None:
        return existing
    safe_name = clean_filename(filename)
    with transaction.atomic():
        document = Document.objects.create(
            owner=owner,
            blob=blob,
            original_filename=safe_name,
            title=title_step.title_from_filename(safe_name) or safe_name,
            preview_pages=preview_pages or settings.WENKU_DEFAULT_PREVIEW_PAGES,
            publish_when_ready=publish,
        )
        record(document, "", Status.QUEUED, actor=owner, reason="uploaded")
        enqueue_processing(document)
    return document


def ingest_path(owner, path: Path, **kwargs) -> Document:
    with path.open("rb") as handle:
        return ingest(owner, iter(lambda: handle.read(storage.CHUNK), b""), path.name, **kwargs)


def clean_filename(name: str) -> str:
    """The last component of a client-supplied name, never a path; Chinese and spaces kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    return base[:255] or "untitled"


def enqueue_processing(document: Document) -> None:
    from wenku.documents.tasks import process_document_task

    document_id = document.pk
    transaction.on_commit(lambda: process_document_task.enqueue(document_id))


def record(document: Document, from_status: str, to_status: str, *, actor=None, reason="") -> None:
    DocumentEvent.objects.create(
        document=document,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
    )


def lease_duration() -> timedelta:
    # Conversion is the longest step; leave room for rendering a long document.
    return timedelta(seconds=settings.WENKU_CONVERT_TIMEOUT * 2 + 300)


def claim(document_id: int) -> Document | None:
    """Take a queued (or abandoned) document for processing; None if someone else has it.

    The conditional UPDATE makes the claim atomic, so a worker and `wenku import
    --wait` can race for the same document and only one processes it.
    """
    now = timezone.now()
    abandoned = Q(status__in=Document.ACTIVE_STATES, lease_until__lt=now)
    claimable = Document.objects.filter(Q(status=Status.QUEUED) | abandoned, pk=document_id)
    updated = claimable.update(
        status=Status.CONVERTING,
        lease_until=now + lease_duration(),
        attempts=F("attempts") + 1,
        error_code="",
        error_message="",
    )
    if not updated:
        return None
    document = Document.objects.select_related("blob", "owner").get(pk=document_id)
    record(document, Status.QUEUED, Status.CONVERTING, reason=f"attempt {document.attempts}")
    return document


def advance(document: Document, to_status: str) -> None:
    """Move to the next stage and renew the lease."""
    from_status = document.status
    document.status = to_status
    document.lease_until = timezone.now() + lease_duration()
    document.save(update_fields=["status", "lease_until"])
    record(document, from_status, to_status)


def process_document(document_id: int) -> Document | None:
    """Run the whole pipeline for one document; idempotent, safe to call twice."""
    document = claim(document_id)
    if document is None:
        log.info("document not claimable, skipping document_id=%s", document_id)
        return None
    workdir = Path(tempfile.mkdtemp(prefix=f"doc{document_id}-", dir=settings.WENKU_TMP_DIR))
    try:
        _run_pipeline(document, workdir)
    except RejectedDocument as exc:
        fail(document, exc.code, exc.detail)
    except Exception as exc:  # the worker must survive any document
        log.exception("pipeline crashed document_id=%s", document_id)
        fail(document, "internal", f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return document


def _run_pipeline(document: Document, workdir: Path) -> None:
    original = storage.copy_to_local(
        storage.originals(), document.blob.storage_name, workdir / "original"
    )
    if document.blob.size == 0:
        raise RejectedDocument("empty", "0 bytes")
    detected = detect_format(original, max_unpacked_bytes=settings.WENKU_MAX_UNPACKED_MB << 20)
    detected = reconcile_with_name(detected, document.original_filename)
    document.format = detected.format
    document.save(update_fields=["format"])

    pdf = to_pdf(original, detected, workdir, timeout=settings.WENKU_CONVERT_TIMEOUT)

    advance(document, Status.RENDERING)
    rendered = render_step.render_pdf(
        pdf,
        workdir / "pages",
        max_pages=settings.WENKU_MAX_PAGES,
        processes=settings.WENKU_RENDER_PROCESSES,
    )

    advance(document, Status.ANALYZING)
    texts = [page.text for page in rendered.pages]
    full_text = render_step.join_page_texts(texts)
    properties_title = title_step.read_properties_title(original, detected.format, pdf)
    title = title_step.derive_title(document.original_filename, properties_title, full_text)
    words = keywords_step.extract_keywords(title, full_text)
    _save_results(document, rendered, title, words)


@transaction.atomic
def _save_results(document: Document, rendered, title: str, words: list[str]) -> None:
    page_store = storage.pages()
    document.pages.all().delete()
    _delete_page_images(document.pk)
    page_rows = []
    for page in rendered.pages:
        row = Page(
            document=document,
            number=page.number,
            width=page.width,
            height=page.height,
            text=page.text,
        )
        for size, data in page.images.items():
            page_store.save(row.image_name(size), ContentFile(data))
        page_rows.append(row)
    Page.objects.bulk_create(page_rows)

    from_status = document.status
    document.page_count = len(page_rows)
    document.title = title[:255]
    document.keywords = words
    document.status = Status.READY
    document.lease_until = None
    document.processed_at = timezone.now()
    if document.publish_when_ready and document.published_at is None:
        document.published_at = document.processed_at
    document.save()
    record(document, from_status, Status.READY, reason=f"{len(page_rows)} pages")
    # Inside the transaction, so the search index rolls back with the document.
    indexing.document_changed(document)


def _delete_page_images(document_id: int) -> None:
    page_store = storage.pages()
    prefix = str(document_id)
    if not page_store.exists(prefix):
        return
    _dirs, files = page_store.listdir(prefix)
    for name in files:
        page_store.delete(f"{prefix}/{name}")


def fail(document: Document, code: str, detail: str = "") -> None:
    from_status = document.status
    document.status = Status.FAILED
    document.error_code = code
    document.error_message = detail[:2000]
    document.lease_until = None
    document.processed_at = timezone.now()
    document.save(
        update_fields=["status", "error_code", "error_message", "lease_until", "processed_at"]
    )
    record(document, from_status, Status.FAILED, reason=f"{code}: {detail}"[:2000])
    indexing.document_changed(document)
    log.info("document failed document_id=%s code=%s detail=%s", document.pk, code, detail)


def reprocess(document: Document, *, actor=None) -> Document:
    """Queue a document again from its kept original (after a fix, or a failure)."""
    with transaction.atomic():
        from_status = document.status
        document.status = Status.QUEUED
        document.attempts = 0
        document.lease_until = None
        document.error_code = ""
        document.error_message = ""
        document.save(
            update_fields=["status", "attempts", "lease_until", "error_code", "error_message"]
        )
        record(document, from_status, Status.QUEUED, actor=actor, reason="reprocess requested")
        indexing.document_changed(document)  # out of search until it is ready again
        enqueue_processing(document)
    return document


def recover_stale() -> int:
    """Requeue documents whose worker died mid-task; fail those interrupted too often.

    Returns how many documents were touched.
    """
    now = timezone.now()
    stale = Document.objects.filter(status__in=Document.ACTIVE_STATES, lease_until__lt=now)
    touched = 0
    for document in stale:
        if document.attempts >= settings.WENKU_PROCESS_ATTEMPTS:
            fail(document, "interrupted", f"{document.attempts} attempts did not finish")
        else:
            with transaction.atomic():
                from_status = document.status
                updated = Document.objects.filter(
                    pk=document.pk, status=from_status, lease_until__lt=now
                ).update(status=Status.QUEUED, lease_until=None)
                if updated:
                    record(document, from_status, Status.QUEUED, reason="lease expired; retrying")
                    enqueue_processing(document)
        touched += 1
    return touched
