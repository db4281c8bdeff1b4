"""``wenku credit USER POINTS --reason TEXT``: an operator tops up a user's points.

This is the local payment gateway's back door by design: the operator has been paid
by other means and records it. Pass ``--key`` (e.g. a bank transfer reference) to make
re-running the same command harmless.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wenku.commerce import ledger, services
from wenku.commerce.errors import CommerceError


class Command(BaseCommand):
    help = "Credit POINTS to USER's wallet (an operator top-up through the local gateway)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="username")
        parser.add_argument("points", type=int)
        parser.add_argument("--reason", required=True, help="why, kept in the ledger memo")
        parser.add_argument(
            "--key", default=None, help="idempotency key: the same key credits only once"
        )

    def handle(self, *args, user: str, points: int, reason: str, key: str | None, **options):
        User = get_user_model()
        try:
            account_holder = User.objects.get(**{User.USERNAME_FIELD: user})
        except User.DoesNotExist:
            raise CommandError(f"no user named {user!r}") from None
        try:
            posting = services.credit(
                account_holder,
                points,
                reason=reason,
                idempotency_key=f"cli:{key}" if key else None,
            )
        except CommerceError as exc:
            raise CommandError(str(exc)) from exc
        balance = ledger.balance_of(account_holder)
        if posting.created:
            self.stdout.write(f"credited {points} points to {user}; balance {balance}")
        else:
            self.stdout.write(f"already credited with key {key!r}; balance {balance}")
