"""The index follows the document lifecycle; `wenku reindex` rebuilds it."""

from __future__ import annotations

import io
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse

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


class _FormFields(HTMLParser):
    """The fields a browser would submit from a page's form, with their current values."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.data[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def test_an_admin_edit_and_delete_reach_the_index(
    backend, make_document, client, django_user_model
):
    """GIVEN an indexed document WHEN a moderator renames it in the admin THEN search
    finds the new title; WHEN they delete it THEN it leaves the index."""
    document = make_document("天文观测", "图书馆")
    boss = django_user_model.objects.create_superuser("boss", password="x")
    client.force_login(boss)
    url = reverse("admin:documents_document_change", args=[document.pk])
    form = _FormFields()
    form.feed(client.get(url).content.decode())
    form.data["title"] = "地理考察"

    response = client.post(url, form.data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert found(backend, "地理") == [document.pk]
    assert found(backend, "天文") == []

    delete = reverse("admin:documents_document_delete", args=[document.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert backend.count() == 0


@pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_rebuild_leaves_no_gin_pending_list(backend, make_document):
    """New GIN entries wait in a pending list every query reads through: a rebuild
    merges it, and the list stays short (migration 0003)."""
    from django.db import connection

    for n in range(5):
        make_document(f"图书馆{n}", "图书馆 博物馆")
    backend.rebuild()

    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list('discovery_pg_title_vector'::regclass)")
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'discovery_pg_search_vector'"
        )
        assert "gin_pending_list_limit=256" in cursor.fetchone()[0]
