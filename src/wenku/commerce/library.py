"""收藏 (favorites): one row per user and document, toggled in one click."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from wenku.commerce.models import Favorite


def is_favorite(user, document) -> bool:
    return user.is_authenticated and Favorite.objects.filter(user=user, document=document).exists()


def favorite_count(document) -> int:
    return Favorite.objects.filter(document=document).count()


def toggle_favorite(user, document) -> bool:
    """Add or remove; returns whether the document is now a favorite. Two quick
    clicks racing each other end in a consistent state thanks to the unique pair."""
    deleted, _ = Favorite.objects.filter(user=user, document=document).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favorite.objects.create(user=user, document=document)
    except IntegrityError:
        pass  # the other click added it
    return True
