"""Domain operations on points, callable from views, tasks, the CLI and tests alike.

Every operation that moves points is one ledger transaction (see ``ledger``) posted
inside the same database transaction as the workflow row it belongs to (purchase,
refund, withdrawal, top-up order), so either both exist or neither does.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wenku.commerce import ledger
from wenku.commerce.entitlements import needs_purchase
from wenku.commerce.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    InvalidAmount,
    NotForSale,
    NothingToBuy,
    WithdrawalNotAllowed,
)
from wenku.commerce.models import (
    Account,
    LedgerTransaction,
    Purchase,
    TopUpOrder,
    WithdrawalRequest,
)
from wenku.commerce.shares import split_price

log = logging.getLogger(__name__)

Kind = LedgerTransaction.Kind


# --- top-ups --------------------------------------------------------------------------


def credit(
    user, points: int, *, reason: str, actor=None, idempotency_key: str | None = None
) -> ledger.Posting:
    """Move ``points`` from the top-up source into the user's wallet.

    Without a key each call is a new credit; pass one (an order id, a provider's
    payment id) to make retries harmless.
    """
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidAmount("points to credit must be a positive integer")
    key = idempotency_key or f"credit:{uuid.uuid4().hex}"
    posting = ledger.post(
        kind=Kind.TOP_UP,
        idempotency_key=key,
        movements=[
            (ledger.system_account(Account.Kind.TOP_UP), -points),
            (ledger.user_account(user), points),
        ],
        memo=reason,
        actor=actor,
    )
    if posting.created:
        log.info("points credited user_id=%s points=%s key=%s", user.pk, points, key)
    return posting


def complete_top_up(order: TopUpOrder, *, actor=None, external_ref: str = "") -> TopUpOrder:
    """Credit a paid top-up order, once, however often the provider (or the operator)
    confirms it."""
    source = ledger.system_account(Account.Kind.TOP_UP)
    wallet = ledger.user_account(order.user)
    with transaction.atomic():
        order = TopUpOrder.objects.select_for_update().get(pk=order.pk)
        if order.status == TopUpOrder.Status.PAID:
            return order
        if order.status == TopUpOrder.Status.CANCELLED:
            raise InvalidAmount("this top-up order was cancelled")
        locked = ledger.lock([source, wallet])
        posting = ledger.post_locked(
            locked,
            kind=Kind.TOP_UP,
            idempotency_key=f"top_up_order:{order.pk}",
            movements=[(source, -order.points), (wallet, order.points)],
            memo=f"{order.gateway} top-up {external_ref or order.external_ref}".strip(),
            actor=actor,
        )
        order.status = TopUpOrder.Status.PAID
        order.paid_at = timezone.now()
        order.transaction = posting.transaction
        if external_ref:
            order.external_ref = external_ref
        order.save(update_fields=["status", "paid_at", "transaction", "external_ref"])
    return order


# --- purchases ------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseResult:
    purchase: Purchase
    charged: bool  # False when an earlier purchase (or the same request) is returned


class PriceChanged(NotForSale):
    def __init__(self, expected: int, actual: int) -> None:
        from django.utils.translation import gettext as _

        self.expected, self.actual = expected, actual
        super().__init__(
            _("The price changed from %(expected)d to %(actual)d points; please confirm again.")
            % {"expected": expected, "actual": actual}
        )


def eligible_referrer(referrer, buyer, document):
    """The referrer if they may earn on this sale: not the buyer, not the author."""
    if referrer is None or not referrer.is_active:
        return None
    if referrer.pk in (buyer.pk, document.owner_id):
        return None
    return referrer


def purchase(
    buyer,
    document,
    idempotency_key: str,
    *,
    referrer=None,
    expected_price: int | None = None,
) -> PurchaseResult:
    """Buy a document: charge the buyer, credit the split, record the entitlement.

    * The key identifies this purchase request (a form's hidden UUID): a retried or
      double-submitted request returns the first result and charges once.
    * A buyer who already owns the document is never charged again, whatever the key.
    * Concurrent requests of one buyer are serialised on the buyer's account lock.
    * ``expected_price`` is the price the buyer confirmed; if the author changed it
      since, nothing is charged and PriceChanged says so.

    Raises NothingToBuy (free, own document, staff), NotForSale (not published),
    InsufficientBalance, IdempotencyConflict.
    """
    if not idempotency_key:
        raise ValueError("an idempotency key is required")
    if not buyer.is_authenticated:
        raise NothingToBuy("log in to buy")
    key = f"purchase:{buyer.pk}:{idempotency_key}"[:200]
    referrer = eligible_referrer(referrer, buyer, document)
    holders = [buyer, document.owner, *([referrer] if referrer is not None else [])]
    found = ledger.accounts_for(holders, [Account.Kind.PLATFORM])
    accounts = {
        "buyer": found[buyer.pk],
        "author": found[document.owner_id],
        "platform": found[Account.Kind.PLATFORM],
    }
    if referrer is not None:
        accounts["referrer"] = found[referrer.pk]

    with transaction.atomic():
        locked = ledger.lock(accounts.values())
        existing = ledger.find(key)
        if existing is not None:
            earlier = Purchase.objects.filter(transaction=existing).first()
            if earlier is None or earlier.document_id != document.pk:
                raise IdempotencyConflict(f"key {idempotency_key!r} was used for another purchase")
            return PurchaseResult(earlier, charged=False)
        owned = Purchase.objects.active().filter(buyer=buyer, document=document).first()
        if owned is not None:
            return PurchaseResult(owned, charged=False)

        # Re-read the document under the lock: its price and state are what we charge.
        document.refresh_from_db(fields=["price", "status", "published_at", "owner"])
        if not document.is_published:
            raise NotForSale("this document is not published")
        if not needs_purchase(buyer, document):
            raise NothingToBuy("this document can be downloaded without buying")
        price = document.price
        if expected_price is not None and expected_price != price:
            raise PriceChanged(expected_price, price)

        split = split_price(price, with_referrer=referrer is not None)
        movements = [
            (accounts["buyer"], -price),
            (accounts["author"], split.author),
            (accounts["platform"], split.platform),
        ]
        if referrer is not None:
            movements.append((accounts["referrer"], split.referrer))
        posting = ledger.post_locked(
            locked,
            kind=Kind.PURCHASE,
            idempotency_key=key,
            movements=movements,
            memo=f"document {document.pk}",
            key_checked=True,
        )
        bought = Purchase.objects.create(
            buyer=buyer,
            document=document,
            price=price,
            referrer=referrer,
            transaction=posting.transaction,
        )
    log.info(
        "document bought purchase_id=%s buyer_id=%s document_id=%s price=%s referrer_id=%s",
        bought.pk,
        buyer.pk,
        document.pk,
        price,
        getattr(referrer, "pk", None),
    )
    return PurchaseResult(bought, charged=True)


def refund(purchase: Purchase, *, reason: str, actor=None) -> LedgerTransaction:
    """Reverse a purchase: the buyer gets the full price back and loses the entitlement.

    Each recipient gives back what they received. If the author (or referrer) no
    longer has it — typically because it was already withdrawn — they give what they
    have and the platform account covers the rest: the buyer is made whole either
    way, a user balance never goes negative, and the platform's loss is visible in
    its own balance and in the refund's entries. Refunding twice returns the first
    refund.
    """
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.refund_transaction_id is not None:
            return purchase.refund_transaction
        received = dict(purchase.transaction.entries.values_list("account_id", "amount"))
        platform = ledger.system_account(Account.Kind.PLATFORM)
        buyer = ledger.user_account(purchase.buyer)
        locked = ledger.lock([*Account.objects.filter(pk__in=received), platform, buyer])
        movements: list[tuple[Account, int]] = []
        shortfall = 0
        for account_id, amount in received.items():
            account = locked[account_id]
            if amount >= 0 and account.kind == Account.Kind.USER:
                give_back = min(amount, account.balance)
                shortfall += amount - give_back
                if give_back:
                    movements.append((account, -give_back))
            elif account.pk != platform.pk:
                movements.append((account, -amount))
        movements.append((platform, -(received.get(platform.pk, 0) + shortfall)))
        posting = ledger.post_locked(
            locked,
            kind=Kind.REFUND,
            idempotency_key=f"refund:{purchase.pk}",
            movements=movements,
            memo=(
                f"refund of purchase {purchase.pk}: {reason}"
                + (f" (platform covered {shortfall})" if shortfall else "")
            ),
            actor=actor,
        )
        purchase.refunded_at = timezone.now()
        purchase.refund_transaction = posting.transaction
        purchase.refund_reason = reason
        purchase.save(update_fields=["refunded_at", "refund_transaction", "refund_reason"])
    log.info(
        "purchase refunded purchase_id=%s shortfall=%s actor_id=%s",
        purchase.pk,
        shortfall,
        getattr(actor, "pk", None),
    )
    return posting.transaction


# --- withdrawals ----------------------------------------------------------------------


def pending_withdrawals(user) -> int:
    from django.db.models import Sum

    pending = WithdrawalRequest.objects.filter(author=user, status=WithdrawalRequest.Status.PENDING)
    return pending.aggregate(total=Sum("amount"))["total"] or 0


def request_withdrawal(author, amount: int) -> WithdrawalRequest:
    """Ask to cash out ``amount`` points. Nothing moves until staff approve; the sum
    of pending requests may not exceed the balance."""
    minimum = settings.WENKU_MIN_WITHDRAWAL
    if not isinstance(amount, int) or amount < minimum:
        raise WithdrawalNotAllowed(_minimum_message(minimum))
    wallet = ledger.user_account(author)
    with transaction.atomic():
        # The lock serialises this user's requests, so two cannot both pass the check.
        locked = ledger.lock([wallet])[wallet.pk]
        available = locked.balance - pending_withdrawals(author)
        if amount > available:
            raise InsufficientBalance(needed=amount, balance=max(available, 0))
        return WithdrawalRequest.objects.create(author=author, amount=amount)


def approve_withdrawal(request: WithdrawalRequest, *, actor) -> WithdrawalRequest:
    """Pay out: debit the author's balance to the payout sink. Approving twice is a no-op."""
    wallet = ledger.user_account(request.author)
    sink = ledger.system_account(Account.Kind.PAYOUT)
    with transaction.atomic():
        request = WithdrawalRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == WithdrawalRequest.Status.APPROVED:
            return request
        if request.status != WithdrawalRequest.Status.PENDING:
            raise WithdrawalNotAllowed("this withdrawal request was already rejected")
        locked = ledger.lock([wallet, sink])
        posting = ledger.post_locked(
            locked,
            kind=Kind.WITHDRAWAL,
            idempotency_key=f"withdrawal:{request.pk}",
            movements=[(wallet, -request.amount), (sink, request.amount)],
            memo=f"withdrawal request {request.pk}",
            actor=actor,
        )
        _review(request, WithdrawalRequest.Status.APPROVED, actor)
        request.transaction = posting.transaction
        request.save(update_fields=["status", "reviewed_by", "reviewed_at", "transaction"])
    return request


def reject_withdrawal(request: WithdrawalRequest, *, actor, note: str = "") -> WithdrawalRequest:
    """Refuse a request; the balance is untouched because nothing was held."""
    with transaction.atomic():
        request = WithdrawalRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == WithdrawalRequest.Status.REJECTED:
            return request
        if request.status != WithdrawalRequest.Status.PENDING:
            raise WithdrawalNotAllowed("this withdrawal request was already approved")
        _review(request, WithdrawalRequest.Status.REJECTED, actor)
        request.note = note or request.note
        request.save(update_fields=["status", "reviewed_by", "reviewed_at", "note"])
    return request


def _review(request: WithdrawalRequest, status: str, actor) -> None:
    request.status = status
    request.reviewed_by = actor
    request.reviewed_at = timezone.now()


def _minimum_message(minimum: int) -> str:
    from django.utils.translation import gettext as _

    return _("The minimum withdrawal is %(minimum)d points.") % {"minimum": minimum}
