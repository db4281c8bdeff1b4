"""What the document page shows about buying, favorites, sharing and downloads,
gathered here so the documents app's view adds it in one line."""

from __future__ import annotations

from django.http import HttpRequest

from wenku.commerce import downloads, ledger
from wenku.commerce.entitlements import active_purchase, needs_purchase
from wenku.commerce.shares import split_price
from wenku.commerce.views.library import favorite_context


def detail_context(request: HttpRequest, document) -> dict[str, object]:
    user = request.user
    must_buy = needs_purchase(user, document)
    bought = active_purchase(user, document) if must_buy else None
    return {
        **favorite_context(request, document),
        "price": document.price,
        "must_buy": must_buy and bought is None,
        "purchase": bought,
        "wallet": ledger.balance_of(user) if user.is_authenticated else None,
        "author_share": split_price(document.price, with_referrer=False).author,
        "download_count": downloads.download_count(document),
    }
