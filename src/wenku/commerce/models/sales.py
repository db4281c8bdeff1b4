"""What points buy and where they go: purchases, referrals, top-ups and withdrawals.

Each row that moves points points at the ledger transaction that moved them; the
rows here carry workflow state (pending, refunded…), the ledger carries the money.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenku.commerce.models.ledger import LedgerTransaction


class PurchaseQuerySet(models.QuerySet):
    def active(self) -> PurchaseQuerySet:
        """Purchases that still entitle their buyer (not refunded)."""
        return self.filter(refunded_at__isnull=True)


class Purchase(models.Model):
    """A permanent entitlement: the buyer may download the document again at any time.

    Only a refund ends it. At most one *active* purchase exists per buyer and
    document (a partial unique index), so concurrent buys cannot make two; after a
    refund the buyer may buy again.
    """

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.PROTECT, related_name="purchases"
    )
    price = models.PositiveIntegerField(_("price paid (points)"))
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referred_purchases",
    )
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="purchase"
    )
    created_at = models.DateTimeField(_("bought at"), default=timezone.now, db_index=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refund_transaction = models.OneToOneField(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_purchase",
    )
    refund_reason = models.TextField(_("refund reason"), blank=True)

    objects = PurchaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "document"],
                condition=Q(refunded_at__isnull=True),
                name="one_active_purchase_per_buyer_and_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.buyer} → {self.document_id} ({self.price})"

    @property
    def is_active(self) -> bool:
        return self.refunded_at is None


class ShareCode(models.Model):
    """A user's referral code, carried as ``?ref=CODE`` on the links they share."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_code"
    )
    code = models.CharField(_("code"), max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("share code")
        verbose_name_plural = _("share codes")

    def __str__(self) -> str:
        return f"{self.code} ({self.user})"


class ReferralAttribution(models.Model):
    """A visitor arrived through a sharer's link: until ``expires_at`` the sharer earns
    the referrer share of that visitor's purchases (except of the sharer's own
    documents). The newest unexpired row wins (last click)."""

    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referred_by"
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals"
    )
    landing_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral attribution")
        verbose_name_plural = _("referral attributions")
        indexes = [models.Index(fields=["visitor", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visitor=models.F("referrer")), name="no_self_referral"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visitor} ← {self.referrer}"


class WithdrawalRequest(models.Model):
    """An author asks to cash out; staff approve (the ledger moves the points to the
    payout sink) or reject (nothing moves). Points are not held while pending, so a
    request is checked against the balance again when approved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawals"
    )
    amount = models.PositiveIntegerField(_("amount (points)"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="withdrawal",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("withdrawal request")
        verbose_name_plural = _("withdrawal requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.amount} ({self.status})"


class TopUpOrder(models.Model):
    """A request to buy points through a payment gateway.

    A real provider confirms payment by webhook; the local gateway has an operator
    confirm it in the admin. Either way ``services.complete_top_up`` credits the
    points exactly once (its idempotency key is the order id).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="top_ups"
    )
    gateway = models.CharField(_("gateway"), max_length=32)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    external_ref = models.CharField(_("provider reference"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="top_up_order",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("top-up order")
        verbose_name_plural = _("top-up orders")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="top_up_points_positive"),
            models.UniqueConstraint(
                fields=["gateway", "external_ref"],
                condition=~Q(external_ref=""),
                name="unique_provider_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.points} via {self.gateway} ({self.status})"
