"""The convert step: every route to PDF, the supervised LibreOffice, and real documents.

LibreOffice tests share one warm server (session fixture): starting one costs ~6 s.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from PIL import Image
from weasyprint import HTML

from tests.corpus import CORPUS_DIR, require_corpus
from wenku.documents.pipeline import html_layout
from wenku.documents.pipeline.convert import to_pdf
from wenku.documents.pipeline.errors import RejectedDocument
from wenku.documents.pipeline.formats import DetectedFormat
from wenku.documents.pipeline.libreoffice import (
    FONTCONFIG_FILE,
    ConverterCrashed,
    WarmConverter,
    convert_with_cli,
    get_warm_converter,
    shutdown_converters,
)

HEAVY_ODT = "odt-01-mixed-zh-200-charts.odt"  # LibreOffice needs minutes for it


# --- helpers ---------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    document = pdfium.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pdf_fonts(path: Path) -> set[str]:
    with pikepdf.open(path) as pdf:
        return {
            str(font.get("/BaseFont"))
            for page in pdf.pages
            for font in (page.Resources.get("/Font") or {}).values()
        }


def corpus(name: str) -> Path:
    require_corpus()
    return CORPUS_DIR / name


def make_docx(path: Path, runs: list[tuple[str, str]]) -> Path:
    """A DOCX with one paragraph per (text, font) run, the font also set for CJK."""
    document = Document()
    for text, font in runs:
        run = document.add_paragraph().add_run(text)
        run.font.name = font
        run.font.size = Pt(14)
        run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    document.save(path)
    return path


def make_xlsx(path: Path, rows: list[list[str | float]]) -> Path:
    """A minimal SpreadsheetML workbook with inline strings (no library writes XLSX here)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    cells = []
    for r, row in enumerate(rows, start=1):
        xml_cells = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                xml_cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
            else:
                xml_cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(xml_cells)}</row>')
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{main}"><sheetData>{"".join(cells)}</sheetData></worksheet>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path


def make_epub(path: Path, *, container: bool = True) -> Path:
    """A two-chapter EPUB 3 whose spine order differs from the manifest order."""
    png = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(png, "PNG")
    chapter = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"'
        ' xml:lang="zh-CN"><head><title/><link rel="stylesheet" href="../css/book.css"/>'
        "</head><body>{body}</body></html>"
    )
    opf = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
        '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">x'
        "</dc:identifier><dc:title>测试书</dc:title><dc:language>zh</dc:language></metadata>"
        '<manifest><item id="c2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c1" href="text/ch%201.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="css" href="css/book.css" media-type="text/css"/>'
        '<item id="img" href="img/red.png" media-type="image/png"/></manifest>'
        '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>'
    )
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        if container:
            book.writestr(
                "META-INF/container.xml",
                '<?xml version="1.0"?><container version="1.0" '
                'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                '<rootfile full-path="OEBPS/content.opf" '
                'media-type="application/oebps-package+xml"/></rootfiles></container>',
            )
        book.writestr("OEBPS/content.opf", opf)
        book.writestr("OEBPS/css/book.css", "h1 { color: rgb(0, 0, 255); }")
        book.writestr("OEBPS/img/red.png", png.getvalue())
        book.writestr(
            "OEBPS/text/ch 1.xhtml",
            chapter.format(
                body='<h1>第一章 春眠</h1><p>春眠不觉晓<a id="n1"/>，处处闻啼鸟。</p>'
                '<img src="../img/red.png" alt="red"/>'
                '<img src="file:///etc/hostname" alt="local"/>'
            ),
        )
        book.writestr("OEBPS/text/ch2.xhtml", chapter.format(body="<h1>第二章 夜来</h1>"))
    return path


def group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process in a process group, zombies included."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:
            members.append((int(entry.name), fields[0]))
    return members


@pytest.fixture(scope="session")
def warm():
    """This process's warm converter, ready before the first test uses it."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    converter = get_warm_converter()
    converter._ensure_ready()
    yield converter
    shutdown_converters()


@pytest.fixture
def small_docx(tmp_path) -> Path:
    return make_docx(tmp_path / "small.docx", [("小文件 small file", "宋体")])


# --- fonts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("宋体", "Noto Serif CJK SC"),
        ("SimSun", "Noto Serif CJK SC"),
        ("宋体-方正超大字符集", "Noto Serif CJK SC"),
        ("黑体", "Noto Sans CJK SC"),
        ("Microsoft YaHei", "Noto Sans CJK SC"),
        ("等线", "Noto Sans CJK SC"),
        ("仿宋_GB2312", "LXGW WenKai"),
        ("楷体", "LXGW WenKai"),
        ("Calibri", "Carlito"),
        ("Cambria", "Caladea"),
        ("Arial", "Liberation Sans"),
        ("Times New Roman", "Liberation Serif"),
        ("Courier New", "Liberation Mono"),
    ],
)
def test_fontconfig_maps_document_fonts_to_open_ones(requested, expected):
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")
    result = subprocess.run(
        ["fc-match", "--format=%{family[0]}", requested],
        env={**os.environ, "FONTCONFIG_FILE": str(FONTCONFIG_FILE)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == expected
    assert "warning" not in result.stderr.lower()


# --- PDF: validate, repair, reject ------------------------------------------------------


def _hello_pdf() -> bytes:
    return HTML(string="<p>Hello repair 你好</p>").write_pdf()


def test_sound_pdf_is_returned_as_is(tmp_path):
    source = tmp_path / "original"
    source.write_bytes(_hello_pdf())
    assert to_pdf(source, DetectedFormat("pdf"), tmp_path / "work") == source


def test_owner_password_only_pdf_opens(tmp_path):
    source = tmp_path / "original"
    with pikepdf.open(io.BytesIO(_hello_pdf())) as pdf:
        permissions = pikepdf.Permissions(extract=False, modify_other=False)
        pdf.save(source, encryption=pikepdf.Encryption(owner="owner", user="", allow=permissions))
    assert to_pdf(source, DetectedFormat("pdf"), tmp_path / "work") == source


def test_user_password_pdf_is_rejected_as_encrypted(tmp_path):
    source = tmp_path / "original"
    with pikepdf.open(io.BytesIO(_hello_pdf())) as pdf:
        pdf.save(source, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    with pytest.raises(RejectedDocument) as caught:
        to_pdf(source, DetectedFormat("pdf"), tmp_path / "work")
    assert caught.value.code == "encrypted"


def test_pdf_pdfium_cannot_open_is_repaired(tmp_path):
    source = tmp_path / "original"
    source.write_bytes(b"x" * 2048 + _hello_pdf())  # header beyond where PDFium looks
    result = to_pdf(source, DetectedFormat("pdf"), tmp_path / "work")
    assert result == tmp_path / "work" / "repaired.pdf"
    assert "Hello repair" in pdf_text(result)


def test_garbage_pdf_is_rejected_as_corrupt(tmp_path):
    source = tmp_path / "original"
    source.write_bytes(b"%PDF-1.7\n" + os.urandom(4000))
    with pytest.raises(RejectedDocument) as caught:
        to_pdf(source, DetectedFormat("pdf"), tmp_path / "work")
    assert caught.value.code == "corrupt"


# --- text and EPUB (WeasyPrint) -------------------------------------------------------


def test_gbk_text_is_laid_out(tmp_path):
    source = tmp_path / "original"
    source.write_bytes("第一行：中文编码测试\n\n  缩进的第三行 <b>不是标签</b>\n".encode("gbk"))
    result = to_pdf(source, DetectedFormat("txt", "gbk"), tmp_path / "work")
    text = pdf_text(result)
    assert "中文编码测试" in text
    assert "<b>不是标签</b>" in text
    assert any("NotoSerifCJK" in font.replace("-", "") for font in pdf_fonts(result))


def test_epub_spine_order_css_and_images(tmp_path):
    result = to_pdf(make_epub(tmp_path / "book"), DetectedFormat("epub"), tmp_path / "work")
    text = pdf_text(result)
    assert text.index("第一章") < text.index("第二章")  # spine order, not manifest order
    assert "处处闻啼鸟" in text  # <a id="n1"/> did not swallow the paragraph
    document = pdfium.PdfDocument(result)
    try:
        images = [o for o in document[0].get_objects() if o.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    finally:
        document.close()
    assert len(images) == 1  # the zip's PNG, not the local file


def test_epub_fetcher_serves_only_the_zip(tmp_path):
    with zipfile.ZipFile(make_epub(tmp_path / "book")) as book:
        fetcher = html_layout._ZipFetcher(book, {})
        response = fetcher.fetch(html_layout.EPUB_ORIGIN + "OEBPS/css/book.css")
        assert response.content_type == "text/css"
        assert fetcher.fetch(html_layout.EPUB_ORIGIN + "OEBPS/../../OEBPS/img/red.png")
        for url in (
            "file:///etc/passwd",
            "http://127.0.0.1/",
            "https://example.com/book.css",
            html_layout.EPUB_ORIGIN + "etc/passwd",
        ):
            with pytest.raises(ValueError):
                fetcher.fetch(url)


def test_epub_without_container_is_corrupt(tmp_path):
    with pytest.raises(RejectedDocument) as caught:
        to_pdf(make_epub(tmp_path / "book", container=False), DetectedFormat("epub"), tmp_path)
    assert caught.value.code == "corrupt"


# --- LibreOffice ----------------------------------------------------------------------


@pytest.mark.libreoffice
def test_docx_in_chinese_fonts_uses_open_cjk_fonts(warm, tmp_path):
    source = make_docx(
        tmp_path / "original",
        [("宋体正文：文库转换测试", "宋体"), ("仿宋公文：关于印发通知", "仿宋_GB2312")],
    )
    result = to_pdf(source, DetectedFormat("docx"), tmp_path / "work")
    assert result.parent == tmp_path / "work"
    text = pdf_text(result)
    assert "文库转换测试" in text
    assert "关于印发通知" in text
    fonts = pdf_fonts(result)
    assert any("NotoSerifCJK" in font for font in fonts), fonts
    assert any("LXGWWenKai" in font for font in fonts), fonts


@pytest.mark.libreoffice
def test_xlsx_goes_through_the_cli(tmp_path):
    source = make_xlsx(tmp_path / "original", [["地区", "存款"], ["泰州", 6779.07]])
    result = to_pdf(source, DetectedFormat("xlsx"), tmp_path / "work")
    assert result.is_relative_to(tmp_path / "work")
    text = pdf_text(result)
    assert "泰州" in text
    assert "6779.07" in text


@pytest.mark.libreoffice
def test_file_libreoffice_cannot_load_is_corrupt(warm, tmp_path, small_docx):
    source = tmp_path / "original"
    data = small_docx.read_bytes()
    source.write_bytes(data[: len(data) // 2])  # a zip cut in half
    with pytest.raises(RejectedDocument) as caught:  # warm fails, then the CLI agrees
        to_pdf(source, DetectedFormat("docx"), tmp_path / "work")
    assert caught.value.code == "corrupt"


@pytest.mark.libreoffice
def test_cli_timeout_kills_soffice(tmp_path):
    source = tmp_path / "heavy.odt"
    shutil.copyfile(corpus(HEAVY_ODT), source)
    started = time.monotonic()
    with pytest.raises(RejectedDocument) as caught:
        convert_with_cli(source, tmp_path / "out", timeout=2)
    assert caught.value.code == "timeout"
    assert time.monotonic() - started < 15


@pytest.mark.libreoffice
def test_warm_timeout_restarts_the_server(warm, tmp_path, small_docx):
    source = tmp_path / "heavy.odt"
    shutil.copyfile(corpus(HEAVY_ODT), source)
    old_pid = warm.pid
    with pytest.raises(RejectedDocument) as caught:
        warm.convert(source, tmp_path / "heavy.pdf", timeout=1)
    assert caught.value.code == "timeout"
    assert warm.pid != old_pid
    assert all(state == "Z" for _, state in group_members(old_pid))  # all dead
    assert "small file" in pdf_text(warm.convert(small_docx, tmp_path / "after.pdf"))


@pytest.mark.libreoffice
def test_killed_server_is_restarted_for_the_next_document(warm, tmp_path, small_docx):
    warm.convert(small_docx, tmp_path / "before.pdf")
    old_pid = warm.pid
    os.killpg(old_pid, signal.SIGKILL)
    assert "small file" in pdf_text(warm.convert(small_docx, tmp_path / "after.pdf"))
    assert warm.pid != old_pid


@pytest.mark.libreoffice
def test_crash_during_conversion_fails_only_that_document(warm, tmp_path, small_docx):
    source = tmp_path / "heavy.odt"
    shutil.copyfile(corpus(HEAVY_ODT), source)
    warm._ensure_ready()
    soffice = [pid for pid, _ in group_members(warm.pid) if pid != warm.pid]

    def crash() -> None:
        for pid in soffice:  # oosplash may already have gone with soffice.bin
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    timer = threading.Timer(1.5, crash)
    timer.start()
    try:
        with pytest.raises(ConverterCrashed):
            warm.convert(source, tmp_path / "heavy.pdf", timeout=60)
    finally:
        timer.cancel()
    assert "small file" in pdf_text(warm.convert(small_docx, tmp_path / "after.pdf"))


@pytest.mark.libreoffice
def test_recycle_after_n_conversions(warm, tmp_path, small_docx):
    warm.convert(small_docx, tmp_path / "first.pdf")
    old_pid, recycle_after = warm.pid, warm.recycle_after
    warm.recycle_after = warm._conversions + 1
    try:
        warm.convert(small_docx, tmp_path / "second.pdf")
    finally:
        warm.recycle_after = recycle_after
    assert warm.pid != old_pid


@pytest.mark.libreoffice
def test_stop_leaves_no_process_behind(tmp_path, small_docx, settings):
    converter = WarmConverter(
        timeout=30,
        memory_mb=settings.WENKU_CONVERT_MEMORY_MB,
        recycle_after=10,
        profile_root=tmp_path / "lo",
    )
    converter.convert(small_docx, tmp_path / "out.pdf")
    pgid = converter.pid
    assert len(group_members(pgid)) >= 2  # the server and soffice.bin
    converter.stop()
    assert all(state == "Z" for _, state in group_members(pgid))
    assert not list((tmp_path / "lo").iterdir())  # its profile is gone too


# --- real documents -------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "expected_code"),
    [
        ("pdf-08-encrypted-user-password.pdf", "encrypted"),
        ("pdf-09-fuzzed-corrupt.pdf", "corrupt"),
        ("epub-04-missing-container.epub", "corrupt"),
    ],
)
def test_corpus_rejections(name, expected_code, tmp_path):
    source = corpus(name)
    with pytest.raises(RejectedDocument) as caught:
        to_pdf(source, DetectedFormat(name.split(".")[-1]), tmp_path)
    assert caught.value.code == expected_code


@pytest.mark.corpus
def test_corpus_owner_password_pdf_opens(tmp_path):
    source = corpus("pdf-07-owner-password-only.pdf")
    assert to_pdf(source, DetectedFormat("pdf"), tmp_path) == source


@pytest.mark.corpus
def test_corpus_bad_xref_pdf_is_readable(tmp_path):
    result = to_pdf(corpus("pdf-10-bad-xref-repairable.pdf"), DetectedFormat("pdf"), tmp_path)
    assert "Hello, world!" in pdf_text(result)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "detected", "expected_text"),
    [
        ("epub-01-en-mathml.epub", DetectedFormat("epub"), "MathML"),
        ("epub-02-ja-vertical.epub", DetectedFormat("epub"), ""),
        ("txt-01-zh-gb2312.txt", DetectedFormat("txt", "gb18030"), "汉语"),
    ],
)
def test_corpus_layout(name, detected, expected_text, tmp_path):
    result = to_pdf(corpus(name), detected, tmp_path)
    assert expected_text in pdf_text(result)


@pytest.mark.corpus
def test_corpus_multilingual_text_is_laid_out_fast(tmp_path):
    source = corpus("txt-02-mixed-multilingual-udhr.txt")  # 120 KB, hundreds of scripts
    started = time.monotonic()
    result = to_pdf(source, DetectedFormat("txt", "utf-8"), tmp_path)
    assert time.monotonic() - started < 20  # ~2 s measured on 2 cores
    text = pdf_text(result)
    assert "人人生而自由" in text
    assert "Universal Declaration" in text


@pytest.mark.corpus
@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("name", "expected_text"),
    [
        ("docx-02-zh-ssd-design.docx", "微型固态硬盘"),
        ("xlsx-01-zh-bank-statistics.xlsx", "存款"),
        ("ppt-01-zh-physics-demo.ppt", "平抛运动"),
        ("rtf-01-zh-simsun-cp936.rtf", "测试"),
    ],
)
def test_corpus_office_documents(warm, name, expected_text, tmp_path):
    result = to_pdf(corpus(name), DetectedFormat(name.split(".")[-1]), tmp_path)
    assert result.is_relative_to(tmp_path)
    assert expected_text in pdf_text(result)
