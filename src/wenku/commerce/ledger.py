"""Posting to the ledger: the only code that writes entries or changes a balance.

Rules, each enforced here (and re-checked by ``wenku ledger-check``):

* a transaction's entries sum to zero, amounts are non-zero integers;
* every user account a transaction touches is locked first (``SELECT … FOR UPDATE``)
  in primary-key order, before any check of its balance; the system accounts
  (platform, top-up source, payout sink), which have no balance to check, are
  locked by their ``UPDATE … SET balance = balance + x`` at the very end. One global
  order — user rows by pk, then system rows by pk — means no two transactions can
  deadlock, and the platform row every sale credits is held only for the last
  statement and the commit instead of the whole transaction (measured in
  bench/purchase.py). On SQLite, which has no row locks,
  ``transaction_mode=IMMEDIATE`` takes the database write lock at BEGIN instead;
* the cached ``Account.balance`` is changed in the same database transaction as the
  entries, so it always equals the sum of the entries;
* a user's balance never goes below zero (and a CHECK constraint says so again);
* each transaction carries a unique idempotency key: posting the same key again
  returns the first transaction and moves nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from wenku.commerce.errors import IdempotencyConflict, InsufficientBalance
from wenku.commerce.models import Account, LedgerEntry, LedgerTransaction


def user_account(user) -> Account:
    account, _ = Account.objects.get_or_create(user=user, defaults={"kind": Account.Kind.USER})
    return account


def system_account(kind: str) -> Account:
    if kind == Account.Kind.USER:
        raise ValueError("user accounts belong to a user; use user_account()")
    account, _ = Account.objects.get_or_create(kind=kind, user=None)
    return account


def accounts_for(users: Iterable, system_kinds: Iterable[str] = ()) -> dict:
    """Accounts of several users (by user id) and system roles (by kind) in one query,
    creating any that do not exist yet. Used on the purchase path, where every query
    counts (bench/purchase.py)."""
    user_ids = {user.pk for user in users}
    kinds = set(system_kinds)
    found = Account.objects.filter(Q(user_id__in=user_ids) | Q(kind__in=kinds, user=None))
    result: dict = {}
    for account in found:
        result[account.user_id if account.kind == Account.Kind.USER else account.kind] = account
    for user in users:
        if user.pk not in result:
            result[user.pk] = user_account(user)
    for kind in kinds - set(result):
        result[kind] = system_account(kind)
    return result


def balance_of(user) -> int:
    """The balance to show; 0 for a user who has never had an account."""
    if not user.is_authenticated:
        return 0
    return Account.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def lock(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock the user accounts' rows until the end of the current transaction and
    return fresh copies by primary key, with the system accounts passed through
    (their rows are locked by post_locked's final UPDATE). Must run inside
    ``transaction.atomic()``."""
    accounts = list(accounts)
    system = {a.pk: a for a in accounts if a.kind != Account.Kind.USER}
    user_ids = sorted({a.pk for a in accounts if a.kind == Account.Kind.USER})
    locked = Account.objects.select_for_update().filter(pk__in=user_ids).order_by("pk")
    by_id = {account.pk: account for account in locked}
    if len(by_id) != len(user_ids):
        raise Account.DoesNotExist(f"accounts {set(user_ids) - set(by_id)} do not exist")
    return {**by_id, **system}


@dataclass(frozen=True)
class Posting:
    transaction: LedgerTransaction
    created: bool


def find(idempotency_key: str) -> LedgerTransaction | None:
    return LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()


def post_locked(
    locked: dict[int, Account],
    *,
    kind: str,
    idempotency_key: str,
    movements: Sequence[tuple[Account, int]],
    memo: str = "",
    actor=None,
    key_checked: bool = False,
) -> Posting:
    """Write one balanced transaction; the caller holds the locks from ``lock()``.

    Raises InsufficientBalance, before writing anything, if a user's balance would
    go negative. ``key_checked`` says the caller already looked the key up under the
    same locks (and found nothing), which saves a query.
    """
    amounts = _merge(movements)
    existing = None if key_checked else find(idempotency_key)
    if existing is not None:
        _check_same_operation(existing, kind, amounts)
        return Posting(existing, created=False)
    for account_id, amount in amounts.items():
        if account_id not in locked:
            raise RuntimeError(f"account {account_id} was not locked before posting")
        account = locked[account_id]
        if account.kind == Account.Kind.USER and account.balance + amount < 0:
            raise InsufficientBalance(needed=-amount, balance=account.balance)

    txn = LedgerTransaction.objects.create(
        kind=kind, idempotency_key=idempotency_key, memo=memo[:500], actor=actor
    )
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account_id=account_id, amount=amount)
        for account_id, amount in sorted(amounts.items())
    )
    # User rows (already locked) first, system rows last: see the module docstring.
    order = sorted(amounts, key=lambda pk: (locked[pk].kind != Account.Kind.USER, pk))
    for account_id in order:
        amount = amounts[account_id]
        # F() rather than the locked copy's value: atomic for the unlocked system rows,
        # and the CHECK constraint still refuses a negative user balance.
        Account.objects.filter(pk=account_id).update(balance=F("balance") + amount)
        locked[account_id].balance += amount
    return Posting(txn, created=True)


def post(
    *,
    kind: str,
    idempotency_key: str,
    movements: Sequence[tuple[Account, int]],
    memo: str = "",
    actor=None,
) -> Posting:
    """Lock the accounts involved and post; for operations with no other state."""
    with transaction.atomic():
        locked = lock(account for account, _ in movements)
        return post_locked(
            locked,
            kind=kind,
            idempotency_key=idempotency_key,
            movements=movements,
            memo=memo,
            actor=actor,
        )


def _merge(movements: Sequence[tuple[Account, int]]) -> dict[int, int]:
    amounts: dict[int, int] = defaultdict(int)
    for account, amount in movements:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError(f"points are integers, got {amount!r}")
        amounts[account.pk] += amount
    if sum(amounts.values()) != 0:
        raise ValueError(f"entries must sum to zero, got {dict(amounts)}")
    merged = {account_id: amount for account_id, amount in amounts.items() if amount != 0}
    if not merged:
        raise ValueError("a transaction must move some points")
    return merged


def _check_same_operation(existing: LedgerTransaction, kind: str, amounts: dict[int, int]):
    recorded = dict(existing.entries.values_list("account_id", "amount"))
    if existing.kind != kind or recorded != amounts:
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} was used for another operation"
        )
