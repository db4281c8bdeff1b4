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
            lease_until=timezone.now() + queue_grace(),
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
    # Conversion is the longest step (it may run twice: warm, then the cold retry);
    # the margin leaves room for rendering a long document.
    return timedelta(seconds=settings.WENKU_CONVERT_TIMEOUT * 2 + settings.WENKU_LEASE_MARGIN)


def claim(document_id: int) -> Document | None:
    """Take a queued (or abandoned) document for processing; None if someone else has it.

    The conditional UPDATE makes the claim atomic, so a worker and `wenku import
    --wait` can race for the same document and only one processes it.
    """
    now = timezone.now()
    abandoned = Q(status__in=Document.ACTIVE_STATES, lease_until__lt=now)
    claimable = Document.objects.filter(Q(status=Status.QUEUED) | abandoned, pk=document_id)
    previous = claimable.values_list("status", "lease_until").first()
    if previous is None:
        return None
    updated = claimable.filter(status=previous[0], lease_until=previous[1]).update(
        status=Status.CONVERTING,
        lease_until=now + lease_duration(),
        attempts=F("attempts") + 1,
        error_code="",
        error_message="",
    )
    if not updated:
        return None
    document = Document.objects.select_related("blob", "owner").get(pk=document_id)
    record(document, previous[0], Status.CONVERTING, reason=f"attempt {document.attempts}")
    return document


class LeaseLost(Exception):
    """Another run took the document over (our lease expired) or it was requeued."""


def _holding(document: Document):
    """The row as this run last left it: matches only while the run still owns it."""
    return Document.objects.filter(
        pk=document.pk, status=document.status, lease_until=document.lease_until
    )


def advance(document: Document, to_status: str) -> None:
    """Move to the next stage and renew the lease, if this run still owns the document."""
    from_status = document.status
    lease_until = timezone.now() + lease_duration()
    if not _holding(document).update(status=to_status, lease_until=lease_until):
        raise LeaseLost(f"document {document.pk} left {from_status}")
    document.status, document.lease_until = to_status, lease_until
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
    except LeaseLost as exc:
        log.warning("lease lost, result dropped document_id=%s reason=%s", document_id, exc)
    except RejectedDocument as exc:
        _fail_if_holding(document, exc.code, exc.detail)
    except Exception as exc:  # the worker must survive any document
        log.exception("pipeline crashed document_id=%s", document_id)
        _fail_if_holding(document, "internal", f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return document


def _run_pipeline(document: Document, workdir: Path) -> None:
    original = storage.copy_to_local(
        storage.originals(),
        document.blob.storage_name,
        workdir / "original",
        sha256=document.blob.sha256,
    )
    if document.blob.size == 0:
        raise RejectedDocument("empty", "0 bytes")
    detected = detect_format(original, max_unpacked_bytes=settings.WENKU_MAX_UNPACKED_MB << 20)
    detected = reconcile_with_name(detected, document.original_filename)
    if not _holding(document).update(format=detected.format):
        raise LeaseLost(f"document {document.pk} was taken over while detecting")
    document.format = detected.format

    pdf = to_pdf(original, detected, workdir, timeout=settings.WENKU_CONVERT_TIMEOUT)

    advance(document, Status.RENDERING)
    rendered = render_step.render_pdf(
        pdf,
        max_pages=settings.WENKU_MAX_PAGES,
        processes=settings.WENKU_RENDER_PROCESSES,
    )

    advance(document, Status.ANALYZING)
    # Keywords are shown to everyone, so they come from the pages everyone may read.
    public = [page.text for page in rendered.pages[: document.preview_pages]]
    public_text = render_step.join_page_texts(public)
    properties_title = title_step.read_properties_title(original, detected.format, pdf)
    title = title_step.derive_title(document.original_filename, properties_title, public_text)
    words = keywords_step.extract_keywords(title, public_text)
    _save_results(document, rendered, title, words)


@transaction.atomic
def _save_results(document: Document, rendered, title: str, words: list[str]) -> None:
    # Lock the row first: a run whose lease was taken over must not touch the pages
    # or the images of the run that took it.
    if not _holding(document).select_for_update().exists():
        raise LeaseLost(f"document {document.pk} was taken over before saving")
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

    # Only the pipeline's own fields: the owner may have changed the price, the
    # preview or the category while the document was processing.
    from_status = document.status
    now = timezone.now()
    fields = {
        "page_count": len(page_rows),
        "title": title[:255],
        "keywords": words,
        "status": Status.READY,
        "lease_until": None,
        "processed_at": now,
    }
    if document.publish_when_ready and document.published_at is None:
        fields["published_at"] = now
    Document.objects.filter(pk=document.pk).update(**fields)
    document.refresh_from_db()
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
    """Mark a document failed with a reason a person understands (the original is kept)."""
    _mark_failed(Document.objects.filter(pk=document.pk), document, code, detail)


def _fail_if_holding(document: Document, code: str, detail: str) -> bool:
    """Fail the document unless another run took it over meanwhile."""
    if _mark_failed(_holding(document), document, code, detail):
        return True
    log.warning("lease lost, failure dropped document_id=%s code=%s", document.pk, code)
    return False


def _mark_failed(rows, document: Document, code: str, detail: str) -> bool:
    """Write the failure through ``rows`` (the document's row, perhaps conditional);
    False when the condition no longer holds and nothing was written."""
    from_status = document.status
    fields = {
        "status": Status.FAILED,
        "error_code": code,
        "error_message": detail[:2000],
        "lease_until": None,
        "processed_at": timezone.now(),
    }
    if not rows.update(**fields):
        return False
    for name, value in fields.items():
        setattr(document, name, value)
    record(document, from_status, Status.FAILED, reason=f"{code}: {detail}"[:2000])
    indexing.document_changed(document)
    log.info("document failed document_id=%s code=%s detail=%s", document.pk, code, detail)
    return True


def reprocess(document: Document, *, actor=None) -> Document:
    """Queue a document again from its kept original (after a fix, or a failure)."""
    with transaction.atomic():
        from_status = document.status
        document.status = Status.QUEUED
        document.attempts = 0
        document.lease_until = timezone.now() + queue_grace()
        document.error_code = ""
        document.error_message = ""
        document.save(
            update_fields=["status", "attempts", "lease_until", "error_code", "error_message"]
        )
        record(document, from_status, Status.QUEUED, actor=actor, reason="reprocess requested")
        indexing.document_changed(document)  # out of search until it is ready again
        enqueue_processing(document)
    return document


def queue_grace() -> timedelta:
    """How long a document may wait in the queue before its task is presumed lost."""
    return timedelta(seconds=settings.WENKU_QUEUE_GRACE)


def recover_stale() -> int:
    """Requeue documents whose worker died mid-task, fail those interrupted too often,
    and enqueue again documents whose task was lost (queued past their grace time).

    Returns how many documents were touched.
    """
    now = timezone.now()
    touched = 0
    stale = Document.objects.filter(
        status__in=(*Document.ACTIVE_STATES, Status.QUEUED), lease_until__lt=now
    )
    for document in stale:
        if document.status == Status.QUEUED:
            touched += _enqueue_again(document, now)
        elif document.attempts >= settings.WENKU_PROCESS_ATTEMPTS:
            touched += _fail_if_holding(
                document, "interrupted", f"{document.attempts} attempts did not finish"
            )
        else:
            touched += _requeue(document, now)
    return touched


def _requeue(document: Document, now) -> bool:
    with transaction.atomic():
        from_status = document.status
        if not _holding(document).update(status=Status.QUEUED, lease_until=now + queue_grace()):
            return False
        record(document, from_status, Status.QUEUED, reason="lease expired; retrying")
        enqueue_processing(document)
    return True


def _enqueue_again(document: Document, now) -> bool:
    with transaction.atomic():
        if not _holding(document).update(lease_until=now + queue_grace()):
            return False
        record(document, Status.QUEUED, Status.QUEUED, reason="still queued; task enqueued again")
        enqueue_processing(document)
    return True
