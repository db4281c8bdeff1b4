"""System checks: a misconfigured revenue split fails at start-up, not at the first sale."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def check_commerce_settings(app_configs, **kwargs) -> list[Error]:
    errors = []
    shares = {
        "WENKU_AUTHOR_SHARE": settings.WENKU_AUTHOR_SHARE,
        "WENKU_REFERRER_SHARE": settings.WENKU_REFERRER_SHARE,
        "WENKU_PLATFORM_SHARE": settings.WENKU_PLATFORM_SHARE,
    }
    for name, value in shares.items():
        if not 0 <= value <= 100:
            errors.append(Error(f"{name} must be a percentage 0–100, got {value}", id="wenku.E101"))
    if sum(shares.values()) != 100:
        errors.append(
            Error(
                f"author, referrer and platform shares must add up to 100, got {shares}",
                hint="Set WENKU_AUTHOR_SHARE, WENKU_REFERRER_SHARE and WENKU_PLATFORM_SHARE.",
                id="wenku.E102",
            )
        )
    if settings.WENKU_MIN_WITHDRAWAL < 1:
        errors.append(Error("WENKU_MIN_WITHDRAWAL must be at least 1", id="wenku.E103"))
    prefix = settings.WENKU_X_ACCEL_PREFIX
    if not (prefix.startswith("/") and prefix.endswith("/")):
        errors.append(
            Error(
                f"WENKU_X_ACCEL_PREFIX must start and end with '/', got {prefix!r}", id="wenku.E104"
            )
        )
    return errors
