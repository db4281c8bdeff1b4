"""收藏 and 分享: the favorite toggle (htmx) and the share panel with its QR code."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from wenku.commerce import library, referrals
from wenku.commerce.qr import qr_svg
from wenku.documents.models import Document


@require_POST
def favorite(request: HttpRequest, pk: int) -> HttpResponse:
    """Toggle 收藏. htmx swaps in the returned button; without JS, back to the page."""
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    if not request.user.is_authenticated:
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            login = resolve_url(settings.LOGIN_URL)
            response["HX-Redirect"] = f"{login}?{urlencode({'next': document.get_absolute_url()})}"
            return response
        return redirect_to_login(document.get_absolute_url())
    library.toggle_favorite(request.user, document)
    if request.headers.get("HX-Request"):
        return render(request, "commerce/_favorite.html", favorite_context(request, document))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = document.get_absolute_url()
    return redirect(next_url)


def favorite_context(request: HttpRequest, document: Document) -> dict[str, object]:
    return {
        "document": document,
        "is_favorite": library.is_favorite(request.user, document),
        "favorite_count": library.favorite_count(document),
    }


@require_safe
def share(request: HttpRequest, pk: int) -> HttpResponse:
    """The share panel: the link (with the sharer's code), a copy button, a QR code."""
    document = get_object_or_404(Document.objects.published(), pk=pk)
    return render(request, "commerce/_share.html", share_context(request, document))


def share_context(request: HttpRequest, document: Document) -> dict[str, object]:
    path = document.get_absolute_url()
    user = request.user
    earns = user.is_authenticated and user.pk != document.owner_id
    if earns:
        # No referral code on one's own documents: the author earns the author share anyway.
        path = referrals.share_path(path, user)
    url = request.build_absolute_uri(path)
    return {
        "document": document,
        "share_link": url,
        "qr_svg": qr_svg(url),
        "earns_commission": earns,
        "referrer_share": settings.WENKU_REFERRER_SHARE,
        "referral_days": settings.WENKU_REFERRAL_WINDOW_DAYS,
        "is_owner": user.is_authenticated and user.pk == document.owner_id,
    }
