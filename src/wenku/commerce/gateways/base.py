"""The interface every top-up provider implements.

A real provider (Alipay, WeChat Pay, Stripe…) is one subclass:

* ``start_top_up`` creates a pending TopUpOrder and asks the provider for a payment
  (a redirect URL or a QR code to show);
* ``handle_webhook`` is called by ``commerce:webhook`` with the provider's
  notification; it must verify the provider's signature, find the order by its
  reference and call ``services.complete_top_up`` — which credits the points once
  however many times the provider retries the notification.

Nothing here ever marks an order paid without the provider (or an operator) saying so.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from wenku.commerce.models import TopUpOrder


@dataclass(frozen=True)
class TopUpStart:
    order: TopUpOrder
    # Where to send the user to pay; None when there is nothing to visit.
    redirect_url: str | None
    # What to tell the user next (shown on the wallet page).
    instructions: str


class PaymentGateway(ABC):
    name: str = ""

    @abstractmethod
    def start_top_up(self, user, points: int) -> TopUpStart:
        """Begin buying ``points`` for ``user``."""

    @abstractmethod
    def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        """Verify and apply a payment notification from the provider."""
