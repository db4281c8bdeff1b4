"""Rendering a PDF's pages to WebP images and extracting each page's text.

pypdfium2 renders a page in a few milliseconds; WebP encoding is the real cost,
so images are encoded with a fast method (see docs/benchmarks.md).
"""

from __future__ import annotations

import io
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from wenku.documents.pipeline import text as text_step
from wenku.documents.pipeline.errors import RejectedDocument

log = logging.getLogger(__name__)

# Target widths in pixels: the reading view (crisp on a 2x phone) for every page, and
# a list thumbnail for the first page only — lists show no other, and encoding is
# the cost of this step (~43 ms a large page, ~10 ms a thumbnail).
SIZES = {"thumb": 240, "large": 1200}
THUMBNAIL_PAGES = 1
WEBP_QUALITY = 80
WEBP_METHOD = 0  # ~2.5x faster than the default 4 for ~15% more bytes
PARALLEL_MIN_PAGES = 4  # below this, starting work in other processes costs more than it saves
CHUNK_PAGES = 4


@dataclass
class RenderedPage:
    number: int
    width: int
    height: int
    text: str
    images: dict[str, bytes] = field(default_factory=dict)


@dataclass
class RenderedDocument:
    pages: list[RenderedPage]


def open_pdf(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise RejectedDocument("encrypted", str(exc)) from exc
        raise RejectedDocument("corrupt", str(exc)) from exc


def render_pdf(path: Path, *, max_pages: int, processes: int = 1) -> RenderedDocument:
    """Render every page to WebP and extract its text.

    With ``processes`` > 1 a long document's pages are rendered by that many
    processes at once: WebP encoding is CPU-bound and PDFium is not thread-safe.
    """
    pdf = open_pdf(path)
    try:
        count = len(pdf)
        if count == 0:
            raise RejectedDocument("no_pages", "the PDF has no pages")
        if count > max_pages:
            raise RejectedDocument("too_many_pages", f"{count} pages > limit {max_pages}")
        if processes < 2 or count < PARALLEL_MIN_PAGES:
            return RenderedDocument(pages=[_render_page(pdf, i) for i in range(count)])
    finally:
        pdf.close()
    chunks = [
        (str(path), start, min(start + CHUNK_PAGES, count))
        for start in range(0, count, CHUNK_PAGES)
    ]
    pages = [page for chunk in _pool(processes).map(_render_range, chunks) for page in chunk]
    return RenderedDocument(pages=pages)


def _render_range(job: tuple[str, int, int]) -> list[RenderedPage]:
    """Render pages [start, stop) of a PDF: the unit of work of a pool process."""
    path, start, stop = job
    pdf = pdfium.PdfDocument(path)
    try:
        return [_render_page(pdf, index) for index in range(start, stop)]
    finally:
        pdf.close()


_pools: dict[int, ProcessPoolExecutor] = {}


def _pool(processes: int) -> ProcessPoolExecutor:
    """A pool kept for the life of the process; "spawn" because forking a process that
    runs threads (the worker's sweeper, the converter's watchers) is unsafe."""
    if processes not in _pools:
        _pools[processes] = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )
    return _pools[processes]


def _render_page(pdf: pdfium.PdfDocument, index: int) -> RenderedPage:
    page = pdf[index]
    try:
        width_pt = page.get_width()
        raw = _extract_text(page)
        large = _render_width(page, width_pt, SIZES["large"])
        images = {"large": _encode(large)}
        if index < THUMBNAIL_PAGES:
            thumb = large.copy()
            thumb.thumbnail((SIZES["thumb"], SIZES["thumb"] * 4))
            images["thumb"] = _encode(thumb)
        return RenderedPage(
            number=index + 1,
            width=large.width,
            height=large.height,
            text=text_step.page_text(raw),
            images=images,
        )
    finally:
        page.close()


def _extract_text(page: pdfium.PdfPage) -> str:
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded()
    finally:
        textpage.close()


def _render_width(page: pdfium.PdfPage, width_pt: float, target_px: int):
    # Clamp the scale so a poster-sized page cannot allocate a gigantic bitmap.
    scale = min(target_px / max(width_pt, 1.0), 8.0)
    bitmap = page.render(scale=scale, draw_annots=True, may_draw_forms=True)
    try:
        return bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()


def _encode(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return buffer.getvalue()


def join_page_texts(texts: list[str]) -> str:
    return text_step.join_pages(texts)
