"""The commerce pages through Django's test client: buying, the "my …" pages,
favorites (htmx), the share panel, and the document page's commerce parts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.commerce.helpers import balance, fund, make_document
from wenku.commerce import referrals, services
from wenku.commerce.models import Favorite, Purchase, WithdrawalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client, user) -> Client:
    client.force_login(user)
    return client


def test_download_button_leads_to_the_confirmation(reader, author):
    document = make_document(author, price=30)
    response = reader.get(f"/d/{document.pk}/download/")
    assert response["Location"] == f"/d/{document.pk}/buy/"


def test_confirmation_shows_price_and_balance(reader, user, author):
    document = make_document(author, price=30)
    fund(user, 45)
    body = reader.get(f"/d/{document.pk}/buy/").content.decode()
    assert 'data-price="30"' in body and 'data-balance="45"' in body
    assert 'name="idempotency_key"' in body and 'id="confirm-buy"' in body


def test_insufficient_balance_shows_a_top_up_path(reader, user, author):
    document = make_document(author, price=30)
    fund(user, 10)
    body = reader.get(f"/d/{document.pk}/buy/").content.decode()
    assert "confirm-buy" not in body
    assert "/me/wallet/" in body and "insufficient" in body


def test_buying_then_downloading(reader, user, author):
    document = make_document(author, price=30)
    fund(user, 45)
    form = {"idempotency_key": "abc", "price": "30"}

    response = reader.post(f"/d/{document.pk}/buy/", form)
    assert response.status_code == 302
    purchase = Purchase.objects.get()
    assert response["Location"] == f"/purchases/{purchase.pk}/done/"
    done = reader.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in done and "/download/" in done

    # A double submit of the same form charges nothing more.
    assert reader.post(f"/d/{document.pk}/buy/", form).status_code == 302
    assert balance(user) == 15
    # Buying is permanent: the button now goes straight to the file.
    again = reader.get(f"/d/{document.pk}/download/", follow=True)
    assert again.status_code == 200 and again.redirect_chain[0][0].startswith("/download/")
    assert balance(user) == 15


def test_posting_with_too_little_balance_explains(reader, user, author):
    document = make_document(author, price=30)
    fund(user, 10)
    response = reader.post(f"/d/{document.pk}/buy/", {"idempotency_key": "k", "price": "30"})
    assert response.status_code == 402
    assert not Purchase.objects.exists()


def test_the_purchase_uses_the_visitors_referrer(reader, user, author, sharer):
    document = make_document(author, price=100)
    fund(user, 100)
    reader.get(f"{document.get_absolute_url()}?ref={referrals.code_for(sharer)}")
    reader.post(f"/d/{document.pk}/buy/", {"idempotency_key": "k", "price": "100"})
    assert Purchase.objects.get().referrer == sharer
    assert balance(sharer) == 10


def test_detail_page_shows_price_balance_and_counts(reader, user, author):
    document = make_document(author, price=30)
    fund(user, 45)
    with translation.override("en"):
        body = reader.get(document.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "30 points" in body
    assert 'id="header-balance"' in body and "45 points" in body
    assert 'id="favorite-button"' in body and 'id="share-button"' in body
    assert 'class="download-count">0<' in body


def test_favorite_toggle_with_htmx(reader, user, author):
    document = make_document(author)
    response = reader.post(f"/d/{document.pk}/favorite/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert 'id="favorite-count">1<' in response.content.decode()
    assert Favorite.objects.filter(user=user, document=document).exists()

    response = reader.post(f"/d/{document.pk}/favorite/", HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in response.content.decode()
    assert not Favorite.objects.exists()


def test_favorite_without_js_and_logged_out(client, user, author):
    document = make_document(author)
    assert client.post(f"/d/{document.pk}/favorite/")["Location"].startswith("/accounts/login/")
    hx = client.post(f"/d/{document.pk}/favorite/", HTTP_HX_REQUEST="true")
    assert hx["HX-Redirect"].startswith("/accounts/login/")
    client.force_login(user)
    response = client.post(f"/d/{document.pk}/favorite/", {"next": "https://evil.example/"})
    assert response["Location"] == document.get_absolute_url()


def test_my_favorites_lists_only_visible_documents(reader, user, author):
    shown = make_document(author, filename="看得见的.pdf")
    hidden = make_document(author, filename="已下架的.pdf", published=False)
    Favorite.objects.create(user=user, document=shown)
    Favorite.objects.create(user=user, document=hidden)
    body = reader.get("/me/favorites/").content.decode()
    assert "看得见的" in body and "已下架的" not in body


def test_share_panel_carries_the_referral_code_and_a_qr(reader, user, author):
    document = make_document(author)
    body = reader.get(f"/d/{document.pk}/share/").content.decode()
    assert f"?ref={referrals.code_for(user)}" in body
    assert "<svg" in body and 'id="copy-share-link"' in body


def test_no_referral_code_on_ones_own_document(client, author):
    document = make_document(author)
    client.force_login(author)
    body = client.get(f"/d/{document.pk}/share/").content.decode()
    assert "?ref=" not in body and "<svg" in body


def test_my_purchases_lists_download_links(reader, user, author):
    document = make_document(author, price=5, filename="买过的资料.pdf")
    fund(user, 5)
    services.purchase(user, document, "k")
    body = reader.get("/me/purchases/").content.decode()
    assert "买过的资料" in body and "/download/" in body


def test_earnings_page_and_withdrawal_request(client, user, author, settings):
    settings.WENKU_MIN_WITHDRAWAL = 10
    document = make_document(author, price=100)
    fund(user, 100)
    services.purchase(user, document, "k")
    client.force_login(author)

    body = client.get("/me/earnings/").content.decode()
    assert 'id="author-income">70<' in body
    assert "<svg" in body and body.count('class="chart-bar"') == 30

    client.post("/me/earnings/", {"amount": "50"})
    assert WithdrawalRequest.objects.get().amount == 50
    client.post("/me/earnings/", {"amount": "5"})  # below the minimum: refused
    assert WithdrawalRequest.objects.count() == 1


def test_wallet_lists_ledger_lines(reader, user):
    fund(user, 33)
    body = reader.get("/me/wallet/").content.decode()
    assert 'id="wallet-balance">33<' in body and "+33" in body


@pytest.mark.parametrize(
    "url", ["/me/wallet/", "/me/purchases/", "/me/earnings/", "/me/favorites/"]
)
def test_my_pages_need_login(client, url):
    assert client.get(url)["Location"].startswith("/accounts/login/")
