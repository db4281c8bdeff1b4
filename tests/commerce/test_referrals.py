"""分享赚钱: share codes, the referral window, and who may earn the referrer share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.commerce.helpers import balance, fund, make_document
from wenku.commerce import referrals, services
from wenku.commerce.models import ReferralAttribution

pytestmark = pytest.mark.django_db


def test_a_user_keeps_one_share_code(user):
    code = referrals.code_for(user)
    assert len(code) == referrals.CODE_LENGTH
    assert referrals.code_for(user) == code
    assert referrals.share_path("/d/5/", user) == f"/d/5/?ref={code}"


def test_a_logged_in_visitor_is_attributed_at_once(client, user, sharer, author):
    document = make_document(author, price=10)
    client.force_login(user)

    client.get(f"{document.get_absolute_url()}?ref={referrals.code_for(sharer)}")

    assert referrals.referrer_for(user) == sharer


def test_a_logged_out_visitor_is_attributed_on_login(user, sharer, author):
    document = make_document(author, price=10)
    client = Client()
    response = client.get(f"{document.get_absolute_url()}?ref={referrals.code_for(sharer)}")
    assert referrals.COOKIE in response.cookies

    client.post("/accounts/login/", {"username": "reader", "password": "correct-horse-battery"})

    assert referrals.referrer_for(user) == sharer


def test_the_sharer_earns_on_the_visitors_purchases(client, user, sharer, author):
    first = make_document(author, price=100)
    second = make_document(author, price=50)
    client.force_login(user)
    client.get(f"/?ref={referrals.code_for(sharer)}")
    fund(user, 150)

    for document in (first, second):
        services.purchase(user, document, f"k{document.pk}", referrer=referrals.referrer_for(user))

    assert balance(sharer) == 10 + 5


def test_no_self_referral(client, sharer):
    client.force_login(sharer)
    response = client.get(f"/?ref={referrals.code_for(sharer)}")
    assert referrals.COOKIE not in response.cookies
    assert not ReferralAttribution.objects.exists()
    assert not referrals.attribute(sharer, sharer, clicked_at=timezone.now())


def test_the_window_expires(settings, user, sharer):
    settings.WENKU_REFERRAL_WINDOW_DAYS = 7
    referrals.attribute(user, sharer, clicked_at=timezone.now() - timedelta(days=6))
    assert referrals.referrer_for(user) == sharer
    assert referrals.referrer_for(user, at=timezone.now() + timedelta(days=2)) is None
    # A click older than the window records nothing.
    ReferralAttribution.objects.all().delete()
    assert not referrals.attribute(user, sharer, clicked_at=timezone.now() - timedelta(days=8))


def test_the_newest_share_link_wins(user, sharer, other_user):
    referrals.attribute(user, sharer, clicked_at=timezone.now() - timedelta(hours=1))
    referrals.attribute(user, other_user, clicked_at=timezone.now())
    assert referrals.referrer_for(user) == other_user


def test_unknown_codes_are_ignored(client):
    response = client.get("/?ref=doesnotexist")
    assert response.status_code == 200
    assert referrals.COOKIE not in response.cookies
