"""Refunds as reversal transactions; withdrawals reviewed by staff."""

from __future__ import annotations

import pytest

from tests.commerce.helpers import balance, fund, make_document
from wenku.commerce import ledger, services
from wenku.commerce.audit import check_ledger
from wenku.commerce.entitlements import is_entitled
from wenku.commerce.errors import InsufficientBalance, WithdrawalNotAllowed
from wenku.commerce.models import Account, LedgerTransaction, WithdrawalRequest

pytestmark = pytest.mark.django_db


def system_balance(kind: str) -> int:
    return ledger.system_account(kind).balance


@pytest.fixture
def sale(user, author, sharer):
    document = make_document(author, price=100)
    fund(user, 100)
    return services.purchase(user, document, "k", referrer=sharer).purchase


def test_refund_reverses_every_entry(sale, user, author, sharer, staff):
    txn = services.refund(sale, reason="content does not match the title", actor=staff)

    assert txn.kind == LedgerTransaction.Kind.REFUND and txn.actor == staff
    original = dict(sale.transaction.entries.values_list("account_id", "amount"))
    reversal = dict(txn.entries.values_list("account_id", "amount"))
    assert reversal == {account: -amount for account, amount in original.items()}
    assert (balance(user), balance(author), balance(sharer)) == (100, 0, 0)
    assert system_balance(Account.Kind.PLATFORM) == 0
    sale.refresh_from_db()
    assert not sale.is_active and sale.refund_reason.startswith("content")
    assert not is_entitled(user, sale.document)
    assert check_ledger().ok


def test_refunding_twice_returns_the_first_refund(sale, user):
    first = services.refund(sale, reason="x")
    second = services.refund(sale, reason="x")
    assert first.pk == second.pk
    assert balance(user) == 100


def test_refund_after_the_author_withdrew_is_covered_by_the_platform(
    sale, user, author, staff, settings
):
    settings.WENKU_MIN_WITHDRAWAL = 10
    request = services.request_withdrawal(author, 70)
    services.approve_withdrawal(request, actor=staff)
    assert balance(author) == 0

    services.refund(sale, reason="complaint upheld", actor=staff)

    assert balance(user) == 100  # the buyer is made whole
    assert balance(author) == 0  # never negative
    # The platform gave back its 20 and covered the author's 70.
    assert system_balance(Account.Kind.PLATFORM) == -70
    sale.refresh_from_db()
    assert "platform covered 70" in sale.refund_transaction.memo
    assert check_ledger().ok


def test_the_buyer_may_buy_again_after_a_refund(sale, user):
    services.refund(sale, reason="x")
    again = services.purchase(user, sale.document, "k-again")
    assert again.charged and is_entitled(user, sale.document)
    assert balance(user) == 0


def test_withdrawal_below_the_minimum_is_refused(author, settings):
    settings.WENKU_MIN_WITHDRAWAL = 100
    fund(author, 500)
    with pytest.raises(WithdrawalNotAllowed, match="100"):
        services.request_withdrawal(author, 99)


def test_withdrawals_cannot_exceed_the_balance_including_pending_ones(author, settings):
    settings.WENKU_MIN_WITHDRAWAL = 10
    fund(author, 150)
    services.request_withdrawal(author, 100)
    with pytest.raises(InsufficientBalance):
        services.request_withdrawal(author, 60)
    services.request_withdrawal(author, 50)


def test_approval_pays_out_through_the_ledger(author, staff, settings):
    settings.WENKU_MIN_WITHDRAWAL = 10
    fund(author, 150)
    request = services.request_withdrawal(author, 100)
    assert balance(author) == 150  # nothing moves while pending

    services.approve_withdrawal(request, actor=staff)
    services.approve_withdrawal(request, actor=staff)  # a second click changes nothing

    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.APPROVED
    assert request.reviewed_by == staff and request.reviewed_at is not None
    assert balance(author) == 50
    assert system_balance(Account.Kind.PAYOUT) == 100
    assert request.transaction.kind == LedgerTransaction.Kind.WITHDRAWAL
    assert check_ledger().ok


def test_rejection_leaves_the_balance(author, staff, settings):
    settings.WENKU_MIN_WITHDRAWAL = 10
    fund(author, 150)
    request = services.request_withdrawal(author, 100)

    services.reject_withdrawal(request, actor=staff, note="bank details missing")

    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.REJECTED
    assert balance(author) == 150
    with pytest.raises(WithdrawalNotAllowed):
        services.approve_withdrawal(request, actor=staff)


def test_approval_fails_cleanly_if_the_balance_was_spent_meanwhile(author, staff, settings, user):
    settings.WENKU_MIN_WITHDRAWAL = 10
    fund(author, 100)
    request = services.request_withdrawal(author, 100)
    document = make_document(user, price=60)
    services.purchase(author, document, "spend")  # the author buys something

    with pytest.raises(InsufficientBalance):
        services.approve_withdrawal(request, actor=staff)
    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.PENDING
    assert balance(author) == 40
