"""Proof that the ledger is consistent; run by ``wenku ledger-check`` and the tests.

Three facts are checked over the whole database, each with one aggregate query:
every transaction's entries sum to zero (and there are at least two of them), every
account's cached balance equals the sum of its entries, and no user balance is
negative.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce

from wenku.commerce.models import Account, LedgerEntry, LedgerTransaction


@dataclass(frozen=True)
class LedgerReport:
    accounts: int
    transactions: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_ledger() -> LedgerReport:
    problems: list[str] = []
    unbalanced = (
        LedgerEntry.objects.values("transaction_id")
        .annotate(total=Sum("amount"), lines=Count("id"))
        .exclude(total=0, lines__gte=2)
        .order_by("transaction_id")
    )
    for row in unbalanced:
        problems.append(
            f"transaction {row['transaction_id']}: {row['lines']} entries summing to {row['total']}"
        )
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("pk", flat=True)
    problems.extend(f"transaction {pk}: no entries" for pk in empty)

    drifted = (
        Account.objects.annotate(total=Coalesce(Sum("entries__amount"), Value(0)))
        .exclude(balance=F("total"))
        .values_list("pk", "kind", "user_id", "balance", "total")
        .order_by("pk")
    )
    for pk, kind, user_id, balance, total in drifted:
        problems.append(
            f"account {pk} ({kind}, user {user_id}): cached balance {balance} but entries "
            f"sum to {total}"
        )
    negative = Account.objects.filter(kind=Account.Kind.USER, balance__lt=0)
    problems.extend(
        f"account {pk}: negative balance" for pk in negative.values_list("pk", flat=True)
    )
    return LedgerReport(
        accounts=Account.objects.count(),
        transactions=LedgerTransaction.objects.count(),
        problems=problems,
    )
