"""The PostgreSQL index under concurrent sessions: writes racing an edit, a rebuild
while another session holds the table."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, transaction

from wenku.discovery.search.base import entry_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL sessions"),
]


@pytest.fixture
def postgres_backend(settings):
    from wenku.discovery.search import get_backend, reset_backend

    settings.WENKU_SEARCH_BACKEND = "wenku.discovery.search.postgres.PostgresBackend"
    reset_backend()
    yield get_backend()
    reset_backend()


def other_session() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})


def indexed_price(document_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT price FROM discovery_pg_search WHERE document_id = %s", [document_id]
        )
        return cursor.fetchone()[0]


def test_an_entry_written_during_an_edit_gets_the_edit(postgres_backend, make_document):
    """A write (say a rebuild's batch) racing an uncommitted edit of the same document
    waits for it and copies the edited row, never the version before it."""
    document = make_document("图书馆", "图书馆")
    editor = other_session()

    def write() -> None:
        try:
            postgres_backend.write([entry_for(document)])
        finally:
            connection.close()  # this thread's own

    writer = threading.Thread(target=write)
    try:
        editor.execute("UPDATE documents_document SET price = 5 WHERE id = %s", [document.pk])
        writer.start()
        time.sleep(0.3)  # the writer now waits for the editor's row lock
        assert writer.is_alive()
        editor.commit()
    finally:
        editor.close()  # rolls back what is not committed, so nothing waits forever
        if writer.is_alive() or writer.ident:
            writer.join(10)

    assert indexed_price(document.pk) == 5


def test_a_rebuild_does_not_queue_searches_behind_a_busy_table(
    postgres_backend, make_document, monkeypatch
):
    """TRUNCATE would wait for the table, and every search behind it: it gives up
    after CLEAR_LOCK_WAIT and deletes the rows instead."""
    from wenku.discovery.search import postgres

    monkeypatch.setattr(postgres, "CLEAR_LOCK_WAIT", "200ms")
    make_document("图书馆", "图书馆")
    reader = other_session()
    reader.execute("SELECT count(*) FROM discovery_pg_search")  # holds ACCESS SHARE
    try:
        started = time.monotonic()
        with transaction.atomic():
            postgres_backend.clear()
        assert time.monotonic() - started < 5
        assert postgres_backend.count() == 0
    finally:
        reader.rollback()
        reader.close()
