"""Who may download a document without paying (again)."""

from __future__ import annotations

from wenku.commerce.models import Purchase


def needs_purchase(user, document) -> bool:
    """True when this user must buy the document before downloading it.

    Free documents, one's own documents and staff need no purchase.
    """
    if document.price <= 0:
        return False
    return not (user.is_authenticated and (user.is_staff or user.pk == document.owner_id))


def active_purchase(user, document) -> Purchase | None:
    if not user.is_authenticated:
        return None
    return Purchase.objects.active().filter(buyer=user, document=document).first()


def is_entitled(user, document) -> bool:
    """May download: logged in, and the document is free, theirs, or bought (or staff).

    Downloads need an account even for free documents: links are signed per user and
    every download is logged against a reader.
    """
    if not user.is_authenticated:
        return False
    return not needs_purchase(user, document) or active_purchase(user, document) is not None
