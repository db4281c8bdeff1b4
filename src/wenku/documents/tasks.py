"""Background tasks: thin wrappers that take primary keys and call services."""

from __future__ import annotations

from django_tasks import task

from wenku.documents import services


@task()
def process_document_task(document_id: int) -> str | None:
    """Process one document. Safe to run twice: the claim lets only one run do the work."""
    document = services.process_document(document_id)
    return document.status if document is not None else None
