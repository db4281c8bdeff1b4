"""The 文库 economy in a real browser: register, get points from the operator, buy a
document and download it, favorite it without a reload, share it, and see the
commission when a visitor arriving through the share link buys it too."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.management import call_command

from tests.commerce.helpers import make_document

pytestmark = [pytest.mark.browser]

PASSWORD = "a-long-e2e-passphrase-7"
PRICE = 40
FILENAME = "社区图书馆年度报告.pdf"


def register(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/register/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form.auth-form button[type=submit]")
    page.wait_for_selector("#header-balance")


def header_balance(page) -> str:
    return page.inner_text("#header-balance")


def buy_and_download(page, base: str, document) -> bytes:
    page.goto(f"{base}{document.get_absolute_url()}")
    page.click("#download-button")
    page.wait_for_selector("#confirm-buy")
    assert page.get_attribute(".buy-price", "data-price") == str(PRICE)
    with page.expect_download() as download_info:
        page.click("#confirm-buy")  # the confirmation page starts the download itself
    download = download_info.value
    assert download.suggested_filename == FILENAME
    with open(download.path(), "rb") as handle:
        return handle.read()


def test_register_buy_download_favorite_share_and_earn(
    live_server, chromium, django_user_model, settings
):
    settings.WENKU_REFERRAL_WINDOW_DAYS = 7
    author = django_user_model.objects.create_user("e2e-author", password=PASSWORD)
    content = os.urandom(200_000)
    document = make_document(author, price=PRICE, content=content, filename=FILENAME)
    base = live_server.url

    buyer_context = chromium.new_context(locale="zh-CN", accept_downloads=True)
    page = buyer_context.new_page()
    page.set_default_timeout(30_000)

    # Register, then the operator credits points (the local gateway's way).
    register(page, base, "e2e-buyer")
    assert header_balance(page).startswith("0")
    call_command("credit", "e2e-buyer", "100", reason="paid at the front desk")
    page.reload()
    assert header_balance(page).startswith("100")

    # Buy and download: the file is the original, byte for byte.
    downloaded = buy_and_download(page, base, document)
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(content).hexdigest()
    page.goto(f"{base}{document.get_absolute_url()}")
    assert header_balance(page).startswith("60")

    # Favorite without a page reload: a marker set in the page survives the click.
    page.evaluate("window.__noReload = true")
    page.click("#favorite-button")
    page.wait_for_selector("#favorite-button[aria-pressed=true]")
    assert page.inner_text("#favorite-count") == "1"
    assert page.evaluate("window.__noReload") is True
    page.goto(f"{base}/me/favorites/")
    assert "社区图书馆年度报告" in page.inner_text("main")

    # Share: the panel holds a link with the buyer's referral code and a QR code.
    page.goto(f"{base}{document.get_absolute_url()}")
    page.click("#share-button")
    page.wait_for_selector("#share-panel svg")
    share_link = page.input_value("#share-link")
    assert "?ref=" in share_link

    # A visitor opens the link in a fresh browser, registers, gets points and buys.
    visitor_context = chromium.new_context(locale="zh-CN", accept_downloads=True)
    visitor = visitor_context.new_page()
    visitor.set_default_timeout(30_000)
    visitor.goto(share_link)
    visitor.click("text=注册")
    visitor.fill("input[name=username]", "e2e-visitor")
    visitor.fill("input[name=password1]", PASSWORD)
    visitor.fill("input[name=password2]", PASSWORD)
    visitor.click("form.auth-form button[type=submit]")
    visitor.wait_for_selector("#header-balance")
    call_command("credit", "e2e-visitor", "50", reason="paid at the front desk")
    assert buy_and_download(visitor, base, document) == downloaded
    visitor_context.close()

    # The sharer sees the commission: 10 % of 40 points.
    page.goto(f"{base}/me/earnings/")
    assert page.inner_text("#referral-income") == str(PRICE * 10 // 100)
    assert header_balance(page).startswith("64")
    buyer_context.close()
