"""Back office for points: read-only ledger, withdrawal review, top-up confirmation,
and crediting points. Nothing here edits ledger rows; every action goes through
``services`` so it is one balanced, idempotent transaction."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from wenku.commerce import services
from wenku.commerce.errors import CommerceError
from wenku.commerce.models import (
    Account,
    DownloadLog,
    Favorite,
    LedgerEntry,
    LedgerTransaction,
    Purchase,
    ReferralAttribution,
    ShareCode,
    TopUpOrder,
    WithdrawalRequest,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is shown, never edited or deleted."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class CreditForm(forms.Form):
    points = forms.IntegerField(label=_("points"), min_value=1)
    reason = forms.CharField(label=_("reason"), max_length=400)
    # Rendered once per form: submitting the same form twice credits once.
    key = forms.CharField(widget=forms.HiddenInput)


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "user", "balance", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__username",)
    actions = ["credit_points"]

    @admin.action(description=_("Credit points (operator top-up)"))
    def credit_points(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        users = [account.user for account in queryset if account.kind == Account.Kind.USER]
        if "apply" in request.POST:
            form = CreditForm(request.POST)
            if form.is_valid():
                for user in users:
                    try:
                        services.credit(
                            user,
                            form.cleaned_data["points"],
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                            idempotency_key=f"admin:{form.cleaned_data['key']}:{user.pk}",
                        )
                    except CommerceError as exc:
                        self.message_user(request, f"{user}: {exc}", messages.ERROR)
                self.message_user(
                    request,
                    _("Credited %(points)d points to %(count)d account(s).")
                    % {"points": form.cleaned_data["points"], "count": len(users)},
                )
                return redirect(request.get_full_path())
        else:
            form = CreditForm(initial={"key": uuid.uuid4().hex})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credit points"),
            "form": form,
            "users": users,
            "queryset": queryset,
            "action": "credit_points",
            "opts": self.model._meta,
        }
        return render(request, "admin/commerce/credit_points.html", context)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("account", "amount")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "created_at", "memo", "actor", "idempotency_key")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "memo")
    inlines = [LedgerEntryInline]
    date_hierarchy = "created_at"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Allowed so the detail page (with its entries) opens; every field is read-only.
        return request.user.is_staff

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ("id", "buyer", "document", "price", "referrer", "created_at", "refunded_at")
    list_filter = ("refunded_at",)
    search_fields = ("buyer__username", "document__title")
    raw_id_fields = ("document",)
    actions = ["refund"]

    @admin.action(description=_("Refund: give the buyer the price back, end the entitlement"))
    def refund(self, request: HttpRequest, queryset: QuerySet) -> None:
        for purchase in queryset.filter(refunded_at__isnull=True):
            services.refund(purchase, reason=f"refunded by {request.user}", actor=request.user)
        self.message_user(request, _("Selected purchases refunded."))


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(admin.ModelAdmin):
    list_display = ("id", "author", "amount", "status", "created_at", "reviewed_by", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("author__username",)
    readonly_fields = (
        "author",
        "amount",
        "status",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "transaction",
    )
    fields = (*readonly_fields, "note")
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Approve: pay out through the ledger"))
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._review_each(request, queryset, services.approve_withdrawal)
        if done:
            self.message_user(request, _("%(count)d withdrawal(s) approved.") % {"count": done})

    @admin.action(description=_("Reject: leave the balance as it is"))
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = self._review_each(request, queryset, services.reject_withdrawal)
        if done:
            self.message_user(request, _("%(count)d withdrawal(s) rejected.") % {"count": done})

    def _review_each(self, request: HttpRequest, queryset: QuerySet, review) -> int:
        """Apply ``review`` to each request; report refusals one by one, count successes."""
        done = 0
        for withdrawal in queryset:
            try:
                review(withdrawal, actor=request.user)
                done += 1
            except CommerceError as exc:
                self.message_user(request, f"#{withdrawal.pk}: {exc}", messages.ERROR)
        return done


@admin.register(TopUpOrder)
class TopUpOrderAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "gateway", "points", "status", "created_at", "paid_at")
    list_filter = ("status", "gateway")
    search_fields = ("user__username", "external_ref")
    actions = ["confirm_paid"]

    @admin.action(description=_("Confirm payment received and credit the points"))
    def confirm_paid(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for order in queryset:
            try:
                services.complete_top_up(order, actor=request.user)
                done += 1
            except CommerceError as exc:
                self.message_user(request, f"#{order.pk}: {exc}", messages.ERROR)
        self.message_user(request, _("%(count)d top-up(s) credited.") % {"count": done})


@admin.register(DownloadLog)
class DownloadLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "document", "status", "range_start", "bytes", "via")
    list_filter = ("via", "counted")
    raw_id_fields = ("document",)


@admin.register(ShareCode)
class ShareCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "user", "created_at")
    search_fields = ("code", "user__username")


@admin.register(ReferralAttribution)
class ReferralAttributionAdmin(ReadOnlyAdmin):
    list_display = ("visitor", "referrer", "created_at", "expires_at", "landing_path")
    search_fields = ("visitor__username", "referrer__username")


@admin.register(Favorite)
class FavoriteAdmin(ReadOnlyAdmin):
    list_display = ("user", "document", "created_at")
    raw_id_fields = ("document",)
