"""Visibility rules for documents, kept on the QuerySet so no view can forget them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef, Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class DocumentQuerySet(models.QuerySet):
    def published(self) -> DocumentQuerySet:
        return self.filter(status="ready", published_at__isnull=False)

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> DocumentQuerySet:
        """Published documents, plus a user's own, plus everything for staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        published = Q(status="ready", published_at__isnull=False)
        if user.is_authenticated:
            return self.filter(published | Q(owner=user))
        return self.filter(published)

    def downloadable_by(self, user: AbstractBaseUser | AnonymousUser) -> DocumentQuerySet:
        """Ready documents the user may download: free ones they may see, their own,
        everything for staff, and priced ones they bought (an active purchase).

        Downloads need an account even when free: links are signed per user.
        """
        if not user.is_authenticated:
            return self.none()
        visible = self.visible_to(user).filter(status="ready")
        if user.is_staff:
            return visible
        # Imported here: commerce's models refer to documents, not the other way round.
        from wenku.commerce.models import Purchase

        bought = Purchase.objects.active().filter(buyer=user, document=OuterRef("pk"))
        return visible.filter(Q(price=0) | Q(owner=user) | Exists(bought))
