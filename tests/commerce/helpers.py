"""Builders for commerce tests: published documents with a stored original, and money."""

from __future__ import annotations

import hashlib
import os

from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from wenku.commerce import ledger, services
from wenku.documents import storage
from wenku.documents.models import Blob, Document

POSTGRES_REASON = (
    "needs PostgreSQL as the default database: "
    "WENKU_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wenku pytest -m postgres"
)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def make_document(
    owner,
    *,
    price: int = 0,
    content: bytes | None = None,
    filename: str = "社区图书馆建设方案.docx",
    published: bool = True,
    store: bool = True,
) -> Document:
    """A ready document whose original is on the originals storage."""
    content = content if content is not None else os.urandom(64) + filename.encode()
    sha = hashlib.sha256(content).hexdigest()
    blob, _ = Blob.objects.get_or_create(sha256=sha, defaults={"size": len(content)})
    if store and not storage.originals().exists(blob.storage_name):
        storage.originals().save(blob.storage_name, ContentFile(content))
    return Document.objects.create(
        owner=owner,
        blob=blob,
        original_filename=filename,
        title=filename.rsplit(".", 1)[0],
        format=filename.rsplit(".", 1)[-1],
        page_count=3,
        price=price,
        status=Document.Status.READY,
        published_at=timezone.now() if published else None,
    )


def fund(user, points: int) -> None:
    services.credit(user, points, reason="test funds")


def balance(user) -> int:
    return ledger.balance_of(user)
