"""Serving originals: signed links, Range, conditional requests, X-Accel-Redirect,
verification and the download log."""

from __future__ import annotations

import hashlib
import os
from unittest import mock
from urllib.parse import unquote

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client
from django.utils.http import http_date

from tests.commerce.helpers import fund, make_document
from wenku.commerce import downloads, services
from wenku.commerce.downloads import ByteRange, Unsatisfiable, parse_range
from wenku.commerce.models import BlobVerification, DownloadLog
from wenku.documents import storage

CONTENT = bytes(range(256)) * 40  # 10,240 bytes, every offset distinguishable
NAME = "社区图书馆 建设方案(终稿).docx"


# --- pure functions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("BYTES = 5 - 9", ByteRange(5, 9)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("", None),
        ("bytes=9-5", None),  # invalid: ignored
        ("bytes=0-1,5-6", None),  # multiple ranges: served whole
        ("items=0-5", None),
        ("bytes=-", None),
        ("bytes=a-b", None),
        ("bytes=+5-", None),
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(header):
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


def test_content_disposition_keeps_chinese_names():
    value = downloads.content_disposition(NAME)
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in value
    encoded = value.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == NAME
    assert all(ord(c) < 128 for c in value)  # header values must be ASCII
    assert 'filename="document.docx"' in downloads.content_disposition("方案.docx")
    assert 'filename="report 2024.pdf"' in downloads.content_disposition("report 2024.pdf")
    assert downloads.content_disposition('a"b.txt').startswith('attachment; filename="a_b.txt";')


def test_tokens_name_user_and_document():
    user, document = mock.Mock(pk=7), mock.Mock(pk=42)
    token = downloads.signed_token(user, document)
    assert downloads.read_token(token) == (7, 42)
    with pytest.raises(signing.BadSignature):
        downloads.read_token(token.replace("7-42", "8-42"))


# --- the view -------------------------------------------------------------------------


@pytest.fixture
def document(author):
    return make_document(author, price=0, content=CONTENT, filename=NAME)


@pytest.fixture
def reader_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def link(user, document) -> str:
    return downloads.download_url(user, document)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.django_db
class TestDownloadView:
    def test_full_download(self, reader_client, user, document):
        response = reader_client.get(link(user, document))

        assert response.status_code == 200
        assert body(response) == CONTENT
        assert response["Content-Length"] == str(len(CONTENT))
        assert response["Accept-Ranges"] == "bytes"
        assert response["ETag"] == f'"{hashlib.sha256(CONTENT).hexdigest()}"'
        assert response["Last-Modified"] == http_date(document.blob.created_at.timestamp())
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        assert "private" in response["Cache-Control"]
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")

    def test_a_range(self, reader_client, user, document):
        response = reader_client.get(link(user, document), HTTP_RANGE="bytes=100-199")

        assert response.status_code == 206
        assert body(response) == CONTENT[100:200]
        assert response["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
        assert response["Content-Length"] == "100"

    def test_open_and_suffix_ranges(self, reader_client, user, document):
        url = link(user, document)
        assert body(reader_client.get(url, HTTP_RANGE="bytes=10000-")) == CONTENT[10000:]
        assert body(reader_client.get(url, HTTP_RANGE="bytes=-16")) == CONTENT[-16:]

    def test_unsatisfiable_range(self, reader_client, user, document):
        response = reader_client.get(link(user, document), HTTP_RANGE="bytes=20000-")
        assert response.status_code == 416
        assert response["Content-Range"] == f"bytes */{len(CONTENT)}"

    def test_if_range_with_the_current_etag_resumes(self, reader_client, user, document):
        etag = f'"{document.blob.sha256}"'
        response = reader_client.get(
            link(user, document), HTTP_RANGE="bytes=5-9", HTTP_IF_RANGE=etag
        )
        assert response.status_code == 206 and body(response) == CONTENT[5:10]

    def test_if_range_with_a_stale_validator_sends_the_whole_file(
        self, reader_client, user, document
    ):
        url = link(user, document)
        stale_etag = reader_client.get(url, HTTP_RANGE="bytes=5-9", HTTP_IF_RANGE='"old"')
        assert stale_etag.status_code == 200 and body(stale_etag) == CONTENT
        stale_date = reader_client.get(
            url, HTTP_RANGE="bytes=5-9", HTTP_IF_RANGE="Sat, 01 Jan 2000 00:00:00 GMT"
        )
        assert stale_date.status_code == 200
        current_date = reader_client.get(
            url,
            HTTP_RANGE="bytes=5-9",
            HTTP_IF_RANGE=http_date(document.blob.created_at.timestamp()),
        )
        assert current_date.status_code == 206

    def test_if_none_match_gives_304(self, reader_client, user, document):
        response = reader_client.get(
            link(user, document), HTTP_IF_NONE_MATCH=f'"{document.blob.sha256}"'
        )
        assert response.status_code == 304

    def test_head(self, reader_client, user, document):
        response = reader_client.head(link(user, document))
        assert response.status_code == 200
        assert response["Content-Length"] == str(len(CONTENT))
        assert not DownloadLog.objects.exists()

    def test_x_accel_redirect(self, settings, reader_client, user, document):
        settings.WENKU_X_ACCEL_REDIRECT = True
        response = reader_client.get(link(user, document), HTTP_RANGE="bytes=100-")

        assert response.status_code == 200
        assert response.content == b""
        assert response["X-Accel-Redirect"] == f"/_originals/{document.blob.storage_name}"
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        row = DownloadLog.objects.get()
        assert (row.via, row.range_start, row.counted) == ("accel", 100, False)

    def test_another_users_link_is_404(self, reader_client, other_user, document):
        assert reader_client.get(link(other_user, document)).status_code == 404

    def test_a_forged_or_guessed_link_is_404(self, reader_client, user, document):
        token = downloads.signed_token(user, document)
        forged = token.replace(f"-{document.pk}:", f"-{document.pk + 1}:")
        assert reader_client.get(f"/download/{forged}/x.docx").status_code == 404
        assert reader_client.get(f"/download/{user.pk}-{document.pk}/x.docx").status_code == 404

    def test_an_expired_link_is_403(self, settings, reader_client, user, document):
        url = link(user, document)
        settings.WENKU_DOWNLOAD_LINK_MAX_AGE = -1
        response = reader_client.get(url)
        assert response.status_code == 403
        assert document.get_absolute_url().encode() in response.content

    def test_logged_out_goes_to_login(self, user, document):
        response = Client().get(link(user, document))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_an_unbought_priced_document_is_404_even_with_a_signed_link(
        self, reader_client, user, author
    ):
        priced = make_document(author, price=10)
        assert reader_client.get(link(user, priced)).status_code == 404
        fund(user, 10)
        services.purchase(user, priced, "k")
        assert reader_client.get(link(user, priced)).status_code == 200

    def test_a_corrupted_original_is_never_served(self, reader_client, user, document):
        name = document.blob.storage_name
        storage.originals().delete(name)
        storage.originals().save(name, ContentFile(b"x" * len(CONTENT)))

        response = reader_client.get(link(user, document))

        assert response.status_code == 500
        assert CONTENT[:100] not in response.content
        assert not DownloadLog.objects.exists()

    def test_verification_is_cached_per_blob(self, reader_client, user, document):
        url = link(user, document)
        with mock.patch.object(storage, "verify_sha256", wraps=storage.verify_sha256) as verify:
            reader_client.get(url)
            reader_client.get(url, HTTP_RANGE="bytes=0-9")
            reader_client.get(url)
        assert verify.call_count == 1
        assert BlobVerification.objects.filter(blob=document.blob).exists()

    def test_a_changed_file_is_hashed_again(self, reader_client, user, document):
        url = link(user, document)
        assert reader_client.get(url).status_code == 200
        path = storage.originals().path(document.blob.storage_name)
        with open(path, "r+b") as handle:  # same size, different bytes, new mtime
            handle.write(b"\xff")
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert reader_client.get(url).status_code == 500

    def test_download_counts(self, reader_client, user, other_user, document):
        reader_client.get(link(user, document))
        reader_client.get(link(user, document), HTTP_RANGE="bytes=5000-")  # a resume
        reader_client.get(link(user, document), HTTP_RANGE="bytes=0-99")  # a fresh start
        other = Client()
        other.force_login(other_user)
        other.get(link(other_user, document))

        assert downloads.download_count(document) == 3
        assert downloads.user_download_count(user) == 2
        assert downloads.user_download_count(other_user) == 1
        assert DownloadLog.objects.count() == 4

    def test_start_download_redirects_by_entitlement(self, reader_client, user, author, document):
        response = reader_client.get(f"/d/{document.pk}/get/")
        assert response.status_code == 302
        assert response["Location"].startswith("/download/")
        priced = make_document(author, price=10)
        response = reader_client.get(f"/d/{priced.pk}/get/")
        assert response["Location"] == f"/d/{priced.pk}/buy/"
