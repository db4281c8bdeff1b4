"""Background tasks of discovery: thin wrappers that take primary keys."""

from __future__ import annotations

from django_tasks import task

from wenku.discovery import indexing


@task()
def sync_search_entry(document_id: int) -> None:
    """Bring one document's index entry up to date, waiting for the index as long as it takes."""
    indexing.sync_committed(document_id, wait=None)
