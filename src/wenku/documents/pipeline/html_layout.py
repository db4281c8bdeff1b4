"""Lay out plain text and EPUB books as PDF with WeasyPrint.

LibreOffice would do both, but it guesses text encodings badly and has no EPUB import;
WeasyPrint is in-process, needs no warm server, and lets us confine an EPUB to its own
zip: the URL fetcher serves members of that zip and refuses every other URL, so a
book cannot make the server read a local file or reach the network.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urlsplit
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from wenku.documents.pipeline.errors import RejectedDocument

logger = logging.getLogger(__name__)

FONT_STACK = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'

TEXT_CSS = f"""
@page {{ size: A4; margin: 20mm 18mm 22mm; }}
@page {{ @bottom-center {{ content: counter(page); font-size: 9pt; color: #666; }} }}
body {{ font-family: {FONT_STACK}; font-size: 11pt; line-height: 1.6; margin: 0; }}
/* One block per source line: WeasyPrint lays a long paragraph out in time that grows
   faster than its length, so a whole file in one <pre> is far slower. */
div {{ white-space: pre-wrap; overflow-wrap: anywhere; min-height: 1.6em; }}
"""

# A user (not author) stylesheet: the book's own CSS wins wherever it says something.
EPUB_CSS = f"""
@page {{ size: A4; margin: 20mm 18mm; }}
html {{ font-family: {FONT_STACK}; }}
img, svg, video {{ max-width: 100%; height: auto; }}
"""

# Characters that are not text and that HTML or Pango choke on; tab and newline stay.
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Origin under which EPUB members are addressed. ".invalid" can never resolve (RFC 2606),
# and the fetcher answers for it alone, so relative links resolve inside the zip only.
EPUB_ORIGIN = "https://epub.invalid/"

NS_CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
NS_OPF = "{http://www.idpf.org/2007/opf}"
NS_XML = "{http://www.w3.org/XML/1998/namespace}"
NS_XLINK = "{http://www.w3.org/1999/xlink}"
HTML_TYPES = {"application/xhtml+xml", "text/html"}


def text_to_pdf(src: Path, encoding: str, dst: Path) -> Path:
    """Lay out a plain-text file, decoded with ``encoding``, on A4 pages."""
    text = src.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff")
    text = _CONTROL_CHARS.sub("", text)
    lines = "".join(f"<div>{html.escape(line)}</div>\n" for line in text.splitlines())
    page = f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{lines}</body></html>'
    HTML(string=page, url_fetcher=_RefuseAll()).write_pdf(dst, stylesheets=[CSS(string=TEXT_CSS)])
    return dst


def epub_to_pdf(src: Path, dst: Path) -> Path:
    """Render the spine of an EPUB book, in reading order, into one PDF."""
    try:
        book = zipfile.ZipFile(src)
    except (zipfile.BadZipFile, OSError) as exc:
        raise RejectedDocument("corrupt", f"epub is not a zip: {exc}") from exc
    with book:
        package = _read_package(book)
        fetcher = _ZipFetcher(book, package.media_types)
        font_config = FontConfiguration()  # shared, so every chapter's @font-face survives
        stylesheet = CSS(string=EPUB_CSS, font_config=font_config)
        documents = []
        for member in package.spine:
            page = _xhtml_as_html(_read_member(book, member))
            document = HTML(string=page, base_url=EPUB_ORIGIN + member, url_fetcher=fetcher)
            documents.append(document.render(stylesheets=[stylesheet], font_config=font_config))
        pages = [page for document in documents for page in document.pages]
        if not pages:
            raise RejectedDocument("no_pages", "epub spine rendered no pages")
        documents[0].copy(pages).write_pdf(dst)
    return dst


@dataclass(frozen=True)
class _Package:
    spine: list[str]  # zip member names of the reading order's (X)HTML documents
    media_types: dict[str, str]  # zip member name -> media type from the manifest


def _read_package(book: zipfile.ZipFile) -> _Package:
    """Follow META-INF/container.xml to the OPF package and read its manifest and spine."""
    container = _parse_xml(book, "META-INF/container.xml")
    rootfile = container.find(f".//{NS_CONTAINER}rootfile")
    opf_path = rootfile.get("full-path") if rootfile is not None else None
    if not opf_path:
        raise RejectedDocument("corrupt", "epub container names no package document")
    opf = _parse_xml(book, opf_path)
    opf_dir = posixpath.dirname(opf_path)

    manifest: dict[str, tuple[str, str]] = {}
    for item in opf.iterfind(f"{NS_OPF}manifest/{NS_OPF}item"):
        href, item_id = item.get("href"), item.get("id")
        if href and item_id:
            member = _member_name(posixpath.join(opf_dir, unquote(urldefrag(href).url)))
            manifest[item_id] = (member, item.get("media-type", ""))

    spine = []
    for itemref in opf.iterfind(f"{NS_OPF}spine/{NS_OPF}itemref"):
        member, media_type = manifest.get(itemref.get("idref", ""), ("", ""))
        if media_type in HTML_TYPES and member in book.NameToInfo:
            spine.append(member)
        else:
            logger.info("epub spine item skipped idref=%s", itemref.get("idref"))
    if not spine:
        raise RejectedDocument("corrupt", "epub spine lists no readable document")
    media_types = {member: media_type for member, media_type in manifest.values() if media_type}
    return _Package(spine=spine, media_types=media_types)


def _parse_xml(book: zipfile.ZipFile, member: str) -> Element:
    try:
        return fromstring(_read_member(book, member))
    except (ParseError, DefusedXmlException) as exc:
        raise RejectedDocument("corrupt", f"epub {member}: {exc}") from exc


def _read_member(book: zipfile.ZipFile, member: str) -> bytes:
    try:
        return book.read(member)
    except KeyError as exc:
        raise RejectedDocument("corrupt", f"epub has no {member}") from exc
    except (zipfile.BadZipFile, OSError, ValueError) as exc:  # ValueError: bad compression
        raise RejectedDocument("corrupt", f"epub {member}: {exc}") from exc


def _member_name(path: str) -> str:
    """Normalise a path inside the zip; '..' cannot climb above the root."""
    return posixpath.normpath("/" + path).lstrip("/")


def _xhtml_as_html(data: bytes) -> str | bytes:
    """Re-serialise well-formed XHTML as HTML.

    WeasyPrint parses with an HTML5 parser, which ignores XHTML's self-closing syntax:
    ``<title/>`` or ``<script src="x"/>`` would swallow the rest of the chapter. Parsing as
    XML (defusedxml: no entity expansion) and writing HTML keeps the structure intact.
    A chapter that is not well-formed goes to the HTML parser as it is.
    """
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException):
        return data
    for element in root.iter():
        if isinstance(element.tag, str):  # comments and processing instructions are not
            element.tag = _local_name(element.tag)
        for key in [key for key in element.attrib if key.startswith("{")]:
            value = element.attrib.pop(key)
            if key.startswith(NS_XML):
                element.set("lang" if key == f"{NS_XML}lang" else _local_name(key), value)
            elif key.startswith(NS_XLINK):
                element.set("xlink:" + _local_name(key), value)  # SVG <image xlink:href>
            # epub:type and other vocabularies mean nothing to layout: dropped
    return "<!DOCTYPE html>" + tostring(root, encoding="unicode", method="html")


def _local_name(name: str) -> str:
    return name.rpartition("}")[2]


class _RefuseAll(URLFetcher):
    """Fetches nothing: generated text pages reference no resource."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        raise ValueError(f"resource refused: {url[:200]}")


class _ZipFetcher(URLFetcher):
    """Serve the members of one EPUB zip and ``data:`` URLs; refuse everything else."""

    def __init__(self, book: zipfile.ZipFile, media_types: dict[str, str]) -> None:
        # Only data: is left to the standard opener; file:, http: and the rest never
        # reach it because fetch() below refuses them first.
        super().__init__(allowed_protocols=("data",))
        self._book = book
        self._media_types = media_types

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if not url.startswith(EPUB_ORIGIN):
            logger.warning("epub resource refused url=%s", url[:200])
            raise ValueError(f"resource outside the book refused: {url[:200]}")
        member = _member_name(unquote(urlsplit(url).path))
        if member not in self._book.NameToInfo:
            raise ValueError(f"resource not in the book: {member[:200]}")
        media_type = self._media_types.get(member) or _guess_type(member)
        return URLFetcherResponse(
            url, body=self._book.read(member), headers={"Content-Type": media_type}
        )


def _guess_type(member: str) -> str:
    if PurePosixPath(member).suffix.lower() == ".css":
        return "text/css"  # WeasyPrint ignores a stylesheet served under any other type
    return mimetypes.guess_type(member)[0] or "application/octet-stream"


def main(argv: list[str]) -> int:
    """Entry point for running one layout in a child process (see convert._layout).

    Usage: ``python -m wenku.documents.pipeline.html_layout text|epub SRC DST [ENCODING]``.
    A rejection is reported as one JSON line on stdout with exit status 3.
    """
    import json

    mode, src, dst = argv[0], Path(argv[1]), Path(argv[2])
    try:
        if mode == "epub":
            epub_to_pdf(src, dst)
        else:
            text_to_pdf(src, argv[3] if len(argv) > 3 else "utf-8", dst)
    except RejectedDocument as exc:
        print(json.dumps({"code": exc.code, "detail": exc.detail}))
        return 3
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
