"""What can go wrong with points, as exceptions the views turn into clear messages."""

from __future__ import annotations

from django.utils.translation import gettext as _


class CommerceError(Exception):
    """Base class; ``str()`` is a message fit to show the user."""


class InsufficientBalance(CommerceError):
    def __init__(self, needed: int, balance: int) -> None:
        self.needed = needed
        self.balance = balance
        super().__init__(
            _("This costs %(needed)d points but your balance is %(balance)d points.")
            % {"needed": needed, "balance": balance}
        )

    @property
    def shortfall(self) -> int:
        return self.needed - self.balance


class NothingToBuy(CommerceError):
    """The user may already download the document: free, their own, staff, or bought."""


class NotForSale(CommerceError):
    """The document cannot be bought (not published)."""


class IdempotencyConflict(CommerceError):
    """An idempotency key was reused for a different operation."""


class WithdrawalNotAllowed(CommerceError):
    pass


class InvalidAmount(CommerceError):
    pass
