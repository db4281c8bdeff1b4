"""Pipeline step: turn an accepted upload into a PDF that PDFium can open.

Each format's route (see formats.ROUTES) picks the converter: PDFs are only validated
(and repaired when PDFium cannot read them), office documents go to the warm
LibreOffice server or, for spreadsheets, to the one-shot CLI, and plain text and EPUB
are laid out by WeasyPrint.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from django.conf import settings

from wenku.documents.pipeline.errors import RejectedDocument
from wenku.documents.pipeline.formats import DetectedFormat, Route
from wenku.documents.pipeline.libreoffice import (
    ConverterUnavailable,
    WarmConversionFailed,
    convert_with_cli,
    get_warm_converter,
    kill_group,
    start_limited,
)

logger = logging.getLogger(__name__)


def to_pdf(
    source: Path, detected: DetectedFormat, workdir: Path, *, timeout: int | None = None
) -> Path:
    """Return a PDF of ``source``: the source itself when it is a sound PDF, else a file
    in ``workdir``. ``timeout`` (seconds) bounds a LibreOffice conversion; None means
    ``WENKU_CONVERT_TIMEOUT``.

    Raises RejectedDocument with the reason when no PDF can be made.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    route = detected.route
    if route is Route.PDF:
        return validate_pdf(source, workdir)
    if route is Route.HTML:
        return _layout(source, detected, workdir, timeout)
    staged = _stage_input(source, detected.format, workdir)
    if route is Route.SOFFICE_CLI:
        return convert_with_cli(staged, workdir / "cli", timeout)
    return _convert_warm(staged, workdir, timeout)


def validate_pdf(path: Path, workdir: Path) -> Path:
    """Return ``path`` if PDFium opens it, else a copy repaired by qpdf (pikepdf).

    A PDF that needs a password to open is rejected as encrypted; one with only an
    owner password (permissions) opens with the empty user password and is fine.
    """
    try:
        _open_with_pdfium(path)
        return path
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise RejectedDocument("encrypted", str(exc)) from exc
        logger.info("pdf unreadable, repairing error=%s", exc)
    repaired = _repair(path, workdir / "repaired.pdf")
    try:
        _open_with_pdfium(repaired)
    except pdfium.PdfiumError as exc:
        raise RejectedDocument("corrupt", f"unreadable after repair: {exc}") from exc
    return repaired


def _open_with_pdfium(path: Path) -> None:
    document = pdfium.PdfDocument(path)
    try:
        if len(document) == 0:
            raise RejectedDocument("no_pages", "the PDF has no pages")
    finally:
        document.close()


def _repair(path: Path, dst: Path) -> Path:
    # qpdf reconstructs a broken cross-reference table and damaged streams on open.
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                # PDFium refuses a document without pages; it is empty, not damaged.
                raise RejectedDocument("no_pages", "the PDF has no pages")
            pdf.save(dst)
    except pikepdf.PasswordError as exc:
        raise RejectedDocument("encrypted", str(exc)) from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise RejectedDocument("corrupt", f"qpdf could not repair it: {exc}") from exc
    return dst


def _stage_input(source: Path, format_name: str, workdir: Path) -> Path:
    """Give LibreOffice the file under a name with its extension.

    Originals are stored without one, and LibreOffice chooses its import filter by
    extension first. A hard link costs nothing; a copy covers other filesystems.
    """
    staged = workdir / f"input.{format_name}"
    staged.unlink(missing_ok=True)
    try:
        os.link(source, staged)
    except OSError:
        shutil.copyfile(source, staged)
    return staged


def _convert_warm(staged: Path, workdir: Path, timeout: int | None) -> Path:
    try:
        return get_warm_converter().convert(staged, workdir / "converted.pdf", timeout=timeout)
    except WarmConversionFailed as exc:
        # The CLI loads some files that UNO cannot (or crashes on); what it cannot
        # convert either, it rejects with its own reason.
        logger.warning(
            "warm conversion failed, retrying with cli code=%s detail=%s", exc.code, exc.detail
        )
    except ConverterUnavailable as exc:
        logger.error("warm converter unavailable, using cli error=%s", exc)
    return convert_with_cli(staged, workdir / "cli", timeout)


def _layout(source: Path, detected: DetectedFormat, workdir: Path, timeout: int | None) -> Path:
    """Lay out text or EPUB with WeasyPrint in a child process.

    WeasyPrint has no time or memory bound of its own (a 1.2 MB text takes 16 s and
    426 MB, growing linearly), so it runs under the same limits as LibreOffice.
    """
    mode = "epub" if detected.format == "epub" else "text"
    dst = workdir / f"{mode}.pdf"
    command = [
        sys.executable,
        "-m",
        "wenku.documents.pipeline.html_layout",
        mode,
        str(source),
        str(dst),
        detected.encoding or "utf-8",
    ]
    limit = timeout or settings.WENKU_CONVERT_TIMEOUT
    # Same limits and font substitutions as LibreOffice: EPUBs name 宋体 too.
    proc = start_limited(
        command, memory_mb=settings.WENKU_CONVERT_MEMORY_MB, stderr=subprocess.PIPE
    )
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired as exc:
        kill_group(proc)
        raise RejectedDocument("timeout", f"layout took more than {limit} s") from exc
    if proc.returncode == 3:
        rejection = json.loads(out.decode() or "{}")
        raise RejectedDocument(rejection.get("code", "corrupt"), rejection.get("detail", ""))
    if proc.returncode != 0 or not dst.exists():
        # WeasyPrint on hostile input can fail in many ways; none of them is ours to fix.
        tail = err.decode(errors="replace")[-500:]
        logger.error("layout failed format=%s status=%s", detected.format, proc.returncode)
        raise RejectedDocument("conversion_failed", f"layout failed: {tail}")
    return dst
