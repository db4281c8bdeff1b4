"""What only the tantivy backend has to get right: an index outside the database,
shared by processes (the web server reads what the worker writes), one writer at a time."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import transaction

from wenku.discovery.indexing import document_changed
from wenku.discovery.search.base import IndexEntry
from wenku.discovery.search.tantivy import TantivyBackend

CHECKOUT = Path(__file__).resolve().parents[2]

# A process that writes ``count`` entries, one commit each, into the index at argv[1].
WRITER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from wenku.discovery.search import tantivy
    from wenku.discovery.search.base import IndexEntry

    tantivy._attributes = lambda ids: {}  # no database in this process
    backend = tantivy.TantivyBackend(sys.argv[1])
    first, count = int(sys.argv[2]), int(sys.argv[3])
    for document_id in range(first, first + count):
        backend.write([IndexEntry(document_id, "图书馆", "图书馆 馆藏", "")])
    """
)


def start_writer(index: Path, first: int, count: int, data_dir: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "wenku.settings",
        "WENKU_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(CHECKOUT / "src"),
    }
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(index), str(first), str(count)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_writing_at_once_take_turns(tmp_path):
    """GIVEN two processes committing entries into one index at the same time (the
    worker publishing while a moderator edits) THEN neither fails and nothing is lost."""
    index = tmp_path / "index"
    TantivyBackend(index)  # create it once, as the first process to start would
    writers = [start_writer(index, first, 15, tmp_path / "data") for first in (1, 1001)]

    for writer in writers:
        _out, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors

    assert TantivyBackend(index).count() == 30


def test_another_process_sees_what_a_worker_committed(tmp_path):
    """GIVEN a backend opened by this (web) process WHEN another process commits
    THEN this one's searches find it soon after, without reopening anything."""
    index = tmp_path / "index"
    reader = TantivyBackend(index)
    assert reader.count() == 0

    writer = start_writer(index, 1, 1, tmp_path / "data")
    _out, errors = writer.communicate(timeout=120)
    assert writer.returncode == 0, errors

    deadline = time.monotonic() + 10
    while reader.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reader.count() == 1


only_tantivy = pytest.mark.parametrize("backend", ["tantivy"], indirect=True)


@only_tantivy
def test_a_rolled_back_publication_never_reaches_the_index(backend, make_document):
    """GIVEN the index is written after commit WHEN the transaction publishing a
    document rolls back THEN the index never hears of it."""
    document = make_document("图书馆", "图书馆", published=False)

    with pytest.raises(RuntimeError), transaction.atomic():
        document.published_at = document.processed_at
        document.save()
        document_changed(document)
        raise RuntimeError("something after the publication failed")

    assert backend.count() == 0


@only_tantivy
def test_a_committed_change_is_read_from_the_database(backend, make_document):
    """The entry is built from the committed row, not from the caller's object."""
    document = make_document("天文观测", "图书馆")

    with transaction.atomic():
        document.title = "地理考察"
        document.save()
        document_changed(document)
        assert backend.search("地理").total == 0  # not before the commit
        document.title = "未保存的标题"  # changed in memory only

    assert [hit.document_id for hit in backend.search("地理").hits] == [document.pk]
    assert backend.search("未保存").total == 0


@only_tantivy
def test_an_update_waiting_for_a_rebuild_is_left_to_the_worker(
    backend, make_document, settings, monkeypatch
):
    """GIVEN another process holds the index (a `wenku reindex`) WHEN a request's
    change commits THEN the request does not wait minutes: it queues the update,
    and the worker's run of it, once the index is free, indexes the document."""
    from django_tasks import default_task_backend

    from wenku.discovery import indexing
    from wenku.discovery.search.tantivy import LOCK_FILE
    from wenku.discovery.tasks import sync_search_entry

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(indexing, "REQUEST_WAIT", 0.2)
    document = make_document("天文观测", "图书馆", published=False)
    with open(backend.path / LOCK_FILE, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        document.published_at = document.processed_at
        document.save()
        document_changed(document)  # autocommit: runs at once, finds the lock held

        queued = default_task_backend.results
        assert [result.args for result in queued] == [[document.pk]]
        assert backend.count() == 0

    sync_search_entry.call(document.pk)  # what the worker does
    assert [hit.document_id for hit in backend.search("天文").hits] == [document.pk]


def test_an_entry_replaces_the_previous_one(tmp_path, db):
    backend = TantivyBackend(tmp_path / "index")
    backend.write([IndexEntry(7, "天文", "天文", "")])
    backend.write([IndexEntry(7, "地理", "地理", "")])

    assert backend.count() == 1
