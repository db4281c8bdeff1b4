"""Template context shared by every page that offers an upload."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from wenku.documents.pipeline.formats import ACCEPTED_EXTENSIONS


def upload_limits(request: HttpRequest) -> dict[str, object]:
    """The upload size limit and accepted file types, for the upload form and its JS.

    Computed from settings on each call so tests that override the limit see it.
    """
    return {
        "upload_max_mb": settings.WENKU_MAX_UPLOAD_MB,
        "upload_max_bytes": settings.WENKU_MAX_UPLOAD_MB * 1024 * 1024,
        "upload_extensions": ACCEPTED_EXTENSIONS,
        # The value of an <input type=file accept=...> attribute.
        "upload_accept": ",".join(ACCEPTED_EXTENSIONS),
        "upload_formats": " ".join(ext.lstrip(".").upper() for ext in ACCEPTED_EXTENSIONS),
    }
