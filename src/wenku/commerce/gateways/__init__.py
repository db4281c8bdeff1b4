"""Payment gateways for topping up points, chosen by name from WENKU_PAYMENT_GATEWAYS."""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from wenku.commerce.gateways.base import PaymentGateway, TopUpStart


def get_gateway(name: str) -> PaymentGateway:
    """The configured gateway called ``name``; KeyError if there is none."""
    dotted = settings.WENKU_PAYMENT_GATEWAYS[name]
    gateway = import_string(dotted)()
    gateway.name = name
    return gateway


__all__ = ["PaymentGateway", "TopUpStart", "get_gateway"]
