"""Bad input gets a clear error and loses nothing; none of it crashes anything."""

from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest

from tests.documents.factories import (
    ingest_bytes,
    ingest_file,
    pdf_with_pages,
    processed,
    zero_page_pdf,
)
from wenku.documents import services, storage
from wenku.documents.models import Blob, Document
from wenku.documents.pipeline.errors import message_for

pytestmark = pytest.mark.django_db
Status = Document.Status


def outcome(document: Document) -> tuple[str, str]:
    document.refresh_from_db()
    return document.status, document.error_code


def test_empty_file(user):
    assert outcome(ingest_bytes(user, b"", "空文件.docx")) == (Status.FAILED, "empty")


def test_zero_page_pdf(user, tmp_path):
    document = ingest_file(user, zero_page_pdf(tmp_path / "zero.pdf"))
    assert outcome(document) == (Status.FAILED, "no_pages")


def test_password_protected_pdf(user, tmp_path):
    path = pdf_with_pages(tmp_path / "plain.pdf", 1)
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(path) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="owner-secret"))
    assert outcome(ingest_file(user, locked)) == (Status.FAILED, "encrypted")


def test_owner_password_only_pdf_opens(user, tmp_path):
    path = pdf_with_pages(tmp_path / "plain.pdf", 2)
    restricted = tmp_path / "restricted.pdf"
    with pikepdf.open(path) as pdf:
        pdf.save(restricted, encryption=pikepdf.Encryption(user="", owner="owner-secret"))
    assert outcome(ingest_file(user, restricted)) == (Status.READY, "")


def test_truncated_pdf_is_repaired_or_rejected_as_corrupt(user, tmp_path):
    data = pdf_with_pages(tmp_path / "whole.pdf", 4).read_bytes()
    status, code = outcome(ingest_bytes(user, data[: len(data) // 2], "truncated.pdf"))
    assert (status, code) in {(Status.READY, ""), (Status.FAILED, "corrupt")}


def test_corrupt_zip_named_docx(user):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>" * 500)
        archive.writestr("word/document.xml", "<w:document/>" * 500)
    data = buffer.getvalue()
    assert outcome(ingest_bytes(user, data[: len(data) // 2], "报告.docx")) == (
        Status.FAILED,
        "corrupt",
    )


def test_file_whose_extension_lies_is_handled_by_its_real_type(user, tmp_path):
    data = pdf_with_pages(tmp_path / "real.pdf", 2).read_bytes()
    document = ingest_bytes(user, data, "看起来像文档.docx")
    assert outcome(document) == (Status.READY, "")
    assert document.format == "pdf"


def test_executable_is_unsupported(user):
    elf = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8
    assert outcome(ingest_bytes(user, elf, "setup.pdf")) == (Status.FAILED, "unsupported")
    exe = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 8
    assert outcome(ingest_bytes(user, exe, "setup.exe")) == (Status.FAILED, "unsupported")


def test_zip_bomb_disguised_as_docx(user, settings):
    settings.WENKU_MAX_UNPACKED_MB = 20
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w") as member:
            for _ in range(30):
                member.write(b"\0" * (1 << 20))
    document = ingest_bytes(user, buffer.getvalue(), "年度总结.docx")
    assert outcome(document) == (Status.FAILED, "xmlbomb")


def test_oversized_upload_is_refused_before_it_is_stored(user, settings):
    settings.WENKU_MAX_UPLOAD_MB = 1
    with pytest.raises(services.UploadTooLarge):
        ingest_bytes(user, b"x" * (1024 * 1024 + 1), "big.txt")
    assert not Blob.objects.exists()
    assert not Document.objects.exists()


def test_filename_with_chinese_spaces_and_path_separators(user, tmp_path):
    data = pdf_with_pages(tmp_path / "x.pdf", 1).read_bytes()
    document = ingest_bytes(user, data, "../../etc/季度 报告\\2024 年 终稿.pdf")
    assert document.original_filename == "2024 年 终稿.pdf"
    assert outcome(document) == (Status.READY, "")
    assert document.title == "2024 年 终稿"


@pytest.mark.slow
def test_three_hundred_page_document(user, tmp_path):
    document = ingest_file(user, pdf_with_pages(tmp_path / "long.pdf", 300))
    assert outcome(document) == (Status.READY, "")
    assert document.page_count == 300
    assert storage.pages().exists(document.pages.get(number=300).image_name("large"))


def test_page_limit_is_enforced(user, tmp_path, settings):
    settings.WENKU_MAX_PAGES = 5
    document = ingest_file(user, pdf_with_pages(tmp_path / "six.pdf", 6))
    assert outcome(document) == (Status.FAILED, "too_many_pages")


def test_every_error_code_has_a_human_message():
    from wenku.documents.pipeline.errors import MESSAGES

    for code in MESSAGES:
        assert message_for(code) and not message_for(code).startswith(code)


def test_original_altered_in_storage_is_never_processed(user, tmp_path, settings):
    """GIVEN a stored original whose bytes were altered after upload
    WHEN it is processed THEN it fails, saying the stored bytes do not match."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    document = services.ingest_path(user, pdf_with_pages(tmp_path / "a.pdf", 1))
    path = storage.originals().path(document.blob.storage_name)
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"tampered")
    document = processed(document)
    assert (document.status, document.error_code) == (Status.FAILED, "internal")
    assert "do not match their sha256" in document.error_message
    assert not document.pages.exists()
