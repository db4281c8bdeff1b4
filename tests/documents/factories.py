"""Small builders for test inputs the project writes itself."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

from wenku.documents import samples, services


def docx_file(folder: Path, name: str = "社区图书馆建设的实践与思考.docx", pages: int = 3) -> Path:
    return samples.make_docx(folder / name, samples.LIBRARY, pages=pages)


def pdf_with_pages(path: Path, count: int, texts: list[str] | None = None) -> Path:
    """A PDF of ``count`` A4 pages with a line of (ASCII) text each (fast to build)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for number in range(1, count + 1):
        line = texts[number - 1] if texts else f"Page {number} of {count}"
        content = f"BT /F1 24 Tf 72 720 Td ({line}) Tj ET".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
            Contents=pdf.make_stream(content),
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


def zero_page_pdf(path: Path) -> Path:
    buffer = io.BytesIO()
    pikepdf.new().save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def ingest_bytes(owner, data: bytes, filename: str, **kwargs):
    """Ingest and process at once (tests run inside a transaction that never commits,
    so the on-commit enqueue does not fire)."""
    return processed(services.ingest(owner, [data], filename, **kwargs))


def ingest_file(owner, path: Path, **kwargs):
    return processed(services.ingest_path(owner, path, **kwargs))


def processed(document):
    services.process_document(document.pk)
    document.refresh_from_db()
    return document
