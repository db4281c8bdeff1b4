"""``wenku ledger-check`` (or ``ledger_check``): prove the ledger is consistent.

Exits with status 1 and lists every problem when a transaction does not sum to zero
or a cached balance differs from the sum of its entries.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wenku.commerce.audit import check_ledger


class Command(BaseCommand):
    help = "Check that every ledger transaction sums to zero and every balance matches its entries."

    def handle(self, *args, **options) -> None:
        report = check_ledger()
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(f"ledger check failed: {len(report.problems)} problem(s)")
        self.stdout.write(
            f"ledger OK: {report.transactions} transactions balanced, "
            f"{report.accounts} account balances match their entries"
        )
