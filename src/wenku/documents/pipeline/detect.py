"""What an uploaded file really is, decided from its bytes.

The extension is never trusted: users rename files, and some tools write the wrong
one. A DOCX called ``.pdf`` is handled as a DOCX, a PDF called ``.docx`` as a PDF.
This step also refuses what must never reach a converter: password-protected files
(they would fail later with an obscure error), zip bombs and XML entity bombs.

Nothing here expands, converts or fully parses a document; every read is bounded.
"""

from __future__ import annotations

import codecs
import logging
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.parsers import expat

import charset_normalizer
import msoffcrypto
import olefile

from .errors import RejectedDocument
from .formats import DetectedFormat

logger = logging.getLogger(__name__)

HEAD_SIZE = 8192
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first, or an empty archive
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # readers accept junk before the header, up to 1 KB
UTF8_BOM = codecs.BOM_UTF8

# Zip bomb limits, checked on the sizes the archive declares, before any member is read.
MAX_ZIP_MEMBERS = 20_000
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_SIZE = 10 * 1024 * 1024
# What zipfile raises on damaged archives; ValueError includes member names flagged
# as UTF-8 that are not, NotImplementedError an unknown compression method.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)

# How much of a member we ever read.
MAX_MIMETYPE_BYTES = 256
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
XML_CHUNK = 16 * 1024
MAX_XML_PROLOG = 1024 * 1024  # a real prolog is a few hundred bytes
MAX_SAFE_ENTITY_VALUE = 64

TEXT_CHUNK = 1024 * 1024
MAX_CONTROL_SHARE = 0.05  # more control characters than this is binary, not text
MIN_CJK_SHARE = 0.5  # GB18030 text: most non-ASCII characters are Chinese
SNIFF_BYTES = 256 * 1024  # what charset-normalizer gets to look at
# Legacy CJK encodings whose byte ranges GB18030 also accepts (as nonsense).
OTHER_CJK_CODECS = ("big5", "big5hkscs", "cp950", "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949")

ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.oasis.opendocument.presentation-template": "odp",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
EPUB_MIMETYPE = "application/epub+zip"
# Top-level folder of an Office Open XML package -> format.
OOXML_FOLDERS = (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx"))
# Font obfuscation is not DRM: the book stays readable, only the fonts are scrambled.
EPUB_FONT_OBFUSCATION = {
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
}

# Top-level OLE2 stream -> format; checked after encrypted OOXML (EncryptedPackage).
OLE_STREAMS = (
    ("worddocument", "doc"),
    ("powerpoint document", "ppt"),
    ("workbook", "xls"),
    ("book", "xls"),  # Excel 5/95
)
ENCRYPTED_OOXML_STREAMS = {"encryptedpackage", "encryptioninfo"}

# Only used to name a binary file in the rejection detail, once it failed as text.
BINARY_SIGNATURES = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java binary"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"RIFF", "a RIFF media file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \f \r
_CJK_RE = re.compile(
    r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]"
)
_XML_ALGORITHM_RE = re.compile(rb'Algorithm\s*=\s*["\']([^"\']+)["\']')


def detect_format(path: Path, *, max_unpacked_bytes: int = 512 * 1024 * 1024) -> DetectedFormat:
    """Return the real format of the file at ``path``, or raise :class:`RejectedDocument`.

    ``max_unpacked_bytes`` bounds what a zip-based file may declare it unpacks to.
    For plain text, ``encoding`` is a Python codec name ready for ``bytes.decode``:
    ``utf-8``, ``utf-8-sig`` (BOM), ``utf-16``/``utf-32`` (BOM), ``gb18030`` or, when
    neither fits, what charset-normalizer recognised (``big5``, ``cp932``, ``cp1252``...).
    """
    if path.stat().st_size == 0:
        raise RejectedDocument("empty", "the file has 0 bytes")
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)

    # Container magic numbers sit at offset 0, so they are checked first: a zip that
    # happens to contain "%PDF-" in its first kilobyte is still a zip.
    if head.startswith(OLE_MAGIC):
        return _detect_ole(path)
    if head.startswith(ZIP_MAGICS):
        return _detect_zip(path, max_unpacked_bytes)
    if head.removeprefix(UTF8_BOM).lstrip().startswith(b"{\\rtf"):
        return DetectedFormat("rtf")
    if PDF_MAGIC in head[:PDF_HEADER_WINDOW]:
        return DetectedFormat("pdf")  # the PDF step opens, repairs or rejects it
    return _detect_text(path, head)


# --- OLE2 compound files: DOC, PPT, XLS and encrypted OOXML -------------------------


def _detect_ole(path: Path) -> DetectedFormat:
    # olefile and msoffcrypto raise all sorts of exceptions (AssertionError,
    # struct.error, IndexError, OSError...) on damaged input, hence the broad excepts.
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {entry[0].lower() for entry in ole.listdir() if len(entry) == 1}
    except Exception as exc:
        raise RejectedDocument("corrupt", f"unreadable OLE2 compound file: {exc!r}") from exc

    if streams & ENCRYPTED_OOXML_STREAMS:
        raise RejectedDocument("encrypted", "password-encrypted Office Open XML file")
    fmt = next((fmt for stream, fmt in OLE_STREAMS if stream in streams), None)
    if fmt is None:
        raise RejectedDocument(
            "unsupported", f"OLE2 file that is not Word, PowerPoint or Excel: {sorted(streams)}"
        )
    if _ole_is_encrypted(path, fmt):
        raise RejectedDocument("encrypted", f"password-protected {fmt.upper()} file")
    return DetectedFormat(fmt)


def _ole_is_encrypted(path: Path, fmt: str) -> bool:
    try:
        with path.open("rb") as handle:
            return bool(msoffcrypto.OfficeFile(handle).is_encrypted())
    except Exception as exc:
        # msoffcrypto only knows the 97-2003 layouts; older files (PowerPoint 95,
        # Excel 5) make it fail. The streams already say what the file is, so let the
        # converter try: a locked file then fails as a conversion error.
        logger.info("cannot tell whether this %s is encrypted: %r", fmt, exc)
        return False


# --- Zip packages: OOXML, ODF, EPUB ---------------------------------------------------


def _detect_zip(path: Path, max_unpacked_bytes: int) -> DetectedFormat:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_zip_bomb(members, max_unpacked_bytes)
            if any(member.flag_bits & 0x1 for member in members):
                raise RejectedDocument("encrypted", "zip archive with password-protected members")
            fmt = _zip_format(archive)
            _check_package(archive, fmt)
    except ZIP_ERRORS as exc:
        raise RejectedDocument("corrupt", f"damaged zip archive: {exc}") from exc
    return DetectedFormat(fmt)


def _check_zip_bomb(members: list[zipfile.ZipInfo], max_unpacked_bytes: int) -> None:
    """Refuse archives that would unpack to far more than they weigh."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise RejectedDocument("xmlbomb", f"zip archive with {len(members)} members")
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked_bytes:
        raise RejectedDocument(
            "xmlbomb", f"zip archive unpacks to {unpacked} bytes (limit {max_unpacked_bytes})"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_MIN_SIZE and ratio > MAX_COMPRESSION_RATIO:
            raise RejectedDocument(
                "xmlbomb", f"zip member {member.filename!r} is compressed {ratio:.0f}:1"
            )


def _zip_format(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "mimetype" in names:
        # ODF and EPUB both name their type in a small first member.
        raw = _read_member(archive, "mimetype", MAX_MIMETYPE_BYTES)
        mimetype = raw.decode("ascii", "replace").strip()
        if mimetype == EPUB_MIMETYPE:
            return "epub"
        if mimetype in ODF_MIMETYPES:
            return ODF_MIMETYPES[mimetype]
        raise RejectedDocument("unsupported", f"zip package of type {mimetype!r}")
    if "[Content_Types].xml" in names:
        for folder, fmt in OOXML_FOLDERS:
            if any(name.startswith(folder) for name in names):
                return fmt
        raise RejectedDocument("unsupported", "Office Open XML package of an unknown kind")
    raise RejectedDocument("unsupported", "zip archive that is not a document")


def _check_package(archive: zipfile.ZipFile, fmt: str) -> None:
    """Encryption and XML bombs, checked the way each package family stores them."""
    if fmt == "epub":
        _check_epub(archive)
        # EPUB 2 books legitimately declare entities such as &nbsp; in their XHTML.
        _check_xml_members(
            archive, (".xml", ".opf", ".ncx", ".xhtml", ".html", ".htm"), _is_harmless_entity
        )
    elif fmt in ("odt", "odp", "ods"):
        manifest = _read_member(archive, "META-INF/manifest.xml", MAX_MANIFEST_BYTES)
        if b"encryption-data" in manifest:
            raise RejectedDocument("encrypted", "password-encrypted OpenDocument file")
        _check_xml_members(archive, (".xml",), _no_entity_allowed)
    else:
        # Office never writes a DTD, so any entity declaration in OOXML is an attack.
        _check_xml_members(archive, (".xml", ".rels"), _no_entity_allowed)


def _check_epub(archive: zipfile.ZipFile) -> None:
    names = set(archive.namelist())
    if "META-INF/container.xml" not in names:
        raise RejectedDocument("corrupt", "EPUB without META-INF/container.xml")
    if "META-INF/rights.xml" in names:
        raise RejectedDocument("encrypted", "EPUB with DRM (META-INF/rights.xml)")
    if "META-INF/encryption.xml" in names:
        declaration = _read_member(archive, "META-INF/encryption.xml", MAX_MANIFEST_BYTES)
        algorithms = {
            algo.decode("ascii", "replace") for algo in _XML_ALGORITHM_RE.findall(declaration)
        }
        if algorithms - EPUB_FONT_OBFUSCATION:
            raise RejectedDocument(
                "encrypted", f"EPUB with encrypted content: {sorted(algorithms)}"
            )


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        with archive.open(name) as member:
            return member.read(limit)
    except KeyError:
        return b""


# --- XML entity bombs -------------------------------------------------------------------

EntityPolicy = Callable[[bool, str | None, str | None, str | None], bool]


class _PrologEnd(Exception):
    """The root element has started: no DTD, hence no entity declaration, can follow."""


def _no_entity_allowed(
    is_parameter: bool, value: str | None, system_id: str | None, public_id: str | None
) -> bool:
    return False


def _is_harmless_entity(
    is_parameter: bool, value: str | None, system_id: str | None, public_id: str | None
) -> bool:
    """A short literal like ``<!ENTITY nbsp "&#160;">``: no nesting, no file access."""
    return (
        not is_parameter
        and system_id is None
        and public_id is None
        and value is not None
        and len(value) <= MAX_SAFE_ENTITY_VALUE
        and "&" not in value
        and "%" not in value
    )


def _check_xml_members(
    archive: zipfile.ZipFile, suffixes: tuple[str, ...], is_allowed: EntityPolicy
) -> None:
    for member in archive.infolist():
        if member.is_dir() or not member.filename.lower().endswith(suffixes):
            continue
        with archive.open(member) as stream:
            _check_xml_prolog(stream, member.filename, is_allowed)


def _check_xml_prolog(stream: IO[bytes], name: str, is_allowed: EntityPolicy) -> None:
    """Parse only the prolog of an XML part and refuse entity declarations.

    Entities are declared in the DTD, which must come before the root element, so
    parsing stops at the root element: nothing is ever expanded, and a multi-megabyte
    part costs a few kilobytes of reading.
    """
    parser = expat.ParserCreate()

    def on_entity(
        entity: str,
        is_parameter: int,
        value: str | None,
        base: str | None,
        system_id: str | None,
        public_id: str | None,
        notation: str | None,
    ) -> None:
        if not is_allowed(bool(is_parameter), value, system_id, public_id):
            raise RejectedDocument("xmlbomb", f"{name} declares the XML entity {entity!r}")

    def on_root(*_args: object) -> None:
        raise _PrologEnd

    parser.EntityDeclHandler = on_entity
    parser.StartElementHandler = on_root
    seen = bytearray()
    try:
        while chunk := stream.read(XML_CHUNK):
            seen += chunk
            parser.Parse(chunk, False)
            if len(seen) > MAX_XML_PROLOG:
                # Padding the prolog (e.g. a huge comment) only serves to hide a DTD.
                raise RejectedDocument("xmlbomb", f"{name} has no root element in its first MB")
        parser.Parse(b"", True)
    except _PrologEnd:
        return
    except expat.ExpatError:
        # Malformed XML is the converter's problem, unless it hides a declaration
        # that a more forgiving parser might still honour.
        if b"<!ENTITY" in seen:
            raise RejectedDocument("xmlbomb", f"{name} declares XML entities") from None


# --- Plain text ---------------------------------------------------------------------------


@dataclass
class _TextStats:
    """Counts over the decoded text that tell text from binary junk."""

    chars: int = 0
    controls: int = 0
    cjk: int = 0
    non_ascii: int = 0
    blank: bool = True

    def add(self, text: str) -> None:
        # Counting through C-level str operations keeps 100 MB files fast.
        self.chars += len(text)
        self.controls += len(text) - len(_CONTROL_RE.sub("", text))
        self.cjk += len(text) - len(_CJK_RE.sub("", text))
        self.non_ascii += len(text) - len(text.encode("ascii", "ignore"))
        self.blank = self.blank and (text == "" or text.isspace())

    @property
    def looks_like_text(self) -> bool:
        return self.controls <= MAX_CONTROL_SHARE * self.chars

    @property
    def looks_chinese(self) -> bool:
        return self.cjk >= MIN_CJK_SHARE * self.non_ascii


def _detect_text(path: Path, head: bytes) -> DetectedFormat:
    decoded = _decode_text(path, head)
    if decoded is None or not decoded[1].looks_like_text:
        raise RejectedDocument("unsupported", f"binary file: {_describe_binary(head)}")
    encoding, stats = decoded
    if stats.blank:
        raise RejectedDocument("empty", "the file contains only whitespace")
    return DetectedFormat("txt", encoding=encoding)


def _decode_text(path: Path, head: bytes) -> tuple[str, _TextStats] | None:
    """Find the encoding the whole file decodes in, strictly; None if there is none.

    A BOM decides. Otherwise UTF-8 if it decodes, else GB18030 if that reads as
    Chinese (most Chinese files without a BOM are GBK), else charset-normalizer's guess.
    """
    bom_encoding = _bom_encoding(head)
    if bom_encoding is not None:
        stats = _scan_text(path, bom_encoding)
        return None if stats is None else (bom_encoding, stats)
    if b"\x00" in head:
        return None  # NUL bytes without a UTF-16/32 BOM: binary
    stats = _scan_text(path, "utf-8")
    if stats is not None:
        return "utf-8", stats

    sniffed = _sniff_encoding(path)
    stats = _scan_text(path, "gb18030")
    if stats is not None and stats.looks_chinese:
        # Big5, Shift_JIS and EUC-KR text decodes strictly as GB18030 too, as nonsense:
        # only there is charset-normalizer's statistical opinion worth more.
        other_stats = _scan_text(path, sniffed) if sniffed in OTHER_CJK_CODECS else None
        return ("gb18030", stats) if other_stats is None else (sniffed, other_stats)
    if sniffed is not None:
        stats = _scan_text(path, sniffed)
        return None if stats is None else (sniffed, stats)
    return None


def _bom_encoding(head: bytes) -> str | None:
    # UTF-32 first: its little-endian BOM begins with the UTF-16 one.
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    return None


def _sniff_encoding(path: Path) -> str | None:
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if len(sample) == SNIFF_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # do not cut a character in half
    match = charset_normalizer.from_bytes(sample).best()
    return codecs.lookup(match.encoding).name if match else None


def _scan_text(path: Path, encoding: str) -> _TextStats | None:
    """Decode the whole file strictly, in bounded chunks; None if it is not this encoding."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    stats = _TextStats()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(TEXT_CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:
                    return None  # NUL never occurs in text
                stats.add(text)
            stats.add(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return None
    return stats


def _describe_binary(head: bytes) -> str:
    for signature, description in BINARY_SIGNATURES:
        if head.startswith(signature):
            return description
    if head[4:8] == b"ftyp":
        return "an MP4/QuickTime/HEIF media file"
    return "not a document or text in a known encoding"


# Formats that are containers (zip or OLE2): a file named like one of them whose
# bytes are plain text is a broken or fake file, not a text document. A real
# document of another type behind a wrong name (a PDF called .docx) is still
# handled by what it really is.
_CONTAINER_EXTENSIONS = frozenset(
    {"docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "doc", "xls", "ppt"}
)


def reconcile_with_name(detected: DetectedFormat, filename: str) -> DetectedFormat:
    """Check the bytes' verdict against what the file name claims."""
    suffix = Path(filename).suffix.lower().lstrip(".")
    if detected.format == "txt" and suffix in _CONTAINER_EXTENSIONS:
        raise RejectedDocument("corrupt", f"named .{suffix} but the file is plain text")
    return detected
