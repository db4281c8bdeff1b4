"""Serving originals: signed links, HTTP Range, conditional requests, X-Accel-Redirect,
sha256 verification with a per-blob cache, and the download log.

The view (``views.download``) decides *whether* a user gets the file; this module
decides *how* the bytes go out.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
import os
import re
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from wenku.commerce.models import BlobVerification, DownloadLog
from wenku.documents import storage

log = logging.getLogger(__name__)

# Large enough that Python's per-chunk overhead is small next to the copy.
CHUNK = 1024 * 1024
SIGNING_SALT = "wenku.download"


# --- signed links ---------------------------------------------------------------------


def signed_token(user, document) -> str:
    """A token naming one user and one document, stamped with the time it was made."""
    return signing.TimestampSigner(salt=SIGNING_SALT).sign(f"{user.pk}-{document.pk}")


def read_token(token: str) -> tuple[int, int]:
    """(user id, document id); raises signing.SignatureExpired or signing.BadSignature."""
    value = signing.TimestampSigner(salt=SIGNING_SALT).unsign(
        token, max_age=settings.WENKU_DOWNLOAD_LINK_MAX_AGE
    )
    user_id, _, document_id = value.partition("-")
    try:
        return int(user_id), int(document_id)
    except ValueError:
        raise signing.BadSignature("malformed download token") from None


def download_url(user, document) -> str:
    """The signed, expiring download link for this user. The file name in the path
    is cosmetic (the view ignores it); it lets ``wget URL`` pick a sensible name."""
    return reverse(
        "commerce:download",
        args=[signed_token(user, document), url_filename(document.original_filename)],
    )


def url_filename(name: str) -> str:
    return name.replace("/", "_") or "download"


# --- headers --------------------------------------------------------------------------


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and an RFC 5987
    ``filename*`` that every current browser prefers (RFC 6266 §4.3), so a Chinese
    name arrives intact."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9 ._()-]+", "_", ascii_stem).strip(" ._")
    ascii_ext = re.sub(r"[^A-Za-z0-9]+", "", ext)
    fallback = (ascii_stem or "document") + (f".{ascii_ext}" if ascii_ext else "")
    encoded = quote(filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def etag_for(blob) -> str:
    # Strong: the bytes behind a sha256 never change.
    return f'"{blob.sha256}"'


def last_modified_for(blob) -> int:
    # When the bytes were first stored; content-addressed files are never rewritten,
    # so this is stable across servers and restores, unlike the file's mtime.
    return int(blob.created_at.timestamp())


def content_type_for(filename: str) -> str:
    guessed, _encoding = mimetypes.guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


# --- ranges ---------------------------------------------------------------------------


class Unsatisfiable(Exception):
    """A syntactically valid Range that selects no byte of the file (→ 416)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range a Range header asks for, or None to send the whole file.

    Malformed headers and multi-range requests are ignored (RFC 9110 §14.2 lets a
    server do so; download managers resume with single ranges). Raises
    Unsatisfiable when the range starts past the end or asks for an empty suffix.
    """
    match = _RANGE.match(header or "")
    if not match:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, so ignored
    if start >= size:
        raise Unsatisfiable
    end = int(last) if last else size - 1
    return ByteRange(start, min(end, size - 1))


def if_range_allows(request: HttpRequest, etag: str, last_modified: int) -> bool:
    """Whether a Range may be honoured under If-Range: only if the client's copy is
    still this file (strong ETag match, or the exact Last-Modified date)."""
    value = request.META.get("HTTP_IF_RANGE", "").strip()
    if not value:
        return True
    if value.startswith(('"', "W/")):
        return value == etag
    return parse_http_date_safe(value) == last_modified


def _iter_range(handle, start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break  # the file shrank under us; the client sees a short body
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


# --- responses ------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    response: HttpResponseBase
    byte_range: ByteRange | None
    body_length: int
    via: str


def serve_original(request: HttpRequest, document) -> Served:
    """The response for one download request of ``document``'s original."""
    blob = document.blob
    size = blob.size
    etag = etag_for(blob)
    last_modified = last_modified_for(blob)
    accel = settings.WENKU_X_ACCEL_REDIRECT

    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:  # 304 Not Modified or 412 Precondition Failed
        _common_headers(conditional, document, etag, last_modified)
        return Served(conditional, None, 0, DownloadLog.Via.APP)

    byte_range = None
    header = request.META.get("HTTP_RANGE", "")
    if header and if_range_allows(request, etag, last_modified):
        try:
            byte_range = parse_range(header, size)
        except Unsatisfiable:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            _common_headers(response, document, etag, last_modified)
            return Served(response, None, 0, DownloadLog.Via.APP)

    if accel:
        # nginx answers Range, If-Range and HEAD itself from the file on disk.
        response = HttpResponse()
        response["X-Accel-Redirect"] = x_accel_path(blob)
        _common_headers(response, document, etag, last_modified)
        # nginx adds its own Accept-Ranges (and ETag/Last-Modified) for the file it sends.
        del response["Accept-Ranges"]
        length = byte_range.length if byte_range else size
        return Served(response, byte_range, length, DownloadLog.Via.ACCEL)

    handle = storage.originals().open(blob.storage_name, "rb")
    if byte_range is None:
        # FileResponse hands the open file to the server's wsgi.file_wrapper (sendfile
        # where the server supports it) and sets Content-Length from the file.
        response = FileResponse(handle, content_type=content_type_for(document.original_filename))
        # Django's default 4 KiB blocks cost a Python round trip per 4 KiB: measured
        # 3× slower than 1 MiB blocks on a 50 MB file (bench/downloads.py).
        response.block_size = CHUNK
        response["Content-Length"] = str(size)
        length = size
    else:
        response = StreamingHttpResponse(
            _iter_range(handle, byte_range.start, byte_range.length),
            status=206,
            content_type=content_type_for(document.original_filename),
        )
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        response["Content-Length"] = str(byte_range.length)
        length = byte_range.length
    _common_headers(response, document, etag, last_modified)
    return Served(response, byte_range, length, DownloadLog.Via.APP)


def _common_headers(response: HttpResponseBase, document, etag: str, last_modified: int):
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Content-Disposition"] = content_disposition(document.original_filename)
    # Per-user content: browsers may keep it, shared caches must not.
    response["Cache-Control"] = "private, no-transform"
    if response.status_code in (200, 206):
        response["Content-Type"] = content_type_for(document.original_filename)


def x_accel_path(blob) -> str:
    """The internal nginx location for a blob. The storage name is derived from the
    hex digest only, so it cannot climb out of the originals directory."""
    if not re.fullmatch(r"[0-9a-f]{64}", blob.sha256):
        raise ValueError(f"not a sha256: {blob.sha256!r}")
    return settings.WENKU_X_ACCEL_PREFIX + blob.storage_name


# --- verification ---------------------------------------------------------------------


# Verifications this process has seen recently: sha256 → (size, mtime, checked at).
# Saves the cache table's query on repeated downloads; the stat is still done every time.
_recent: dict[str, tuple[int, object, float]] = {}
_RECENT_SECONDS = 60.0
_RECENT_MAX = 4096


def ensure_verified(blob) -> bool:
    """True if the stored original hashes to its sha256, re-hashing only when needed.

    The cache row (BlobVerification) is trusted while the file's size and mtime are
    what they were when it was hashed and the verification is younger than
    WENKU_VERIFY_INTERVAL_HOURS; otherwise the file is read and hashed again. A
    failed verification is never cached, so a restored file is served again at once.
    """
    originals = storage.originals()
    name = blob.storage_name
    try:
        size, modified = _stat(originals, name)
    except (FileNotFoundError, OSError):
        return False
    if size != blob.size:
        _recent.pop(blob.sha256, None)
        BlobVerification.objects.filter(blob=blob).delete()
        return False
    now = time.monotonic()
    seen = _recent.get(blob.sha256)
    if seen is not None and seen[:2] == (size, modified) and now - seen[2] < _RECENT_SECONDS:
        return True
    fresh_after = timezone.now() - timedelta(hours=settings.WENKU_VERIFY_INTERVAL_HOURS)
    cached = BlobVerification.objects.filter(
        blob=blob, size=size, modified_at=modified, verified_at__gt=fresh_after
    ).exists()
    if not cached:
        try:
            intact = storage.verify_sha256(originals, name, blob.sha256)
        except (FileNotFoundError, OSError):
            intact = False
        if not intact:
            _recent.pop(blob.sha256, None)
            BlobVerification.objects.filter(blob=blob).delete()
            return False
        # A concurrent request may record the same verification first; either row is right.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            BlobVerification.objects.update_or_create(
                blob=blob,
                defaults={"verified_at": timezone.now(), "size": size, "modified_at": modified},
            )
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[blob.sha256] = (size, modified, now)
    return True


def _stat(originals, name: str):
    """(size, modification time) of a stored file: one os.stat on the local filesystem,
    the storage API elsewhere (None when the backend cannot tell the time)."""
    try:
        path = originals.path(name)
    except NotImplementedError:
        try:
            modified = originals.get_modified_time(name)
        except NotImplementedError:
            modified = None
        return originals.size(name), modified
    stat = os.stat(path)
    return stat.st_size, datetime.fromtimestamp(stat.st_mtime, tz=UTC)


# --- log ------------------------------------------------------------------------------


def record(user, document, served: Served) -> DownloadLog:
    """Log a served GET. Only a download starting at byte 0 counts towards the
    per-document and per-user totals; resumes continue one already counted."""
    byte_range = served.byte_range
    return DownloadLog.objects.create(
        user=user,
        document=document,
        status=served.response.status_code,
        range_start=byte_range.start if byte_range else 0,
        range_end=byte_range.end if byte_range else None,
        bytes=served.body_length,
        counted=byte_range is None or byte_range.start == 0,
        via=served.via,
    )


def download_count(document) -> int:
    return DownloadLog.objects.counted().filter(document=document).count()


def user_download_count(user) -> int:
    return DownloadLog.objects.counted().filter(user=user).count()
