"""分享赚钱: share codes, and attributing visitors who arrive through a share link.

A link carries ``?ref=CODE``. The middleware remembers the code for the referral
window in a signed cookie (the visitor is usually not logged in yet) and, for a
logged-in visitor, records a ReferralAttribution at once; a logged-out visitor's
cookie becomes one when they log in or register (see signals). Purchases look only
at the recorded attribution. The newest attribution wins; nobody is attributed to
themselves, and a sharer never earns the referrer share on their own documents
(services.eligible_referrer).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from wenku.commerce.models import ReferralAttribution, ShareCode

COOKIE = "wenku_ref"
SALT = "wenku.referral"
PARAM = "ref"
# Unambiguous lowercase letters and digits: codes get read aloud and typed from QR screenshots.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 8


def window() -> timedelta:
    return timedelta(days=settings.WENKU_REFERRAL_WINDOW_DAYS)


def code_for(user) -> str:
    """The user's share code, created on first use."""
    existing = ShareCode.objects.filter(user=user).values_list("code", flat=True).first()
    if existing:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ShareCode.objects.create(user=user, code=code).code
        except IntegrityError:
            # Either the code collided or a concurrent request created the user's code.
            existing = ShareCode.objects.filter(user=user).values_list("code", flat=True).first()
            if existing:
                return existing
    raise RuntimeError("could not allocate a unique share code")


def share_path(path: str, user) -> str:
    """``path`` with the sharer's code appended, for the share panel."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{urlencode({PARAM: code_for(user)})}"


def referrer_for(buyer, *, at: datetime | None = None):
    """The user who referred ``buyer``, if an attribution is still within its window."""
    if not buyer.is_authenticated:
        return None
    now = at or timezone.now()
    attribution = (
        ReferralAttribution.objects.filter(visitor=buyer, expires_at__gt=now)
        .select_related("referrer")
        .order_by("-created_at", "-id")
        .first()
    )
    return attribution.referrer if attribution else None


def attribute(visitor, referrer, *, clicked_at: datetime, path: str = "") -> bool:
    """Record that ``visitor`` came through ``referrer``'s link at ``clicked_at``.

    Returns False when nothing was recorded (self-referral, expired click, or the same
    sharer is already the active attribution).
    """
    if visitor.pk == referrer.pk:
        return False
    expires_at = clicked_at + window()
    if expires_at <= timezone.now():
        return False
    current = referrer_for(visitor)
    if current is not None and current.pk == referrer.pk:
        return False
    ReferralAttribution.objects.create(
        visitor=visitor,
        referrer=referrer,
        landing_path=path[:500],
        created_at=clicked_at,
        expires_at=expires_at,
    )
    return True


def attribute_from_cookie(request: HttpRequest, user) -> bool:
    clicked = _read_cookie(request)
    if clicked is None:
        return False
    code, clicked_at = clicked
    share = ShareCode.objects.filter(code=code).select_related("user").first()
    if share is None:
        return False
    return attribute(user, share.user, clicked_at=clicked_at)


def _read_cookie(request: HttpRequest) -> tuple[str, datetime] | None:
    value = request.get_signed_cookie(
        COOKIE, default=None, salt=SALT, max_age=window().total_seconds()
    )
    if not value or "." not in value:
        return None
    code, _, stamp = value.rpartition(".")
    try:
        clicked_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return code, clicked_at


class ReferralMiddleware:
    """Notices ``?ref=CODE`` on any page and starts the referral window."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = request.GET.get(PARAM, "")
        share = None
        if code and len(code) <= 16 and request.method in ("GET", "HEAD"):
            share = ShareCode.objects.filter(code=code).select_related("user").first()
        user = getattr(request, "user", None)
        is_self = share is not None and user is not None and user.pk == share.user_id
        if share is not None and not is_self and user is not None and user.is_authenticated:
            attribute(user, share.user, clicked_at=timezone.now(), path=request.path)
        response = self.get_response(request)
        if share is not None and not is_self:
            response.set_signed_cookie(
                COOKIE,
                f"{share.code}.{int(time.time())}",
                salt=SALT,
                max_age=int(window().total_seconds()),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
