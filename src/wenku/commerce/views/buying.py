"""Buying and downloading: the confirmation page, the purchase, the signed download
link, and payment-provider webhooks."""

from __future__ import annotations

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from wenku.commerce import downloads, ledger, referrals, services
from wenku.commerce.entitlements import is_entitled, needs_purchase
from wenku.commerce.errors import CommerceError, InsufficientBalance, NothingToBuy
from wenku.commerce.gateways import get_gateway
from wenku.commerce.models import Purchase
from wenku.commerce.shares import split_price
from wenku.documents.models import Document

log = logging.getLogger(__name__)


def start_download(request: HttpRequest, document: Document) -> HttpResponse:
    """What 下载文档 does: the file if the user may have it, else the way to get it.

    Shared with the documents app's download URL so there is one rule for both.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(document.get_absolute_url())
    if is_entitled(request.user, document) and document.status == Document.Status.READY:
        return redirect(downloads.download_url(request.user, document))
    if document.is_published and needs_purchase(request.user, document):
        return redirect("commerce:buy", pk=document.pk)
    raise Http404


@require_safe
def get(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    return start_download(request, document)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def buy(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation (price, balance, what the buyer gets). POST: buy it."""
    document = get_object_or_404(
        Document.objects.published().select_related("owner", "blob"), pk=pk
    )
    if not needs_purchase(request.user, document) or is_entitled(request.user, document):
        # Nothing to pay: free, their own, staff, or already bought.
        return redirect(downloads.download_url(request.user, document))
    error = ""
    if request.method == "POST":
        try:
            result = services.purchase(
                request.user,
                document,
                request.POST.get("idempotency_key", "") or uuid.uuid4().hex,
                referrer=referrals.referrer_for(request.user),
                expected_price=_int_or_none(request.POST.get("price")),
            )
        except NothingToBuy:
            return redirect(downloads.download_url(request.user, document))
        except InsufficientBalance as exc:
            error = str(exc)
        except CommerceError as exc:
            error = str(exc)
        else:
            return redirect("commerce:bought", pk=result.purchase.pk)
    balance = ledger.balance_of(request.user)
    context = {
        "document": document,
        "balance": balance,
        "shortfall": max(document.price - balance, 0),
        "idempotency_key": uuid.uuid4().hex,
        "error": error,
        "author_share": split_price(document.price, with_referrer=False).author,
    }
    return render(request, "commerce/buy.html", context, status=402 if error else 200)


@login_required
@require_safe
def bought(request: HttpRequest, pk: int) -> HttpResponse:
    """After a purchase: confirm it and start the download (meta refresh)."""
    purchase = get_object_or_404(
        Purchase.objects.active().select_related("document"), pk=pk, buyer=request.user
    )
    context = {
        "purchase": purchase,
        "document": purchase.document,
        "download_url": downloads.download_url(request.user, purchase.document),
        "balance": ledger.balance_of(request.user),
    }
    return render(request, "commerce/bought.html", context)


@require_safe
def download(request: HttpRequest, token: str, filename: str = "") -> HttpResponse:
    """Serve an original through a signed link.

    The link names its user: someone else's link, a forged one, or one for a document
    the user may no longer download is a 404; an expired one is a 403 that points back
    to the document page, where a fresh link is one click away.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        user_id, document_id = downloads.read_token(token)
    except signing.SignatureExpired:
        return _expired(request, token)
    except signing.BadSignature:
        raise Http404 from None
    if user_id != request.user.pk:
        raise Http404
    # visible_to + is_entitled is the same rule as Document.objects.downloadable_by
    # (tests/commerce/test_purchases.py checks they agree) at a third of the ORM cost,
    # which matters when nginx sends the bytes and this view is all the overhead.
    document = get_object_or_404(
        Document.objects.visible_to(request.user).select_related("blob"),
        pk=document_id,
        status=Document.Status.READY,
    )
    if not is_entitled(request.user, document):
        raise Http404
    if not downloads.ensure_verified(document.blob):
        # Never serve bytes other than the ones uploaded; an operator must restore them.
        log.error(
            "original failed verification document_id=%s sha256=%s",
            document.pk,
            document.blob.sha256,
        )
        return render(request, "documents/download_failed.html", {"document": document}, status=500)
    served = downloads.serve_original(request, document)
    if request.method == "GET" and served.response.status_code in (200, 206):
        downloads.record(request.user, document, served)
    return served.response


def _expired(request: HttpRequest, token: str) -> HttpResponse:
    document = None
    try:
        # The signature is genuine, only old: it is safe to say which document it was.
        value = signing.TimestampSigner(salt=downloads.SIGNING_SALT).unsign(token)
        document_id = int(value.partition("-")[2])
        document = Document.objects.visible_to(request.user).filter(pk=document_id).first()
    except (signing.BadSignature, ValueError):
        pass
    return render(request, "commerce/link_expired.html", {"document": document}, status=403)


@csrf_exempt  # providers cannot send our CSRF token; each gateway verifies its signature
@require_POST
def webhook(request: HttpRequest, gateway: str) -> HttpResponse:
    try:
        handler = get_gateway(gateway)
    except KeyError:
        raise Http404 from None
    return handler.handle_webhook(request)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def buy_url(document: Document) -> str:
    return reverse("commerce:buy", args=[document.pk])
