"""How a sale's price is divided between author, referrer and platform."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Split:
    author: int
    referrer: int
    platform: int

    @property
    def total(self) -> int:
        return self.author + self.referrer + self.platform


def split_price(price: int, *, with_referrer: bool) -> Split:
    """Integer shares of ``price``, rounded down; the rounding remainder, and the
    referrer share when there is no referrer, go to the platform. The parts always
    add up to the price exactly."""
    author = price * settings.WENKU_AUTHOR_SHARE // 100
    referrer = price * settings.WENKU_REFERRER_SHARE // 100 if with_referrer else 0
    return Split(author=author, referrer=referrer, platform=price - author - referrer)
