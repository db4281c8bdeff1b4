"""The index follows the document lifecycle; `wenku reindex` rebuilds it."""

from __future__ import annotations

import io

from django.core.management import call_command

from wenku.discovery.indexing import document_changed, document_deleted
from wenku.documents.models import Document


def found(backend, query: str) -> list[int]:
    return [hit.document_id for hit in backend.search(query).hits]


def test_unpublishing_removes_from_the_index(backend, make_document):
    document = make_document("图书馆", "图书馆")
    assert found(backend, "图书馆") == [document.pk]

    document.published_at = None
    document.save()
    document_changed(document)

    assert found(backend, "图书馆") == []
    assert backend.count() == 0


def test_failing_removes_from_the_index(backend, make_document):
    document = make_document("图书馆", "图书馆")

    document.status = Document.Status.FAILED
    document.save()
    document_changed(document)

    assert backend.count() == 0


def test_reprocessing_replaces_the_entry(backend, make_document):
    """GIVEN an indexed document WHEN its text and title change and it is indexed again
    THEN the new words are found and the old ones are not."""
    document = make_document("天文观测", "图书馆")
    document.title = "地理考察"
    document.pages.update(text="博物馆")
    document.keywords = ["博物馆"]
    document.save()

    document_changed(document)

    assert found(backend, "博物馆") == [document.pk]
    assert found(backend, "图书馆") == []
    assert found(backend, "天文") == []
    assert backend.count() == 1


def test_deleting_removes_from_the_index(backend, make_document):
    document = make_document("图书馆", "图书馆")

    document_deleted(document.pk)

    assert backend.count() == 0


def test_an_index_failure_never_fails_the_caller(backend, make_document, monkeypatch, caplog):
    document = make_document("图书馆", "图书馆")

    def broken(_document):
        raise RuntimeError("index down")

    monkeypatch.setattr(backend, "index_document", broken)
    document_changed(document)  # no exception

    assert "search index update failed" in caplog.text
    assert Document.objects.filter(pk=document.pk).exists()


def test_reindex_command_rebuilds_from_published_documents(backend, make_document):
    published = make_document("图书馆", "图书馆")
    make_document("图书馆草稿", "图书馆", published=False)
    backend.clear()
    assert found(backend, "图书馆") == []

    out = io.StringIO()
    call_command("reindex", "--workers", "1", stdout=out)

    assert found(backend, "图书馆") == [published.pk]
    assert backend.count() == 1
    assert "indexed 1 documents" in out.getvalue()
