"""Pages and endpoints for documents: the list, upload, live status, detail, page images
and download.

Every view that shows a document starts from ``Document.objects.visible_to(user)`` (or
``downloadable_by``), so the visibility rules live in one place, the QuerySet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wenku.commerce.detail import detail_context
from wenku.commerce.views.buying import start_download
from wenku.discovery.rankings import rankings
from wenku.discovery.seo import document_context
from wenku.documents import services, storage
from wenku.documents.models import Document, Page
from wenku.documents.paging import CachedCountPaginator
from wenku.documents.pipeline.errors import message_for

log = logging.getLogger(__name__)

Status = Document.Status

HOME_PAGE_SIZE = 20
PAGE_IMAGE_SIZES = ("thumb", "large")
UPLOAD_FIELD = "file"
# Multipart framing (boundary lines, part headers, the CSRF field) makes the request
# body a little larger than the file; allow for it so the early Content-Length check
# does not refuse a file that is exactly at the limit. ingest() enforces the exact limit.
MULTIPART_ALLOWANCE = 64 * 1024
ALT_TEXT_CHARS = 60


# --- list -----------------------------------------------------------------------------


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Newest published documents; thumbnails are plain URLs, so no per-row queries."""
    documents = (
        Document.objects.published().select_related("owner").order_by("-published_at", "-id")
    )
    paginator = CachedCountPaginator(documents, HOME_PAGE_SIZE, cache_key="home:count")
    page_obj = paginator.get_page(request.GET.get("page"))
    # Rankings only on the first page: later pages are for browsing the newest list.
    ranked = rankings() if page_obj.number == 1 else None
    return render(request, "documents/home.html", {"page_obj": page_obj, "rankings": ranked})


# --- upload ---------------------------------------------------------------------------


# csrf_exempt only postpones the CSRF check: CsrfViewMiddleware reads request.POST,
# which would parse (and spool to disk) the whole multipart body before we could
# refuse an oversized upload. _receive_upload is csrf_protect-ed, so the token is
# still required, checked right after the Content-Length test. (Django documents
# this pattern for per-request upload handling.)
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    wants_json = _wants_json(request)
    if not request.user.is_authenticated:
        if request.method == "POST" and wants_json:
            return JsonResponse({"error": _("Please log in again.")}, status=401)
        return redirect_to_login(request.get_full_path())
    if request.method != "POST":
        return _upload_page(request)
    if _declared_length(request) > services.max_upload_bytes() + MULTIPART_ALLOWANCE:
        return _upload_refused(request, _too_large_message(), 413, wants_json)
    return _receive_upload(request, wants_json)


@csrf_protect
def _receive_upload(request: HttpRequest, wants_json: bool) -> HttpResponse:
    uploads = [f for f in request.FILES.getlist(UPLOAD_FIELD) if f.size]
    if not uploads:
        return _upload_refused(request, _("Choose a non-empty file to upload."), 400, wants_json)
    # The upload page sends one file per request; a browser without JS may send several.
    documents = []
    try:
        for uploaded in uploads if not wants_json else uploads[:1]:
            documents.append(_ingest(request, uploaded))
    except services.UploadTooLarge:
        return _upload_refused(request, _too_large_message(), 413, wants_json)
    document = documents[0]
    if wants_json:
        return JsonResponse(
            {
                "id": document.pk,
                "url": document.get_absolute_url(),
                "status_url": reverse("documents:status_json", args=[document.pk]),
                "status": document.status,
                "status_label": str(document.get_status_display()),
            }
        )
    if len(documents) > 1:
        messages.success(request, _("%(count)d files uploaded.") % {"count": len(documents)})
    return redirect(document)


def _ingest(request: HttpRequest, uploaded: UploadedFile) -> Document:
    document = services.ingest(request.user, uploaded.chunks(), uploaded.name or "")
    # With an in-process task backend the pipeline has already run; reload its outcome.
    document.refresh_from_db()
    return document


def _upload_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    context = {"error": error, "upload_messages": _upload_messages()}
    return render(request, "documents/upload.html", context, status=status)


def _upload_refused(
    request: HttpRequest, error: str, status: int, wants_json: bool
) -> HttpResponse:
    if wants_json:
        return JsonResponse({"error": error}, status=status)
    return _upload_page(request, error, status)


def _too_large_message() -> str:
    return _("The file is larger than the upload limit of %(limit)d MB.") % {
        "limit": settings.WENKU_MAX_UPLOAD_MB
    }


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _wants_json(request: HttpRequest) -> bool:
    """True for the upload script (Accept: application/json) and for API-like clients
    that send no Accept header; False for a browser's plain form submission, which
    prefers text/html."""
    return request.get_preferred_type(["application/json", "text/html"]) == "application/json"


def _upload_messages() -> dict[str, str]:
    """Strings the upload script shows, translated here so the JS has no catalogue."""
    return {
        "tooLarge": _("Larger than the {limit} MB limit; not sent."),
        "badType": _("This file type is not accepted; not sent."),
        "uploading": _("Uploading…"),
        "processing": _("Uploaded; processing on the server…"),
        "open": _("Open the document"),
        "networkError": _("Network error: the upload did not finish."),
        "failed": _("Upload failed."),
    }


# --- status ---------------------------------------------------------------------------


@never_cache
@require_safe
def status_json(request: HttpRequest, pk: int) -> JsonResponse:
    document = _visible_document(request, pk)
    ready = document.status == Status.READY
    payload: dict[str, object] = {
        "id": document.pk,
        "status": document.status,
        "status_label": str(document.get_status_display()),
        "finished": document.is_finished,
        "page_count": document.page_count,
        "error": message_for(document.error_code) if document.status == Status.FAILED else None,
        "url": document.get_absolute_url(),
    }
    if ready:
        payload["thumb_url"] = reverse("documents:page_image", args=[document.pk, 1, "thumb"])
    return JsonResponse(payload)


@never_cache
@require_safe
def status_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The processing box on the detail page, polled by htmx until the document is done."""
    document = _visible_document(request, pk)
    response = render(request, "documents/_status.html", _status_context(request, document))
    if document.status == Status.READY and request.headers.get("HX-Request"):
        # The preview is now there to show: have htmx reload the whole page.
        response["HX-Refresh"] = "true"
    return response


def _status_context(request: HttpRequest, document: Document) -> dict[str, object]:
    failed = document.status == Status.FAILED
    return {
        "document": document,
        "error": message_for(document.error_code) if failed else "",
        "can_manage": _can_manage(request, document),
    }


# --- detail ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewPage:
    number: int
    width: int
    height: int
    text: str
    alt: str
    image_url: str


@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible_document(request, pk)
    allowed = _previewable(request, document)
    initial = min(settings.WENKU_INITIAL_PREVIEW_PAGES, allowed)
    pages = [_preview_page(page) for page in document.pages.filter(number__lte=allowed)]
    context = {
        **_status_context(request, document),
        "size": format_size(document.size),
        "initial_pages": pages[:initial],
        "text_pages": pages,
        "previewable": allowed,
        "more_count": allowed - initial,
        "share_url": request.build_absolute_uri(document.get_absolute_url()),
        # Price, purchase state, favorites, download count: the commerce side of the page.
        **detail_context(request, document),
        # SEO tags, 你可能关注的文档 and the view counter: the discovery side.
        **document_context(request, document, pages[0].text if pages else ""),
    }
    return render(request, "documents/detail.html", context)


@require_safe
def more_pages(request: HttpRequest, pk: int) -> HttpResponse:
    """The pages of the allowed preview beyond the initial ones, for the 展开 button."""
    document = _visible_document(request, pk)
    pages = document.pages.filter(
        number__gt=settings.WENKU_INITIAL_PREVIEW_PAGES,
        number__lte=_previewable(request, document),
    )
    context = {"pages": [_preview_page(page) for page in pages], "document": document}
    return render(request, "documents/_pages.html", context)


def _previewable(request: HttpRequest, document: Document) -> int:
    if document.status != Status.READY:
        return 0
    return document.previewable_count(request.user)


def _preview_page(page: Page) -> PreviewPage:
    snippet = " ".join(page.text.split())
    if len(snippet) > ALT_TEXT_CHARS:
        snippet = snippet[:ALT_TEXT_CHARS] + "…"
    return PreviewPage(
        number=page.number,
        width=page.width,
        height=page.height,
        text=page.text,
        alt=snippet or _("Page %(number)s") % {"number": page.number},
        image_url=reverse("documents:page_image", args=[page.document_id, page.number, "large"]),
    )


def format_size(size: int) -> str:
    """Sizes the way Chinese document sites show them: 23.16KB, 1.50MB."""
    if size < 1024:
        return f"{size}B"
    if size < 1024 * 1024:
        return f"{size / 1024:.2f}KB"
    if size < 1024 * 1024 * 1024:
        return f"{size / 1024 / 1024:.2f}MB"
    return f"{size / 1024 / 1024 / 1024:.2f}GB"


# --- bytes ----------------------------------------------------------------------------


@require_safe
def page_image(request: HttpRequest, pk: int, number: int, size: str) -> FileResponse:
    """One rendered page, only within what this reader may preview."""
    if size not in PAGE_IMAGE_SIZES or number < 1:
        raise Http404
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    if number > _previewable(request, document):
        raise Http404
    page = get_object_or_404(
        Page.objects.only("id", "document_id", "number"), document=document, number=number
    )
    try:
        handle = storage.pages().open(page.image_name(size), "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/webp")
    # private: what a reader may see depends on who they are, so no shared cache may keep it.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """下载文档: a redirect to the reader's signed, expiring download link if they may
    have the file (free, theirs, bought, staff), else to the purchase confirmation.
    The bytes themselves are served by ``commerce:download`` (Range, verification,
    X-Accel-Redirect, download log)."""
    document = get_object_or_404(
        Document.objects.visible_to(request.user).filter(status=Status.READY), pk=pk
    )
    return start_download(request, document)


# --- management -----------------------------------------------------------------------


@login_required
@require_POST
def reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    document = _visible_document(request, pk)
    if not _can_manage(request, document):
        raise Http404
    if document.is_finished:
        services.reprocess(document, actor=request.user)
        messages.success(request, _("The document was queued for processing again."))
    else:
        messages.info(request, _("The document is still being processed."))
    return redirect(document)


# --- helpers --------------------------------------------------------------------------


def _visible_document(request: HttpRequest, pk: int) -> Document:
    queryset = Document.objects.visible_to(request.user).select_related("blob", "owner", "category")
    return get_object_or_404(queryset, pk=pk)


def _can_manage(request: HttpRequest, document: Document) -> bool:
    """Owner and staff may see error details and reprocess; the same people who may see
    every page."""
    return document.can_see_all_pages(request.user)
