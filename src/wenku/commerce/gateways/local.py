"""The honest local gateway: no payment provider, an operator confirms payments.

The user asks for N points; the order waits in the admin until an operator, having
been paid by whatever means the site uses, confirms it (admin action, or credits
directly with ``wenku credit USER POINTS --reason …``). It never succeeds on its own.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils.translation import gettext as _

from wenku.commerce.errors import InvalidAmount
from wenku.commerce.gateways.base import PaymentGateway, TopUpStart
from wenku.commerce.models import TopUpOrder

MAX_POINTS = 1_000_000


class LocalGateway(PaymentGateway):
    def start_top_up(self, user, points: int) -> TopUpStart:
        if not isinstance(points, int) or not 0 < points <= MAX_POINTS:
            raise InvalidAmount(_("Choose between 1 and %(max)d points.") % {"max": MAX_POINTS})
        order = TopUpOrder.objects.create(user=user, gateway=self.name or "local", points=points)
        return TopUpStart(
            order=order,
            redirect_url=None,
            instructions=_(
                "Top-up request #%(order)d for %(points)d points is waiting for the site "
                "operator to confirm your payment; the points appear in your balance then."
            )
            % {"order": order.pk, "points": points},
        )

    def handle_webhook(self, request: HttpRequest) -> HttpResponse:
        # No provider calls us: an operator confirms local orders in the admin.
        return HttpResponseNotFound("the local gateway has no webhook")
