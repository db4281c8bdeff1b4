"""Migrations that move index data: an existing site keeps what it had indexed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
LATEST = ("discovery", "0006_pg_filter_columns")  # the rest of the suite needs the latest


def migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@contextlib.contextmanager
def back_at(target: tuple[str, str]) -> Iterator[None]:
    """Run the block with the schema at ``target``; the latest comes back after it."""
    migrate(target)
    try:
        yield
    finally:
        migrate(LATEST)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 tables exist on SQLite only")
def test_the_related_table_is_filled_from_the_search_table():
    try:
        with back_at(("discovery", "0003_gin_pending_list")):
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO discovery_fts (rowid, title, body, keywords) "
                    "VALUES (7, '垃圾 分类', '正文', '垃圾 分类 乡村')"
                )
            migrate(("discovery", "0004_fts_related"))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT rowid FROM discovery_fts_related "
                    "WHERE discovery_fts_related MATCH '乡村'"
                )
                assert cursor.fetchall() == [(7,)]
    finally:
        with connection.cursor() as cursor:  # raw tables: the test flush does not empty them
            for table in ("discovery_fts", "discovery_fts_related"):
                cursor.execute(f"DELETE FROM {table} WHERE rowid = 7")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the keyword table exists on SQLite only")
def test_the_keyword_table_is_filled_from_existing_documents(django_user_model):
    from wenku.documents.models import Blob, Document

    with back_at(("discovery", "0004_fts_related")):
        owner = django_user_model.objects.create(username="owner")
        blob = Blob.objects.create(sha256="1" * 64, size=1)
        document = Document.objects.create(owner=owner, blob=blob, keywords=["函数", "极限"])
        migrate(("discovery", "0005_keyword_index"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT word, document_id FROM discovery_keyword ORDER BY word")
            assert sorted(cursor.fetchall()) == sorted(
                [("函数", document.pk), ("极限", document.pk)]
            )


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the keyword triggers exist on SQLite only"
)
def test_migrate_puts_back_keyword_triggers_a_table_rebuild_dropped(django_user_model):
    from django.core.management import call_command

    from wenku.discovery.views import with_keyword
    from wenku.documents.models import Blob, Document

    owner = django_user_model.objects.create(username="owner")
    blob = Blob.objects.create(sha256="2" * 64, size=1)
    before = Document.objects.create(owner=owner, blob=blob, keywords=["函数"])
    with connection.schema_editor() as editor:
        editor._remake_table(Document)  # what most field changes do to a SQLite table
    during = Document.objects.create(owner=owner, blob=blob, keywords=["函数"])
    assert set(with_keyword(Document.objects.all(), "函数")) == {before}  # triggers gone

    call_command("migrate", verbosity=0)

    assert set(with_keyword(Document.objects.all(), "函数")) == {before, during}
    after = Document.objects.create(owner=owner, blob=blob, keywords=["函数"])
    assert set(with_keyword(Document.objects.all(), "函数")) == {before, during, after}


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL index table")
def test_the_postgresql_index_gets_its_documents_filter_fields(django_user_model):
    from django.utils import timezone

    from wenku.documents.models import Blob, Document

    try:
        with back_at(("discovery", "0005_keyword_index")):
            owner = django_user_model.objects.create(username="owner")
            blob = Blob.objects.create(sha256="3" * 64, size=1)
            published = timezone.now()
            document = Document.objects.create(
                owner=owner, blob=blob, format="pdf", page_count=12, price=5, published_at=published
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO discovery_pg_search (document_id, title, body, title_vector, "
                    "search_vector, related_vector) VALUES (%s, '', '', '', '', '')",
                    [document.pk],
                )
            migrate(("discovery", "0006_pg_filter_columns"))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT format, price, page_count, published_at FROM discovery_pg_search"
                )
                assert cursor.fetchall() == [("pdf", 5, 12, published)]
    finally:
        with connection.cursor() as cursor:  # a raw table: the test flush does not empty it
            cursor.execute("DELETE FROM discovery_pg_search")
