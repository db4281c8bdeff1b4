"""Receivers: a visitor who arrived through a share link while logged out is
attributed to the sharer when they log in or register."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from wenku.commerce import referrals


@receiver(user_logged_in, dispatch_uid="wenku.commerce.referral_on_login")
def attribute_referral_on_login(sender, request, user, **kwargs) -> None:
    if request is not None:
        referrals.attribute_from_cookie(request, user)
