"""The wallet balance for the header, read only when a template shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wenku.commerce.ledger import balance_of


def wallet(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: pages that never print the balance never query it.
    return {"wallet_balance": SimpleLazyObject(lambda: balance_of(user))}
