"""The formats Wenku accepts, and how each one becomes a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Route(Enum):
    """Which converter turns a format into PDF."""

    PDF = "pdf"  # already a PDF: validate / repair only
    UNO = "uno"  # warm LibreOffice (unoserver)
    SOFFICE_CLI = "soffice-cli"  # one-shot LibreOffice: spreadsheets crash UNO on LO 7.4
    HTML = "html"  # laid out by WeasyPrint (plain text, EPUB)


ROUTES: dict[str, Route] = {
    "pdf": Route.PDF,
    "doc": Route.UNO,
    "docx": Route.UNO,
    "ppt": Route.UNO,
    "pptx": Route.UNO,
    "odt": Route.UNO,
    "odp": Route.UNO,
    "rtf": Route.UNO,
    "xls": Route.SOFFICE_CLI,
    "xlsx": Route.SOFFICE_CLI,
    "ods": Route.SOFFICE_CLI,
    "txt": Route.HTML,
    "epub": Route.HTML,
}

ACCEPTED_EXTENSIONS = tuple(f".{name}" for name in ROUTES)


@dataclass(frozen=True)
class DetectedFormat:
    """What a file really is, decided from its bytes.

    ``format`` is a key of :data:`ROUTES`; ``encoding`` is set for plain text only.
    """

    format: str
    encoding: str | None = None

    @property
    def route(self) -> Route:
        return ROUTES[self.format]
