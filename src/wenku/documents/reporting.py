"""How a document is described to operators: the JSON the CLI prints."""

from __future__ import annotations

from typing import Any

from wenku.documents.models import Document
from wenku.documents.pipeline.errors import message_for

# What the CLI calls each internal state: still working, ready, or failed.
CLI_STATUS = {
    Document.Status.READY: "ready",
    Document.Status.FAILED: "failed",
    Document.Status.QUEUED: "queued",
}


def describe(document: Document, *, path: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": document.pk,
        "status": CLI_STATUS.get(document.status, "processing"),
        "stage": document.status,
        "format": document.format or None,
        "pages": document.page_count,
        "size": document.blob.size,
        "sha256": document.blob.sha256,
        "title": document.title,
        "keywords": document.keywords,
        "published": document.is_published,
        "error": message_for(document.error_code) if document.error_code else None,
        "error_code": document.error_code or None,
        "error_detail": document.error_message or None,
    }
    if path is not None:
        data = {"path": path, **data}
    return data
