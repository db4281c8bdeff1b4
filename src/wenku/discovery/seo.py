"""What search engines and link previews read from a document page: description,
OpenGraph, schema.org JSON-LD, and the related documents under it.

``document_context`` is everything the discovery side adds to the detail page, so the
documents app's view adds it in one line.
"""

from __future__ import annotations

import json
import re

from django.http import HttpRequest
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from wenku.discovery.rankings import record_view
from wenku.discovery.related import related_documents

DESCRIPTION_CHARS = 120
RELATED_LIMIT = 8
_CJK = re.compile(r"[\u3400-\u9fff]")
MIME_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "epub": "application/epub+zip",
}
# What json_script escapes: inside <script>, "</script>" or "<!--" in a title must
# stay data. \u003C is still "<" to a JSON parser.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def description(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """The first ``limit`` characters of the text, whitespace collapsed."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + "…"


def json_ld_script(data: dict) -> SafeString:
    """A <script type="application/ld+json"> element no value inside it can break out of."""
    payload = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    # Safe: every <, > and & of the data is escaped above; the rest is JSON syntax.
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')


def document_json_ld(document, url: str, image: str, summary: str) -> dict:
    created = document.published_at or document.created_at
    return {
        "@context": "https://schema.org",
        "@type": "DigitalDocument",
        "name": document.title,
        "url": url,
        "description": summary,
        "dateCreated": created.isoformat(),
        "author": {"@type": "Person", "name": document.owner.get_username()},
        "numberOfPages": document.page_count,
        "inLanguage": "zh-CN" if _CJK.search(document.title + summary) else "en",
        "keywords": ", ".join(document.keywords or []),
        "encodingFormat": MIME_TYPES.get(document.format, "application/octet-stream"),
        "thumbnailUrl": image,
    }


def document_context(request: HttpRequest, document, first_page_text: str) -> dict[str, object]:
    """SEO tags and 你可能关注的文档 for a document page; counts the view."""
    if not document.is_published:
        # Owners and staff previewing an unpublished document: nothing for crawlers.
        return {"related": [], "seo_description": description(first_page_text)}
    if request.method == "GET":
        record_view(document, request.user)
    url = request.build_absolute_uri(document.get_absolute_url())
    image = request.build_absolute_uri(
        reverse("documents:page_image", args=[document.pk, 1, "thumb"])
    )
    summary = description(first_page_text) or document.title
    return {
        "related": related_documents(document, limit=RELATED_LIMIT),
        "seo_description": summary,
        "og_image": image,
        "canonical_url": url,
        "json_ld": json_ld_script(document_json_ld(document, url, image, summary)),
    }
