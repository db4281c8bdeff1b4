"""The "my …" pages: wallet (balance, history, top-up), purchases, earnings, favorites."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from wenku.commerce import charts, downloads, ledger, reports, services
from wenku.commerce.errors import CommerceError
from wenku.commerce.gateways import get_gateway
from wenku.commerce.models import Favorite, LedgerEntry, Purchase, TopUpOrder, WithdrawalRequest
from wenku.documents.models import Document

PAGE_SIZE = 20


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    """Balance, the account's ledger lines, and a top-up request through the gateway."""
    if request.method == "POST":
        try:
            gateway = get_gateway(request.POST.get("gateway") or "local")
        except KeyError:
            messages.error(request, _("Unknown payment method."))
            return redirect("commerce:wallet")
        try:
            points = int(request.POST.get("points", ""))
            started = gateway.start_top_up(request.user, points)
        except (ValueError, CommerceError) as exc:
            messages.error(
                request,
                str(exc) if isinstance(exc, CommerceError) else _("Enter a number of points."),
            )
        else:
            if started.redirect_url:
                return redirect(started.redirect_url)
            messages.info(request, started.instructions)
        return redirect("commerce:wallet")
    entries = (
        LedgerEntry.objects.filter(account__user=request.user)
        .select_related("transaction")
        .order_by("-transaction__created_at", "-id")
    )
    context = {
        "balance": ledger.balance_of(request.user),
        "page_obj": Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        "pending_top_ups": TopUpOrder.objects.filter(
            user=request.user, status=TopUpOrder.Status.PENDING
        ),
    }
    return render(request, "commerce/wallet.html", context)


@login_required
@require_safe
def purchases(request: HttpRequest) -> HttpResponse:
    """Everything the user bought, each with a fresh download link."""
    bought = (
        Purchase.objects.active()
        .filter(buyer=request.user)
        .select_related("document", "document__owner")
    )
    page_obj = Paginator(bought, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(p, downloads.download_url(request.user, p.document)) for p in page_obj]
    return render(request, "commerce/purchases.html", {"page_obj": page_obj, "rows": rows})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def earnings(request: HttpRequest) -> HttpResponse:
    """Sales over time (chart), totals, and the withdrawal request form."""
    if request.method == "POST":
        try:
            amount = int(request.POST.get("amount", ""))
            services.request_withdrawal(request.user, amount)
        except ValueError:
            messages.error(request, _("Enter a whole number of points."))
        except CommerceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Withdrawal requested; staff will review it."))
        return redirect("commerce:earnings")
    balance = ledger.balance_of(request.user)
    figures = reports.earnings(request.user)
    context = {
        "balance": balance,
        "figures": figures,
        "chart": charts.bar_chart(reports.daily_income(request.user)),
        "sales": reports.recent_sales(request.user),
        "top_documents": reports.top_documents(request.user),
        "withdrawals": WithdrawalRequest.objects.filter(author=request.user)[:20],
        "minimum_withdrawal": settings.WENKU_MIN_WITHDRAWAL,
        "available": max(balance - figures.pending_withdrawal, 0),
    }
    return render(request, "commerce/earnings.html", context)


@login_required
@require_safe
def favorites(request: HttpRequest) -> HttpResponse:
    rows = (
        Favorite.objects.filter(user=request.user)
        # A favorite whose document was unpublished since stays hidden, not broken.
        .filter(document__in=Document.objects.visible_to(request.user))
        .select_related("document", "document__owner")
    )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "commerce/favorites.html", {"page_obj": page_obj})
