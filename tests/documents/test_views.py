"""The web layer of documents: list, upload, status, detail, page images, download.

Documents here are made row by row (Blob, Document, Page, tiny WebP files) rather than
by running the pipeline, so these tests are fast and need no LibreOffice; the
end-to-end test in tests/e2e runs the real thing.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http.request import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from wenku.documents import storage
from wenku.documents.models import Blob, Document, DocumentEvent, Page
from wenku.documents.views import format_size

pytestmark = pytest.mark.django_db

PAGE_WIDTH, PAGE_HEIGHT = 794, 1123  # A4 at 96 DPI, what the renderer produces
SAMPLE_TITLE = "社区图书馆的周末阅读活动"


def _webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "WEBP")
    return buffer.getvalue()


def page_text(number: int) -> str:
    return f"第{number}页 社区图书馆\n周末的阅读角坐满了孩子和老人。\n借阅量比去年增加了12.5%。"


def make_document(
    owner,
    *,
    pages: int = 3,
    status: str = Document.Status.READY,
    published: bool = True,
    preview_pages: int = 10,
    title: str = SAMPLE_TITLE,
    filename: str | None = None,
    content: bytes | None = None,
    keywords: list[str] | None = None,
    error_code: str = "",
    error_message: str = "",
) -> Document:
    """A document as the pipeline would leave it, with tiny page images on storage."""
    content = content if content is not None else f"original of {title} {owner}".encode()
    sha256 = hashlib.sha256(content).hexdigest()
    blob, _ = Blob.objects.get_or_create(sha256=sha256, defaults={"size": len(content)})
    if not storage.originals().exists(blob.storage_name):
        storage.originals().save(blob.storage_name, ContentFile(content))
    ready = status == Document.Status.READY
    document = Document.objects.create(
        owner=owner,
        blob=blob,
        original_filename=filename or f"{title}.docx",
        title=title,
        format="docx",
        page_count=pages if ready else 0,
        keywords=keywords if keywords is not None else ["社区", "图书馆", "阅读"],
        preview_pages=preview_pages,
        status=status,
        error_code=error_code,
        error_message=error_message,
        published_at=timezone.now() if ready and published else None,
    )
    if ready:
        large, thumb = _webp(8, 11), _webp(4, 6)
        for number in range(1, pages + 1):
            page = Page.objects.create(
                document=document,
                number=number,
                width=PAGE_WIDTH,
                height=PAGE_HEIGHT,
                text=page_text(number),
            )
            storage.pages().save(page.image_name("large"), ContentFile(large))
            storage.pages().save(page.image_name("thumb"), ContentFile(thumb))
    return document


def page_url(document: Document, number: int | str, size: str = "large") -> str:
    # Built by hand so tests can try URLs that reverse() would refuse to build.
    return f"/d/{document.pk}/pages/{number}-{size}.webp"


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


# --- home -------------------------------------------------------------------------------


def test_home_lists_published_documents_newest_first(client, user):
    older = make_document(user, title="旧文档")
    newer = make_document(user, title="新文档")
    Document.objects.filter(pk=older.pk).update(published_at=timezone.now().replace(year=2020))
    make_document(user, title="未发布的文档", published=False)
    make_document(user, title="处理中的文档", status=Document.Status.RENDERING)

    response = client.get("/")

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("新文档") < body.index("旧文档")
    assert "未发布的文档" not in body
    assert "处理中的文档" not in body
    assert reverse("documents:page_image", args=[newer.pk, 1, "thumb"]) in body
    assert "DOCX" in body


def test_home_query_count_does_not_grow_with_documents(client, user, django_assert_num_queries):
    """GIVEN many published documents WHEN the home page renders THEN a fixed number of
    queries — the newest page and its count, four ranking aggregates — whatever the
    number of rows (no per-document queries)."""
    for number in range(6):
        make_document(user, title=f"文档{number}", pages=1)

    with django_assert_num_queries(6):
        response = client.get("/")

    assert response.status_code == 200
    assert response.content.decode().count('class="doc-card"') == 6


def test_a_long_home_list_is_counted_once_a_minute_and_still_shows_new_documents(
    client, user, monkeypatch
):
    monkeypatch.setattr("wenku.documents.paging.CachedCountPaginator.cache_from", 2)
    monkeypatch.setattr("wenku.documents.views.HOME_PAGE_SIZE", 2)
    for number in range(3):
        make_document(user, title=f"旧文档{number}", pages=1)
    client.get("/")  # counts 3, and keeps the count

    make_document(user, title="新文档", pages=1)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/").content.decode()

    assert not [q for q in queries if "COUNT(*)" in q["sql"].upper()]
    assert "新文档" in body


def test_a_short_home_list_is_counted_every_time(client, user):
    make_document(user, title="第一篇", pages=1)
    client.get("/")

    make_document(user, title="第二篇", pages=1)
    body = client.get("/").content.decode()

    assert "第一篇" in body and "第二篇" in body


def test_home_is_paginated(client, user, monkeypatch):
    monkeypatch.setattr("wenku.documents.views.HOME_PAGE_SIZE", 2)
    for number in range(5):
        make_document(user, title=f"文档{number}", pages=1)

    first = client.get("/").content.decode()
    last = client.get("/?page=3").content.decode()

    assert first.count('class="doc-card"') == 2
    assert last.count('class="doc-card"') == 1
    assert "?page=2" in first


# --- upload -------------------------------------------------------------------------------


def test_upload_page_requires_login(client):
    response = client.get("/upload/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_upload_by_script_without_session_gets_json_401(client):
    response = client.post(
        "/upload/", {"file": SimpleUploadedFile("a.txt", b"hi")}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 401
    assert "error" in response.json()


def test_upload_page_shows_limit_and_accepted_types(client, user, settings):
    settings.WENKU_MAX_UPLOAD_MB = 7
    body = login(client, user).get("/upload/").content.decode()
    assert 'data-max-bytes="7340032"' in body
    assert 'accept=".pdf,.doc,.docx' in body
    assert "7 MB" in body
    assert 'id="upload-messages"' in body


def test_upload_returns_json_for_the_script(client, user):
    login(client, user)
    upload = SimpleUploadedFile("社区图书馆.txt", "周末阅读活动".encode())

    response = client.post("/upload/", {"file": upload}, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    data = response.json()
    document = Document.objects.get(pk=data["id"])
    assert document.owner == user
    assert document.original_filename == "社区图书馆.txt"
    assert data["url"] == f"/d/{document.pk}/"
    assert data["status_url"] == f"/d/{document.pk}/status.json"
    assert data["status"] == document.status


def test_upload_without_javascript_redirects_to_the_document(client, user):
    login(client, user)
    upload = SimpleUploadedFile("notes.txt", b"plain text notes")

    response = client.post("/upload/", {"file": upload}, HTTP_ACCEPT="text/html,*/*;q=0.8")

    document = Document.objects.get(owner=user)
    assert response.status_code == 302
    assert response["Location"] == f"/d/{document.pk}/"


def test_upload_over_limit_is_refused_before_the_body_is_parsed(
    client, user, settings, monkeypatch
):
    """GIVEN a 1 MB limit WHEN a 2 MB file is posted THEN 413 with a JSON error, decided
    from Content-Length alone: the multipart body is never parsed."""
    settings.WENKU_MAX_UPLOAD_MB = 1
    login(client, user)

    def parse_forbidden(request):
        raise AssertionError("the body of an oversized upload must not be parsed")

    monkeypatch.setattr(HttpRequest, "_load_post_and_files", parse_forbidden)
    upload = SimpleUploadedFile("big.pdf", b"x" * (2 * 1024 * 1024))

    response = client.post("/upload/", {"file": upload}, HTTP_ACCEPT="application/json")

    assert response.status_code == 413
    assert "1 MB" in response.json()["error"]
    assert not Document.objects.exists()


def test_upload_just_over_limit_is_refused_while_spooling(client, user, settings):
    """Content-Length passes the early check (multipart allowance), the exact limit is
    enforced by ingest() and reported the same way."""
    settings.WENKU_MAX_UPLOAD_MB = 1
    login(client, user)
    upload = SimpleUploadedFile("edge.pdf", b"x" * (1024 * 1024 + 10))

    response = client.post("/upload/", {"file": upload}, HTTP_ACCEPT="application/json")

    assert response.status_code == 413
    assert response.json()["error"]
    assert not Document.objects.exists()
    assert not Blob.objects.exists()


def test_upload_over_limit_without_javascript_shows_the_form_again(client, user, settings):
    settings.WENKU_MAX_UPLOAD_MB = 1
    login(client, user)
    upload = SimpleUploadedFile("big.pdf", b"x" * (2 * 1024 * 1024))

    response = client.post("/upload/", {"file": upload}, HTTP_ACCEPT="text/html")

    assert response.status_code == 413
    assert 'id="upload-form"' in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [{}, {"file": SimpleUploadedFile("empty.docx", b"")}, {"other": "field"}],
    ids=["nothing", "empty-file", "wrong-field"],
)
def test_upload_without_a_file_is_a_400(client, user, data):
    login(client, user)
    response = client.post("/upload/", data, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Document.objects.exists()


def test_upload_requires_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = client.get("/upload/").cookies["csrftoken"].value

    refused = client.post(
        "/upload/", {"file": SimpleUploadedFile("a.txt", b"a")}, HTTP_ACCEPT="application/json"
    )
    accepted = client.post(
        "/upload/",
        {"file": SimpleUploadedFile("a.txt", b"a")},
        HTTP_ACCEPT="application/json",
        HTTP_X_CSRFTOKEN=token,
    )

    assert refused.status_code == 403
    assert accepted.status_code == 200


# --- status -------------------------------------------------------------------------------


def test_status_json_of_a_processing_document_for_its_owner(client, user):
    document = make_document(user, status=Document.Status.ANALYZING)

    data = login(client, user).get(f"/d/{document.pk}/status.json").json()

    assert data["id"] == document.pk
    assert data["status"] == "analyzing"
    assert data["status_label"] == "提取文本"
    assert data["finished"] is False
    assert data["error"] is None
    assert data["url"] == f"/d/{document.pk}/"
    assert "thumb_url" not in data


def test_status_json_of_a_ready_document_has_a_thumbnail(client, user):
    document = make_document(user, pages=4)

    data = client.get(f"/d/{document.pk}/status.json").json()

    assert data["status"] == "ready"
    assert data["page_count"] == 4
    assert data["thumb_url"] == f"/d/{document.pk}/pages/1-thumb.webp"
    assert client.get(data["thumb_url"]).status_code == 200


def test_status_json_of_a_failed_document_gives_the_human_message(client, user):
    document = make_document(
        user, status=Document.Status.FAILED, error_code="encrypted", error_message="msoffcrypto"
    )
    login(client, user)

    chinese = client.get(f"/d/{document.pk}/status.json").json()
    english = client.get(f"/d/{document.pk}/status.json", HTTP_ACCEPT_LANGUAGE="en").json()

    assert chinese["status"] == "failed"
    assert "密码" in chinese["error"]
    assert english["error"].startswith("The file is password-protected")
    assert "msoffcrypto" not in json.dumps(chinese)  # technical detail stays out


def test_status_json_is_only_for_those_who_may_see_the_document(client, user, other_user):
    document = make_document(user, status=Document.Status.QUEUED)

    assert client.get(f"/d/{document.pk}/status.json").status_code == 404
    assert login(client, other_user).get(f"/d/{document.pk}/status.json").status_code == 404


def test_status_fragment_polls_while_processing(client, user):
    document = make_document(user, status=Document.Status.CONVERTING)

    body = login(client, user).get(f"/d/{document.pk}/status/").content.decode()

    assert 'hx-trigger="every 2s"' in body
    assert "转换中" in body


def test_status_fragment_stops_polling_and_refreshes_when_ready(client, user):
    document = make_document(user)

    response = client.get(f"/d/{document.pk}/status/", HTTP_HX_REQUEST="true")

    assert "hx-trigger" not in response.content.decode()
    assert response["HX-Refresh"] == "true"


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_the_metadata(client, user):
    document = make_document(
        user, pages=11, content=b"x" * 23716, keywords=["社区图书馆", "周末阅读"]
    )

    response = client.get(f"/d/{document.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert SAMPLE_TITLE in body
    assert f"<dd>{document.pk}</dd>" in body
    assert "23.16KB" in body
    assert "11页" in body
    assert "DOCX" in body
    assert timezone.localtime(document.created_at).strftime("%Y-%m-%d") in body
    assert "reader" in body  # the uploader
    assert "社区图书馆" in body and "周末阅读" in body
    assert "分享" in body and "下载文档" in body
    assert f'href="/d/{document.pk}/download/"' in body


def test_detail_shows_the_initial_pages_and_their_text(client, user, settings):
    settings.WENKU_INITIAL_PREVIEW_PAGES = 3
    document = make_document(user, pages=5, preview_pages=4)

    body = client.get(f"/d/{document.pk}/").content.decode()

    for number in (1, 2, 3):
        assert f'src="/d/{document.pk}/pages/{number}-large.webp"' in body
    assert "/pages/4-large.webp" not in body
    assert f'width="{PAGE_WIDTH}" height="{PAGE_HEIGHT}"' in body
    assert 'loading="lazy"' in body
    assert 'alt="第1页 社区图书馆 周末的阅读角坐满了孩子和老人。' in body
    # the text of every previewable page (4), not of the fifth
    assert "借阅量比去年增加了12.5%。" in body
    assert "第4页 社区图书馆" in body
    assert "第5页" not in body
    assert f'hx-get="/d/{document.pk}/more/"' in body
    assert "收起" in body
    assert "可预览 4 页，共 5 页" in body


def test_detail_without_more_pages_has_no_expand_button(client, user, settings):
    settings.WENKU_INITIAL_PREVIEW_PAGES = 3
    document = make_document(user, pages=2)

    body = client.get(f"/d/{document.pk}/").content.decode()

    assert "/more/" not in body


def test_unpublished_document_is_hidden_from_others(client, user, other_user, staff):
    document = make_document(user, published=False)
    url = f"/d/{document.pk}/"

    assert client.get(url).status_code == 404
    assert login(Client(), other_user).get(url).status_code == 404
    assert login(Client(), user).get(url).status_code == 200
    assert login(Client(), staff).get(url).status_code == 200


def test_missing_document_is_404(client):
    assert client.get("/d/999999/").status_code == 404
    assert client.get("/d/99999999999999999999999/").status_code == 404  # beyond int64


def test_detail_of_a_processing_document_polls_its_status(client, user):
    document = make_document(user, status=Document.Status.RENDERING)

    body = login(client, user).get(f"/d/{document.pk}/").content.decode()

    assert f'hx-get="/d/{document.pk}/status/"' in body
    assert "渲染中" in body
    assert "/pages/" not in body


def test_failed_document_shows_the_message_and_reprocess_to_the_owner(client, user, staff):
    document = make_document(
        user, status=Document.Status.FAILED, error_code="corrupt", error_message="zip: bad CRC"
    )

    for viewer in (user, staff):
        body = login(Client(), viewer).get(f"/d/{document.pk}/").content.decode()
        assert "文件已损坏" in body
        assert "zip: bad CRC" in body
        assert f'action="/d/{document.pk}/reprocess/"' in body
        assert "重新处理" in body
        assert "hx-trigger" not in body  # finished: no polling


# --- 展开 fragment ---------------------------------------------------------------------------


def test_more_pages_fragment_has_only_the_allowed_pages_beyond_the_initial_ones(
    client, user, other_user, settings
):
    settings.WENKU_INITIAL_PREVIEW_PAGES = 3
    document = make_document(user, pages=8, preview_pages=5)
    url = f"/d/{document.pk}/more/"

    for reader in (client, login(Client(), other_user)):
        body = reader.get(url).content.decode()
        shown = [n for n in range(1, 9) if f"/pages/{n}-large.webp" in body]
        assert shown == [4, 5]
        assert "<html" not in body  # a fragment, not a page

    owner_body = login(Client(), user).get(url).content.decode()
    assert [n for n in range(1, 9) if f"/pages/{n}-large.webp" in owner_body] == [4, 5, 6, 7, 8]


def test_more_pages_of_unpublished_document_is_404_for_others(client, user):
    document = make_document(user, pages=6, published=False)
    assert client.get(f"/d/{document.pk}/more/").status_code == 404


# --- page images -------------------------------------------------------------------------


def test_page_image_is_served_as_private_webp(client, user):
    document = make_document(user, pages=1)

    response = client.get(page_url(document, 1, "large"))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content).startswith(b"RIFF")
    assert client.get(page_url(document, 1, "thumb")).status_code == 200


def test_page_beyond_preview_is_only_for_owner_and_staff(client, user, other_user, staff):
    document = make_document(user, pages=5, preview_pages=2)
    inside, beyond = page_url(document, 2), page_url(document, 3)

    assert client.get(inside).status_code == 200
    assert client.get(beyond).status_code == 404
    assert login(Client(), other_user).get(beyond).status_code == 404
    assert login(Client(), user).get(beyond).status_code == 200
    assert login(Client(), staff).get(beyond).status_code == 200
    assert login(Client(), staff).get(page_url(document, 5, "thumb")).status_code == 200


def test_pages_of_unpublished_document_are_only_for_owner_and_staff(
    client, user, other_user, staff
):
    document = make_document(user, pages=2, published=False)
    url = page_url(document, 1)

    assert client.get(url).status_code == 404
    assert login(Client(), other_user).get(url).status_code == 404
    assert login(Client(), user).get(url).status_code == 200
    assert login(Client(), staff).get(url).status_code == 200


def test_pages_of_a_failed_document_are_not_served(client, user):
    document = make_document(user, pages=2)
    Document.objects.filter(pk=document.pk).update(status=Document.Status.FAILED)
    assert login(client, user).get(page_url(document, 1)).status_code == 404


def test_nonexistent_page_is_404_even_for_the_owner(client, user):
    document = make_document(user, pages=2)
    assert login(client, user).get(page_url(document, 3)).status_code == 404


def test_page_whose_image_file_is_missing_is_404(client, user):
    document = make_document(user, pages=1)
    storage.pages().delete(Page.objects.get(document=document).image_name("large"))
    assert client.get(page_url(document, 1)).status_code == 404


@pytest.mark.parametrize(
    "number, size",
    [
        ("0", "large"),
        ("-1", "large"),
        ("abc", "large"),
        ("1.0", "large"),
        ("1", "huge"),
        ("1", "large/../../00001-large"),
        ("..%2F1", "large"),
        ("2%00", "large"),
        ("1", "large.webp%00"),
        ("99999999999999999999", "large"),
    ],
)
def test_page_url_tricks_are_404(client, user, staff, number, size):
    document = make_document(user, pages=2)
    url = page_url(document, number, size)
    assert client.get(url).status_code == 404
    assert login(Client(), staff).get(url).status_code == 404


# --- download -----------------------------------------------------------------------------


def test_download_requires_login(client, user):
    document = make_document(user)
    response = client.get(f"/d/{document.pk}/download/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_download_streams_the_original_with_its_chinese_name(client, user, other_user):
    content = "原文件的字节".encode() * 100
    document = make_document(user, content=content, filename="社区 图书馆 报告.docx")

    # The button's URL redirects to the reader's signed link (see tests/commerce).
    response = login(client, other_user).get(f"/d/{document.pk}/download/", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith("/download/")
    assert b"".join(response.streaming_content) == content
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('社区 图书馆 报告.docx', safe='')}" in disposition


def test_download_of_hidden_or_unready_documents_is_404(client, user, other_user):
    unpublished = make_document(user, published=False)
    processing = make_document(user, title="处理中", status=Document.Status.CONVERTING)
    login(client, other_user)

    assert client.get(f"/d/{unpublished.pk}/download/").status_code == 404
    assert client.get(f"/d/{processing.pk}/download/").status_code == 404
    assert login(Client(), user).get(f"/d/{processing.pk}/download/").status_code == 404


def test_download_of_a_corrupted_original_is_refused(client, user, caplog):
    document = make_document(user, content=b"the real bytes")
    originals = storage.originals()
    originals.delete(document.blob.storage_name)
    originals.save(document.blob.storage_name, ContentFile(b"the rotten bytes"))

    with caplog.at_level(logging.ERROR, logger="wenku.commerce.views.buying"):
        response = login(client, user).get(f"/d/{document.pk}/download/", follow=True)

    assert response.status_code == 500
    assert b"rotten" not in response.content
    assert "failed verification" in caplog.text


def test_download_of_a_missing_original_is_refused(client, user):
    document = make_document(user)
    storage.originals().delete(document.blob.storage_name)
    assert login(client, user).get(f"/d/{document.pk}/download/", follow=True).status_code == 500


# --- reprocess ----------------------------------------------------------------------------


def test_owner_can_reprocess_a_failed_document(client, user):
    document = make_document(user, status=Document.Status.FAILED, error_code="timeout")

    response = login(client, user).post(f"/d/{document.pk}/reprocess/")

    document.refresh_from_db()
    assert response.status_code == 302
    assert document.status == Document.Status.QUEUED
    assert document.error_code == ""
    assert DocumentEvent.objects.filter(document=document, actor=user).exists()


def test_others_cannot_reprocess(client, user, other_user):
    document = make_document(user, status=Document.Status.FAILED, error_code="timeout")

    assert client.post(f"/d/{document.pk}/reprocess/").status_code == 302  # to login
    assert login(client, other_user).post(f"/d/{document.pk}/reprocess/").status_code == 404
    document.refresh_from_db()
    assert document.status == Document.Status.FAILED


def test_reprocess_requires_post(client, user):
    document = make_document(user, status=Document.Status.FAILED, error_code="timeout")
    assert login(client, user).get(f"/d/{document.pk}/reprocess/").status_code == 405


def test_a_document_being_processed_is_not_requeued(client, user):
    document = make_document(user, status=Document.Status.CONVERTING)
    login(client, user).post(f"/d/{document.pk}/reprocess/")
    document.refresh_from_db()
    assert document.status == Document.Status.CONVERTING


# --- admin --------------------------------------------------------------------------------


def test_admin_lists_documents_and_reprocesses_selected(admin_client, user):
    failed = make_document(user, status=Document.Status.FAILED, error_code="timeout")
    busy = make_document(user, title="处理中", status=Document.Status.RENDERING)
    url = reverse("admin:documents_document_changelist")

    listing = admin_client.get(url, {"status__exact": "failed", "q": "社区"})
    assert listing.status_code == 200
    assert SAMPLE_TITLE in listing.content.decode()
    assert (
        admin_client.get(reverse("admin:documents_document_change", args=[failed.pk])).status_code
        == 200
    )

    admin_client.post(
        url, {"action": "reprocess_selected", "_selected_action": [failed.pk, busy.pk]}
    )

    failed.refresh_from_db()
    busy.refresh_from_db()
    assert failed.status == Document.Status.QUEUED
    assert busy.status == Document.Status.RENDERING


def test_admin_page_and_blob_lists_load(admin_client, user):
    make_document(user, pages=1)
    assert admin_client.get(reverse("admin:documents_page_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:documents_blob_changelist")).status_code == 200


# --- language -----------------------------------------------------------------------------


def test_pages_are_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<html lang="zh-hans">' in chinese
    assert ">上传<" in chinese and ">登录<" in chinese
    assert '<html lang="en">' in english
    assert ">Upload<" in english and ">Log in<" in english
    assert "上传" not in english


def test_language_switch_in_the_footer_sets_the_language(client):
    body = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in body
    assert 'value="en"' in body

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert ">Upload<" in client.get("/").content.decode()


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size, shown",
    [(0, "0B"), (1023, "1023B"), (23716, "23.16KB"), (1536 * 1024, "1.50MB"), (3 << 30, "3.00GB")],
)
def test_format_size(size, shown):
    assert format_size(size) == shown
