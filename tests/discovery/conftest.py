"""Every discovery test runs once per search backend; the SQL ones skip unless their
database is the default, tantivy runs on any (its index is a directory per test).

The suite runs twice in CI: on SQLite (FTS5 and tantivy tests), and with
WENKU_DATABASE_URL=postgresql://… for the tests marked ``postgres``.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from wenku.discovery.indexing import document_changed
from wenku.discovery.search import get_backend, reset_backend
from wenku.documents.models import Blob, Document, Page
from wenku.documents.pipeline.keywords import extract_keywords

BACKENDS = {
    "fts5": ("wenku.discovery.search.sqlite.Fts5Backend", "sqlite"),
    "postgres": ("wenku.discovery.search.postgres.PostgresBackend", "postgresql"),
    "tantivy": ("wenku.discovery.search.tantivy.TantivyBackend", None),
}


@pytest.fixture(params=["fts5", pytest.param("postgres", marks=pytest.mark.postgres), "tantivy"])
def backend(request, settings, tmp_path):
    path, vendor = BACKENDS[request.param]
    if vendor is None:
        # Written after commit: the test's writes must really commit. (The marker,
        # because pytest-django decides from markers and static fixture names.)
        request.node.add_marker(pytest.mark.django_db(transaction=True))
    request.getfixturevalue("db")
    if vendor is None and connection.in_atomic_block:
        pytest.fail(
            "the tantivy backend needs committed writes, but this test already has a "
            "non-transactional database (a module-level django_db mark?)"
        )
    if vendor is not None and connection.vendor != vendor:
        pytest.skip(
            f"{request.param} search backend needs a {vendor} database (default is "
            f"{connection.vendor}); for PostgreSQL run "
            "WENKU_DATABASE_URL=postgresql://… pytest -m postgres"
        )
    settings.WENKU_SEARCH_BACKEND = path
    settings.WENKU_SEARCH_INDEX_DIR = tmp_path / "search-index"
    reset_backend()
    yield get_backend()
    reset_backend()


_serial = itertools.count()


@pytest.fixture
def uploader(django_user_model):
    # No password: hashing one costs a third of a second per test.
    return django_user_model.objects.create(username="uploader")


@pytest.fixture
def make_document(uploader):
    """Build a processed document straight in the database (no converter) and index it."""

    def make(
        title: str,
        *pages: str,
        format: str = "pdf",
        published: bool = True,
        keywords: list[str] | None = None,
        age_days: int = 0,
        owner=None,
    ) -> Document:
        number = next(_serial)
        blob, _ = Blob.objects.get_or_create(
            sha256=hashlib.sha256(f"{number}".encode()).hexdigest(), defaults={"size": 1}
        )
        now = timezone.now() - timedelta(days=age_days)
        document = Document.objects.create(
            owner=owner or uploader,
            blob=blob,
            original_filename=f"{title}.{format}",
            title=title,
            format=format,
            page_count=len(pages),
            keywords=keywords if keywords is not None else extract_keywords(title, "".join(pages)),
            status=Document.Status.READY,
            processed_at=now,
            published_at=now if published else None,
        )
        Page.objects.bulk_create(
            Page(document=document, number=n, width=595, height=842, text=text)
            for n, text in enumerate(pages, start=1)
        )
        document_changed(document)
        return document

    return make
