"""The double-entry ledger: accounts, transactions and their entries.

Sign convention: an entry's amount is what the account *receives* (positive) or
*gives* (negative). The entries of one transaction sum to zero, so points are never
created or destroyed inside the system; they enter from the top-up source (whose
balance is therefore the negative of all points ever credited) and leave to the
payout sink.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete ledger history."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk update/delete would bypass the model guards, so they are refused too.

    (The database refuses UPDATE as well: see migration 0002's triggers.)
    """

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    delete.queryset_only = True  # type: ignore[attr-defined]


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class Account(models.Model):
    """A points account: one per user, plus one per system role.

    ``balance`` is a cache of the sum of the account's entries, changed only by
    ``wenku.commerce.ledger`` inside the transaction that writes the entries, after
    locking the row; ``wenku ledger-check`` proves the two agree.
    """

    class Kind(models.TextChoices):
        USER = "user", _("user wallet")
        PLATFORM = "platform", _("platform revenue")
        TOP_UP = "top_up", _("top-up source")
        PAYOUT = "payout", _("payout sink")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.USER)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wallet",
    )
    balance = models.BigIntegerField(_("balance (points)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            # Users can never owe points. System accounts are exempt: the top-up
            # source is negative by construction, and the platform absorbs refunds
            # of earnings that were already withdrawn (see services.refund).
            models.CheckConstraint(
                condition=Q(balance__gte=0) | ~Q(kind="user"),
                name="user_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(kind="user", user__isnull=False) | (~Q(kind="user") & Q(user=None)),
                name="user_account_has_user",
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=~Q(kind="user"), name="one_system_account_per_kind"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.USER:
            return f"{self.user} ({self.balance})"
        return f"{self.get_kind_display()} ({self.balance})"


class LedgerTransaction(AppendOnlyModel):
    """One movement of points, made of entries that sum to zero."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("top-up")
        PURCHASE = "purchase", _("purchase")
        REFUND = "refund", _("refund")
        WITHDRAWAL = "withdrawal", _("withdrawal")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # Every operation names itself; a retry with the same key finds the first
    # attempt instead of moving points twice.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who caused it, if not the account holders themselves (operator, staff)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.idempotency_key}"


class LedgerEntry(AppendOnlyModel):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("amount (points)"))

    class Meta:
        ordering = ["transaction_id", "id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
            # One line per account per transaction keeps reversals and reports simple.
            models.UniqueConstraint(
                fields=["transaction", "account"], name="one_entry_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount:+d}"
