"""Rendering a PDF's pages to WebP images and extracting each page's text.

pypdfium2 renders a page in a few milliseconds; WebP encoding is the real cost,
so images are encoded with a fast method (see docs/benchmarks.md).
"""

from __future__ import annotations

import io
import logging
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


def render_pdf(path: Path, out_dir: Path | None = None, *, max_pages: int) -> RenderedDocument:
    """Render every page to WebP in each size and extract its text."""
    pdf = open_pdf(path)
    try:
        count = len(pdf)
        if count == 0:
            raise RejectedDocument("no_pages", "the PDF has no pages")
        if count > max_pages:
            raise RejectedDocument("too_many_pages", f"{count} pages > limit {max_pages}")
        pages = [_render_page(pdf, index) for index in range(count)]
    finally:
        pdf.close()
    return RenderedDocument(pages=pages)


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
