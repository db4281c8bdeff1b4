"""Format detection decides by the bytes, and refuses what must never reach a converter."""

from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest

from tests.corpus import CORPUS_DIR, corpus_files, require_corpus
from wenku.documents.pipeline.detect import detect_format, reconcile_with_name
from wenku.documents.pipeline.errors import RejectedDocument
from wenku.documents.pipeline.formats import DetectedFormat

MB = 1024 * 1024

# What each corpus file detects as: a DetectedFormat, or the code it is rejected with.
CORPUS_EXPECTED: dict[str, DetectedFormat | str] = {
    "doc-01-mixed-zh-properties.doc": DetectedFormat("doc"),
    "doc-02-en-equation-editor.doc": DetectedFormat("doc"),
    "doc-03-ru-gov-report-31p.doc": DetectedFormat("doc"),
    "doc-04-en-macro.doc": DetectedFormat("doc"),
    "doc-05-encrypted-cryptoapi.doc": "encrypted",
    "docx-01-zh-formulas-tables.docx": DetectedFormat("docx"),
    "docx-02-zh-ssd-design.docx": DetectedFormat("docx"),
    "docx-03-en-omml-equations.docx": DetectedFormat("docx"),
    "docx-04-en-handbook-many-pages.docx": DetectedFormat("docx"),
    "docx-05-en-embedded-fonts.docx": DetectedFormat("docx"),
    "docx-06-encrypted-agile.docx": "encrypted",
    "docx-07-truncated.docx": "corrupt",
    "epub-01-en-mathml.epub": DetectedFormat("epub"),
    "epub-02-ja-vertical.epub": DetectedFormat("epub"),  # font obfuscation only: not DRM
    "epub-03-en-embedded-fonts.epub": DetectedFormat("epub"),
    "epub-04-missing-container.epub": "corrupt",
    "odp-01-mixed-zh-charts.odp": DetectedFormat("odp"),
    "odp-02-en-macro.odp": DetectedFormat("odp"),
    "odt-01-mixed-zh-200-charts.odt": DetectedFormat("odt"),
    "odt-02-en-formula.odt": DetectedFormat("odt"),
    # 24 bytes of English text named .odt: by its bytes it is a text file, and a
    # mislabeled file is handled by its real type (the manifest expects "corrupt").
    "odt-03-not-a-zip.odt": DetectedFormat("txt", "utf-8"),
    "odt-04-encrypted-aes.odt": "encrypted",
    "pdf-01-zh-thesis-formulas.pdf": DetectedFormat("pdf"),
    "pdf-02-zh-ustcthesis-guide.pdf": DetectedFormat("pdf"),
    "pdf-03-zh-gb2312-font-no-tounicode.pdf": DetectedFormat("pdf"),
    "pdf-04-en-paper-formulas.pdf": DetectedFormat("pdf"),
    "pdf-05-en-gov-manual-400p.pdf": DetectedFormat("pdf"),
    "pdf-06-scanned-no-text.pdf": DetectedFormat("pdf"),
    "pdf-07-owner-password-only.pdf": DetectedFormat("pdf"),
    # Detection does not open PDFs: the PDF step rejects these two (encrypted, corrupt).
    "pdf-08-encrypted-user-password.pdf": DetectedFormat("pdf"),
    "pdf-09-fuzzed-corrupt.pdf": DetectedFormat("pdf"),
    "pdf-10-bad-xref-repairable.pdf": DetectedFormat("pdf"),
    "ppt-01-zh-physics-demo.ppt": DetectedFormat("ppt"),
    "ppt-02-ja-mixed-fonts.ppt": DetectedFormat("ppt"),
    # msoffcrypto cannot parse PowerPoint 95; the streams still say it is a PPT.
    "ppt-03-en-ppt95-legacy.ppt": DetectedFormat("ppt"),
    "ppt-04-encrypted.ppt": "encrypted",
    "pptx-01-zh-author-card.pptx": DetectedFormat("pptx"),
    "pptx-02-mixed-tables-charts-formula.pptx": DetectedFormat("pptx"),
    "pptx-03-en-geometry-lecture.pptx": DetectedFormat("pptx"),
    "pptx-04-encrypted.pptx": "encrypted",
    "rtf-01-zh-simsun-cp936.rtf": DetectedFormat("rtf"),
    "rtf-02-en-images.rtf": DetectedFormat("rtf"),
    "rtf-03-de-court-decision-79p.rtf": DetectedFormat("rtf"),
    "txt-01-zh-gb2312.txt": DetectedFormat("txt", "gb18030"),
    "txt-02-mixed-multilingual-udhr.txt": DetectedFormat("txt", "utf-8"),
    "txt-03-empty.txt": "empty",
    "xls-01-mixed-zh-provinces.xls": DetectedFormat("xls"),
    "xls-02-zh-import-template.xls": DetectedFormat("xls"),
    "xls-03-encrypted-xor.xls": "encrypted",
    "xlsx-01-zh-bank-statistics.xlsx": DetectedFormat("xlsx"),
    "xlsx-02-wps-cell-images.xlsx": DetectedFormat("xlsx"),
    "xlsx-03-encrypted.xlsx": "encrypted",
    "xlsx-04-xml-bomb.xlsx": "xmlbomb",
}
# Where detection knowingly differs from the manifest's verdict (see the comments above).
MANIFEST_DEVIATIONS = {
    "odt-03-not-a-zip.odt",
    "pdf-08-encrypted-user-password.pdf",
    "pdf-09-fuzzed-corrupt.pdf",
}

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Hello</w:t></w:r></w:p></w:body></w:document>"
)
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<root>&lol3;</root>"""
CHINESE = "文库是一个文档分享网站，用户可以上传、预览和下载文档。中华人民共和国。\n" * 20
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def write_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def write_docx(path: Path, document_xml: str = DOCUMENT_XML) -> Path:
    return write_zip(
        path, {"[Content_Types].xml": CONTENT_TYPES, "word/document.xml": document_xml}
    )


def write_epub(path: Path, chapter: str, **extra: str) -> Path:
    members = {
        "mimetype": "application/epub+zip",
        "META-INF/container.xml": '<?xml version="1.0"?><container version="1.0"/>',
        "OEBPS/content.opf": '<?xml version="1.0"?><package version="2.0"/>',
        "OEBPS/chapter.xhtml": chapter,
        **extra,
    }
    return write_zip(path, members)


def write_zeros_member(path: Path, name: str, size: int) -> Path:
    """A docx whose extra member is ``size`` zero bytes, streamed to keep memory flat."""
    write_docx(path)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w") as member,
    ):
        for _ in range(size // MB):
            member.write(bytes(MB))
    return path


def rejection(path: Path, **kwargs: int) -> RejectedDocument:
    with pytest.raises(RejectedDocument) as caught:
        detect_format(path, **kwargs)
    assert caught.value.detail  # operators always get the technical cause
    return caught.value


# --- The real corpus ---------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_file_is_detected_by_its_bytes(name: str) -> None:
    require_corpus()
    expected = CORPUS_EXPECTED[name]
    if isinstance(expected, DetectedFormat):
        assert detect_format(CORPUS_DIR / name) == expected
    else:
        assert rejection(CORPUS_DIR / name).code == expected


@pytest.mark.corpus
def test_every_corpus_file_has_an_expectation_that_matches_the_manifest() -> None:
    require_corpus()
    for entry in corpus_files():
        expected = CORPUS_EXPECTED[entry.id]
        if entry.id in MANIFEST_DEVIATIONS:
            continue
        if entry.expected.startswith("should-reject:"):
            assert expected == entry.expected.removeprefix("should-reject:"), entry.id
        else:
            assert isinstance(expected, DetectedFormat), entry.id
            assert expected.format == entry.format, entry.id


@pytest.mark.corpus
def test_ole_file_that_is_not_office_is_unsupported(tmp_path: Path) -> None:
    require_corpus()
    # Rename the only stream of a real XLS: a valid OLE2 file that holds no workbook.
    data = (CORPUS_DIR / "xls-01-mixed-zh-provinces.xls").read_bytes()
    data = data.replace("Workbook".encode("utf-16-le"), "Somethng".encode("utf-16-le"))
    assert rejection(write(tmp_path / "thing.xls", data)).code == "unsupported"


# --- Mislabeled files ------------------------------------------------------------------------


def test_docx_named_pdf_is_a_docx(tmp_path: Path) -> None:
    assert detect_format(write_docx(tmp_path / "report.pdf")) == DetectedFormat("docx")


def test_pdf_named_docx_is_a_pdf(tmp_path: Path) -> None:
    assert detect_format(write(tmp_path / "report.docx", MINIMAL_PDF)) == DetectedFormat("pdf")


def test_pdf_header_after_leading_junk_is_a_pdf(tmp_path: Path) -> None:
    path = write(tmp_path / "junk.pdf", b"\x00" * 100 + MINIMAL_PDF)
    assert detect_format(path) == DetectedFormat("pdf")


def test_rtf_with_bom_and_leading_whitespace_named_doc_is_rtf(tmp_path: Path) -> None:
    path = write(tmp_path / "letter.doc", b"\xef\xbb\xbf\r\n  {\\rtf1\\ansi Hello}")
    assert detect_format(path) == DetectedFormat("rtf")


# --- Zip packages ----------------------------------------------------------------------------


def test_zip_bomb_disguised_as_docx_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write_zeros_member(tmp_path / "bomb.docx", "word/media/zeros.bin", 60 * MB)
    assert path.stat().st_size < MB
    error = rejection(path, max_unpacked_bytes=50 * MB)
    assert error.code == "xmlbomb"
    assert "unpacks to" in error.detail


def test_member_with_extreme_compression_ratio_is_a_zip_bomb(tmp_path: Path) -> None:
    path = write_zeros_member(tmp_path / "bomb.docx", "word/media/zeros.bin", 11 * MB)
    error = rejection(path)
    assert error.code == "xmlbomb"
    assert "compressed" in error.detail


def test_small_highly_compressible_member_is_fine(tmp_path: Path) -> None:
    path = write_zeros_member(tmp_path / "blank.docx", "word/media/blank.bmp", 5 * MB)
    assert detect_format(path) == DetectedFormat("docx")


def test_xml_bomb_in_docx_document_is_refused(tmp_path: Path) -> None:
    error = rejection(write_docx(tmp_path / "laughs.docx", BILLION_LAUGHS))
    assert error.code == "xmlbomb"
    assert "word/document.xml" in error.detail


def test_external_entity_in_ooxml_is_refused(tmp_path: Path) -> None:
    xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    path = write_zip(tmp_path / "xxe.xlsx", {"[Content_Types].xml": CONTENT_TYPES, "xl/a.xml": xxe})
    assert rejection(path).code == "xmlbomb"


def test_dtd_hidden_behind_a_huge_comment_is_refused(tmp_path: Path) -> None:
    padded = '<?xml version="1.0"?><!--' + " " * (2 * MB) + "-->" + BILLION_LAUGHS.split("\n", 1)[1]
    path = write_zip(
        tmp_path / "padded.pptx", {"[Content_Types].xml": CONTENT_TYPES, "ppt/p.xml": padded}
    )
    assert rejection(path).code == "xmlbomb"


def test_truncated_zip_is_corrupt(tmp_path: Path) -> None:
    data = write_docx(tmp_path / "whole.docx").read_bytes()
    assert rejection(write(tmp_path / "cut.docx", data[: len(data) // 2])).code == "corrupt"


def test_zip_with_password_protected_members_is_encrypted(tmp_path: Path) -> None:
    data = bytearray(write_docx(tmp_path / "plain.docx").read_bytes())
    # Set the "encrypted" flag (bit 0 of the general purpose flags) in every header.
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + flag_offset] |= 0x01
            start = data.find(signature, start + 4)
    assert rejection(write(tmp_path / "locked.docx", bytes(data))).code == "encrypted"


def test_zip_that_is_not_a_document_is_unsupported(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "photos.docx", {"a.txt": "hello", "b/c.jpg": b"\xff\xd8\xff"})
    assert rejection(path).code == "unsupported"


def test_empty_zip_archive_is_unsupported(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "nothing.docx", {})
    assert rejection(path).code == "unsupported"


def test_odf_is_known_by_its_mimetype_member(tmp_path: Path) -> None:
    content = '<?xml version="1.0"?><office:document-content xmlns:office="urn:x"/>'
    for mimetype, fmt in (
        ("application/vnd.oasis.opendocument.text", "odt"),
        ("application/vnd.oasis.opendocument.presentation", "odp"),
        ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ):
        path = write_zip(tmp_path / "doc.bin", {"mimetype": mimetype, "content.xml": content})
        assert detect_format(path) == DetectedFormat(fmt)


def test_other_odf_kinds_are_unsupported(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "drawing.odt", {"mimetype": "application/vnd.oasis.opendocument.graphics"}
    )
    assert rejection(path).code == "unsupported"


def test_epub_may_declare_plain_character_entities(tmp_path: Path) -> None:
    chapter = (
        '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY nbsp "&#160;">]>'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>a&nbsp;b</p></body></html>'
    )
    assert detect_format(write_epub(tmp_path / "book.epub", chapter)) == DetectedFormat("epub")


def test_xml_bomb_in_epub_is_refused(tmp_path: Path) -> None:
    assert rejection(write_epub(tmp_path / "book.epub", BILLION_LAUGHS)).code == "xmlbomb"


def test_epub_drm_is_encrypted_but_font_obfuscation_is_not(tmp_path: Path) -> None:
    def encryption(algorithm: str) -> str:
        return f'<encryption><EncryptionMethod Algorithm="{algorithm}"/></encryption>'

    chapter = '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>'
    fonts = encryption("http://www.idpf.org/2008/embedding")
    path = write_epub(tmp_path / "fonts.epub", chapter, **{"META-INF/encryption.xml": fonts})
    assert detect_format(path) == DetectedFormat("epub")
    aes = encryption("http://www.w3.org/2001/04/xmlenc#aes128-cbc")
    path = write_epub(tmp_path / "drm.epub", chapter, **{"META-INF/encryption.xml": aes})
    assert rejection(path).code == "encrypted"


# --- OLE2 -----------------------------------------------------------------------------------


def test_damaged_ole_file_is_corrupt(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    assert rejection(path).code == "corrupt"


# --- Plain text and binaries --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (CHINESE.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), "utf-8-sig"),
        (CHINESE.encode("gbk"), "gb18030"),
        (CHINESE.encode("utf-16"), "utf-16"),  # native byte order, with BOM
        (b"\xfe\xff" + CHINESE.encode("utf-16-be"), "utf-16"),
        ("人人生而自由，在尊嚴和權利上一律平等。\n".encode("big5") * 10, "big5"),
        (b"plain ASCII text\n", "utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "utf16", "utf16-be", "big5", "ascii"],
)
def test_text_encoding_is_found(tmp_path: Path, data: bytes, encoding: str) -> None:
    detected = detect_format(write(tmp_path / "notes.doc", data))
    assert detected == DetectedFormat("txt", encoding)
    assert data.decode(encoding).strip()


def test_western_legacy_text_is_text(tmp_path: Path) -> None:
    text = "Où est la bibliothèque ? À bientôt, chère amie, déjà l'été.\n" * 20
    detected = detect_format(write(tmp_path / "lettre.txt", text.encode("cp1252")))
    assert detected.format == "txt"
    assert detected.encoding not in (None, "utf-8", "gb18030")


@pytest.mark.parametrize(
    "data",
    [b" ", b" " * 10_000, b"\r\n\t  \n", b"\xef\xbb\xbf  \n", "\u3000\n".encode("utf-16")],
    ids=["space", "many-spaces", "newlines", "utf8-bom", "utf16-ideographic-space"],
)
def test_whitespace_only_file_is_empty(tmp_path: Path, data: bytes) -> None:
    assert rejection(write(tmp_path / "blank.txt", data)).code == "empty"


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    assert rejection(write(tmp_path / "nothing.pdf", b"")).code == "empty"


@pytest.mark.parametrize(
    ("data", "described_as"),
    [
        (b"\x7fELF\x02\x01\x01" + bytes(57) + b"\x90" * 4000, "ELF"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(54) + b"This program", "Windows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "PNG"),
        (random.Random(7).randbytes(64 * 1024), "not a document"),
        (bytes(range(1, 32)) * 100, "not a document"),  # valid UTF-8, but control characters
    ],
    ids=["elf", "mz", "png", "random", "controls"],
)
def test_binary_file_is_unsupported(tmp_path: Path, data: bytes, described_as: str) -> None:
    error = rejection(write(tmp_path / "document.txt", data))
    assert error.code == "unsupported"
    assert described_as in error.detail


def test_plain_text_named_like_a_container_is_corrupt():
    with pytest.raises(RejectedDocument) as excinfo:
        reconcile_with_name(DetectedFormat("txt", "utf-8"), "report.odt")
    assert excinfo.value.code == "corrupt"


def test_other_real_types_behind_a_wrong_name_are_kept():
    assert reconcile_with_name(DetectedFormat("pdf"), "report.docx") == DetectedFormat("pdf")
    assert reconcile_with_name(DetectedFormat("txt", "gb18030"), "notes.md").format == "txt"
