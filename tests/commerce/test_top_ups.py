"""The payment-gateway interface and the honest local gateway."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from tests.commerce.helpers import balance
from wenku.commerce import services
from wenku.commerce.errors import InvalidAmount
from wenku.commerce.gateways import PaymentGateway, get_gateway
from wenku.commerce.gateways.local import LocalGateway
from wenku.commerce.models import TopUpOrder

pytestmark = pytest.mark.django_db


def test_only_the_local_gateway_is_configured():
    """No provider that succeeds by itself ships in the settings."""
    assert django_settings.WENKU_PAYMENT_GATEWAYS == {
        "local": "wenku.commerce.gateways.local.LocalGateway"
    }
    assert isinstance(get_gateway("local"), PaymentGateway)


def test_a_local_top_up_waits_for_the_operator(user):
    with translation.override("en"):
        started = get_gateway("local").start_top_up(user, 200)

    assert started.redirect_url is None
    assert started.order.status == TopUpOrder.Status.PENDING
    assert "operator" in started.instructions
    assert balance(user) == 0


def test_completing_an_order_credits_once(user, staff):
    order = LocalGateway().start_top_up(user, 200).order

    services.complete_top_up(order, actor=staff)
    services.complete_top_up(order, actor=staff)  # a re-delivered confirmation

    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID and order.paid_at is not None
    assert order.transaction.actor == staff
    assert balance(user) == 200


def test_a_cancelled_order_is_never_credited(user):
    order = LocalGateway().start_top_up(user, 50).order
    TopUpOrder.objects.filter(pk=order.pk).update(status=TopUpOrder.Status.CANCELLED)
    with pytest.raises(InvalidAmount):
        services.complete_top_up(order)
    assert balance(user) == 0


@pytest.mark.parametrize("points", [0, -1, 10**9])
def test_local_gateway_refuses_silly_amounts(user, points):
    with pytest.raises(InvalidAmount):
        LocalGateway().start_top_up(user, points)


def test_webhooks_local_has_none_and_unknown_gateways_404():
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post("/webhooks/local/", data=b"{}", content_type="application/json").status_code
        == 404
    )
    assert client.post("/webhooks/nope/").status_code == 404


def test_wallet_page_requests_a_top_up(client, user):
    client.force_login(user)
    response = client.post("/me/wallet/", {"points": "300", "gateway": "local"}, follow=True)
    assert response.status_code == 200
    assert TopUpOrder.objects.get().points == 300
    assert balance(user) == 0


def test_unknown_payment_method_is_a_clear_message_not_an_error(client, user):
    client.force_login(user)
    response = client.post("/me/wallet/", {"points": "5", "gateway": "nope"}, follow=True)
    assert response.status_code == 200
    assert not TopUpOrder.objects.exists()
    messages = [str(m) for m in response.context["messages"]]
    assert messages and all("nope" not in m for m in messages)
