"""The ledger's rules: balanced integer transactions, cached balances that agree with
the entries, no negative user balance, idempotency keys, append-only history."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Sum

from tests.commerce.helpers import balance, fund
from wenku.commerce import ledger, services
from wenku.commerce.audit import check_ledger
from wenku.commerce.errors import IdempotencyConflict, InsufficientBalance, InvalidAmount
from wenku.commerce.models import Account, AppendOnlyError, LedgerEntry, LedgerTransaction

pytestmark = pytest.mark.django_db


def test_credit_moves_points_from_the_top_up_source(user):
    posting = services.credit(user, 120, reason="bank transfer 42")

    assert posting.created
    assert balance(user) == 120
    entries = dict(posting.transaction.entries.values_list("account__kind", "amount"))
    assert entries == {"top_up": -120, "user": 120}
    assert posting.transaction.memo == "bank transfer 42"
    assert check_ledger().ok


def test_every_transaction_sums_to_zero(user, other_user):
    fund(user, 50)
    fund(other_user, 70)
    services.credit(user, 5, reason="bonus")

    sums = LedgerEntry.objects.values("transaction").annotate(total=Sum("amount"))
    assert sums and all(row["total"] == 0 for row in sums)


def test_credit_with_the_same_key_happens_once(user):
    first = services.credit(user, 30, reason="order 7", idempotency_key="order-7")
    again = services.credit(user, 30, reason="order 7", idempotency_key="order-7")

    assert first.created and not again.created
    assert again.transaction.pk == first.transaction.pk
    assert balance(user) == 30


def test_a_key_reused_for_a_different_amount_is_refused(user):
    services.credit(user, 30, reason="order 7", idempotency_key="order-7")
    with pytest.raises(IdempotencyConflict):
        services.credit(user, 31, reason="order 7", idempotency_key="order-7")
    assert balance(user) == 30


@pytest.mark.parametrize("points", [0, -5, 2.5, True])
def test_credit_needs_a_positive_integer(user, points):
    with pytest.raises(InvalidAmount):
        services.credit(user, points, reason="x")


def test_unbalanced_or_fractional_postings_are_refused(user):
    wallet = ledger.user_account(user)
    source = ledger.system_account(Account.Kind.TOP_UP)
    with pytest.raises(ValueError, match="sum to zero"):
        ledger.post(kind="top_up", idempotency_key="k1", movements=[(source, -5), (wallet, 4)])
    with pytest.raises(TypeError):
        ledger.post(kind="top_up", idempotency_key="k2", movements=[(source, -1.5), (wallet, 1.5)])
    assert not LedgerTransaction.objects.exists()


def test_a_user_balance_never_goes_negative(user, other_user):
    fund(user, 10)
    payer, payee = ledger.user_account(user), ledger.user_account(other_user)
    with pytest.raises(InsufficientBalance) as caught:
        ledger.post(kind="purchase", idempotency_key="k", movements=[(payer, -11), (payee, 11)])
    assert caught.value.shortfall == 1
    assert balance(user) == 10 and balance(other_user) == 0


def test_the_database_refuses_a_negative_user_balance(user):
    wallet = ledger.user_account(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=wallet.pk).update(balance=-1)


def test_ledger_rows_cannot_be_changed_or_deleted(user):
    posting = services.credit(user, 10, reason="x")
    entry = posting.transaction.entries.first()

    entry.amount = 1_000_000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=5)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()


def test_the_database_itself_refuses_updates_to_entries(user):
    posting = services.credit(user, 10, reason="x")
    table = LedgerEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET amount = amount + 1 WHERE transaction_id = %s",
            [posting.transaction.pk],
        )
    assert balance(user) == 10


def test_ledger_check_passes_on_a_consistent_ledger(user, capsys):
    fund(user, 10)
    call_command("ledger-check")
    assert "ledger OK" in capsys.readouterr().out


def test_ledger_check_fails_when_a_cached_balance_drifts(user):
    fund(user, 10)
    Account.objects.filter(user=user).update(balance=11)  # a bug or a hand edit

    report = check_ledger()
    assert not report.ok
    assert "cached balance 11 but entries sum to 10" in report.problems[0]
    with pytest.raises(CommandError, match="1 problem"):
        call_command("ledger_check")


def test_ledger_check_fails_on_an_unbalanced_transaction(user):
    fund(user, 10)
    # Only possible by going around the ledger module: a half-written transaction.
    txn = LedgerTransaction.objects.create(kind="top_up", idempotency_key="broken")
    LedgerEntry.objects.create(transaction=txn, account=ledger.user_account(user), amount=3)

    problems = check_ledger().problems
    assert any("1 entries summing to 3" in p for p in problems)
    assert any("entries sum to 13" in p for p in problems)


def test_credit_command(user, capsys):
    call_command("credit", "reader", "40", reason="paid by bank transfer")
    assert balance(user) == 40
    call_command("credit", "reader", "40", reason="paid", key="tx-1")
    call_command("credit", "reader", "40", reason="paid", key="tx-1")
    assert balance(user) == 80
    assert "already credited" in capsys.readouterr().out
    txn = LedgerTransaction.objects.get(idempotency_key="cli:tx-1")
    assert txn.memo == "paid"


def test_credit_command_refuses_unknown_users_and_bad_amounts(user):
    with pytest.raises(CommandError, match="no user"):
        call_command("credit", "nobody", "40", reason="x")
    with pytest.raises(CommandError):
        call_command("credit", "reader", "0", reason="x")
