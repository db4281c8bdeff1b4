"""Figures for the "my …" pages, computed from the ledger so they agree with balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from wenku.commerce.models import LedgerEntry, LedgerTransaction, Purchase, WithdrawalRequest

Kind = LedgerTransaction.Kind


@dataclass(frozen=True)
class Earnings:
    author_income: int  # author shares of sales
    referral_income: int  # referrer shares
    clawed_back: int  # given back on refunds (positive number)
    withdrawn: int
    pending_withdrawal: int
    sales: int  # number of the author's documents sold (not refunded)

    @property
    def net(self) -> int:
        return self.author_income + self.referral_income - self.clawed_back


def _income_entries(user):
    # Positive entries of purchase transactions on the user's own wallet: as buyer the
    # amount is negative, so these are exactly author and referrer shares.
    return LedgerEntry.objects.filter(
        account__user=user, transaction__kind=Kind.PURCHASE, amount__gt=0
    )


def earnings(user) -> Earnings:
    income = _income_entries(user)
    referral = (
        income.filter(transaction__purchase__referrer=user).aggregate(s=Sum("amount"))["s"] or 0
    )
    total = income.aggregate(s=Sum("amount"))["s"] or 0
    clawed = (
        LedgerEntry.objects.filter(
            account__user=user, transaction__kind=Kind.REFUND, amount__lt=0
        ).aggregate(s=Sum("amount"))["s"]
        or 0
    )
    withdrawals = WithdrawalRequest.objects.filter(author=user)
    by_status = dict(
        withdrawals.values("status").annotate(s=Sum("amount")).values_list("status", "s")
    )
    return Earnings(
        author_income=total - referral,
        referral_income=referral,
        clawed_back=-clawed,
        withdrawn=by_status.get(WithdrawalRequest.Status.APPROVED, 0) or 0,
        pending_withdrawal=by_status.get(WithdrawalRequest.Status.PENDING, 0) or 0,
        sales=Purchase.objects.active().filter(document__owner=user).count(),
    )


def daily_income(user, *, days: int = 30, today: date | None = None) -> list[tuple[date, int]]:
    """Income (author + referrer shares) per day for the last ``days`` days, oldest
    first, with zero days filled in; days are in the site's time zone."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    rows = (
        _income_entries(user)
        .filter(transaction__created_at__date__gte=first)
        .annotate(day=TruncDate("transaction__created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    totals = dict(rows)
    return [
        (first + timedelta(days=i), totals.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def recent_sales(user, *, limit: int = 20):
    """The author's latest sales with the share they earned on each."""
    share = LedgerEntry.objects.filter(
        transaction=OuterRef("transaction"), account__user=user
    ).values("amount")[:1]
    return (
        Purchase.objects.filter(document__owner=user)
        .select_related("document", "buyer")
        .annotate(earned=Subquery(share))
        .order_by("-created_at", "-id")[:limit]
    )


def top_documents(user, *, limit: int = 5):
    from wenku.documents.models import Document

    return (
        Document.objects.filter(owner=user, purchases__refunded_at__isnull=True)
        .annotate(sold=Count("purchases"))
        .order_by("-sold", "-id")[:limit]
    )
