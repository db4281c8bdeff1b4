"""A document's title: from its file name, unless that name says nothing.

Uploads are often called ``新建 Microsoft Word 文档.docx``, ``document1.docx`` or a
hash; then the title written in the document's properties is used, and failing
that its first line of text.
"""

from __future__ import annotations

import logging
import re
import zipfile
from pathlib import Path

import defusedxml.ElementTree as SafeET
import olefile
import pypdfium2 as pdfium

log = logging.getLogger(__name__)

MAX_TITLE = 120
_MEANINGLESS = re.compile(
    r"""^(
        (新建|未命名|未标题)[\s\w]*?(文档|文件|演示文稿|工作表|document|presentation)?\s*\d*
      | (microsoft\s+)?(word|excel|powerpoint)\s*(文档|document)?\s*\d*
      | (document|doc|untitled|new|file|scan|img|image|presentation|book|sheet|temp|tmp)[\s_\-]*\d*
      | [\d\s_\-.()（）]+
      | [0-9a-f]{16,}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def title_from_filename(filename: str) -> str:
    """The file name without its extension, or "" when it carries no meaning."""
    stem = Path(filename).stem if "." in filename else filename
    stem = re.sub(r"\s+", " ", stem.replace("_", " ")).strip()
    if not stem or _MEANINGLESS.match(stem):
        return ""
    return stem[:MAX_TITLE]


def derive_title(filename: str, properties_title: str, text: str) -> str:
    from_name = title_from_filename(filename)
    if from_name:
        return from_name
    candidate = (properties_title or "").strip()
    if candidate and not _MEANINGLESS.match(candidate):
        return candidate[:MAX_TITLE]
    for line in text.splitlines():
        line = line.strip()
        if len(line) >= 2:
            return _shorten(line)
    return Path(filename).stem[:MAX_TITLE] or filename


def _shorten(line: str) -> str:
    if len(line) <= MAX_TITLE:
        return line
    # Prefer ending at a sentence or clause boundary within the limit.
    cut = max(line.rfind(mark, 0, MAX_TITLE) for mark in "。；，.;,")
    return line[: cut if cut > 10 else MAX_TITLE]


def read_properties_title(original: Path, fmt: str, pdf: Path | None = None) -> str:
    """The title stored in the document's own properties, or "" when absent or unreadable."""
    try:
        if fmt in ("docx", "pptx", "xlsx"):
            return _zip_xml_title(original, "docProps/core.xml")
        if fmt in ("odt", "odp", "ods"):
            return _zip_xml_title(original, "meta.xml")
        if fmt in ("doc", "ppt", "xls"):
            return _ole_title(original)
        if fmt == "pdf" and pdf is not None:
            return _pdf_title(pdf)
    except Exception as exc:  # properties are a nicety; never fail a document for them
        log.info("could not read title property fmt=%s error=%s", fmt, exc)
    return ""


def _zip_xml_title(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
        if info.file_size > 1_000_000:
            return ""
        root = SafeET.fromstring(archive.read(member))
    for element in root.iter():
        if element.tag.endswith("}title") and element.text:
            return element.text.strip()
    return ""


def _ole_title(path: Path) -> str:
    with olefile.OleFileIO(str(path)) as ole:
        meta = ole.get_metadata()
        raw = meta.title
    if not raw:
        return ""
    if isinstance(raw, bytes):
        # The property is a signed 16-bit value: UTF-8 (65001) arrives as -535.
        codepage = (getattr(meta, "codepage", None) or 936) & 0xFFFF
        try:
            return raw.decode(f"cp{codepage}", errors="replace").strip("\x00 ").strip()
        except LookupError:
            return raw.decode("gb18030", errors="replace").strip("\x00 ").strip()
    return str(raw).strip()


def _pdf_title(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return (pdf.get_metadata_dict().get("Title") or "").strip()
    finally:
        pdf.close()
