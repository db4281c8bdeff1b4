"""Buying: the charge, the split, idempotency, and who needs to buy at all."""

from __future__ import annotations

import pytest

from tests.commerce.helpers import balance, fund, make_document
from wenku.commerce import ledger, services
from wenku.commerce.audit import check_ledger
from wenku.commerce.entitlements import is_entitled, needs_purchase
from wenku.commerce.errors import (
    IdempotencyConflict,
    InsufficientBalance,
    NotForSale,
    NothingToBuy,
)
from wenku.commerce.models import Account, LedgerTransaction, Purchase
from wenku.commerce.services import PriceChanged
from wenku.commerce.shares import split_price
from wenku.documents.models import Document

pytestmark = pytest.mark.django_db


def platform_balance() -> int:
    return ledger.system_account(Account.Kind.PLATFORM).balance


def test_a_purchase_charges_the_buyer_and_credits_author_and_platform(user, author):
    document = make_document(author, price=50)
    fund(user, 80)

    result = services.purchase(user, document, "key-1")

    assert result.charged
    assert result.purchase.price == 50 and result.purchase.is_active
    assert balance(user) == 30
    assert balance(author) == 35  # 70 %
    assert platform_balance() == 15  # 20 % + the unused referrer 10 %
    assert is_entitled(user, document)
    assert check_ledger().ok


def test_the_referrer_share_goes_to_the_referrer(user, author, sharer):
    document = make_document(author, price=50)
    fund(user, 50)

    services.purchase(user, document, "key-1", referrer=sharer)

    assert (balance(user), balance(author), balance(sharer), platform_balance()) == (0, 35, 5, 10)
    entries = Purchase.objects.get().transaction.entries.all()
    assert sorted(e.amount for e in entries) == [-50, 5, 10, 35]


@pytest.mark.parametrize("price", [1, 3, 7, 9, 11, 99, 101, 12345])
def test_split_always_adds_up_to_the_price(price):
    for with_referrer in (True, False):
        split = split_price(price, with_referrer=with_referrer)
        assert split.total == price
        assert min(split.author, split.referrer, split.platform) >= 0


def test_shares_come_from_settings(settings, user, author, sharer):
    settings.WENKU_AUTHOR_SHARE, settings.WENKU_REFERRER_SHARE = 80, 15
    settings.WENKU_PLATFORM_SHARE = 5
    document = make_document(author, price=100)
    fund(user, 100)

    services.purchase(user, document, "k", referrer=sharer)

    assert (balance(author), balance(sharer), platform_balance()) == (80, 15, 5)


def test_insufficient_balance_is_a_clear_error_and_changes_nothing(user, author):
    document = make_document(author, price=50)
    fund(user, 20)

    with pytest.raises(InsufficientBalance) as caught:
        services.purchase(user, document, "key-1")

    assert caught.value.shortfall == 30
    assert "50" in str(caught.value) and "20" in str(caught.value)
    assert balance(user) == 20 and balance(author) == 0
    assert not Purchase.objects.exists()
    assert not LedgerTransaction.objects.filter(kind="purchase").exists()
    assert not is_entitled(user, document)


def test_a_retried_request_charges_once(user, author):
    document = make_document(author, price=10)
    fund(user, 100)

    first = services.purchase(user, document, "same-key")
    retry = services.purchase(user, document, "same-key")

    assert first.charged and not retry.charged
    assert retry.purchase.pk == first.purchase.pk
    assert balance(user) == 90


def test_a_double_click_with_a_new_key_charges_once(user, author):
    document = make_document(author, price=10)
    fund(user, 100)

    services.purchase(user, document, "click-1")
    second = services.purchase(user, document, "click-2")

    assert not second.charged
    assert balance(user) == 90
    assert Purchase.objects.count() == 1


def test_a_key_reused_for_another_document_is_refused(user, author):
    first_doc = make_document(author, price=10)
    second_doc = make_document(author, price=10)
    fund(user, 100)
    services.purchase(user, first_doc, "key")

    with pytest.raises(IdempotencyConflict):
        services.purchase(user, second_doc, "key")
    assert balance(user) == 90


def test_free_own_and_staff_need_no_purchase(user, author, staff):
    free = make_document(author, price=0)
    priced = make_document(author, price=10)
    fund(user, 100)
    fund(staff, 100)

    with pytest.raises(NothingToBuy):
        services.purchase(user, free, "k1")
    with pytest.raises(NothingToBuy):
        services.purchase(author, priced, "k2")
    with pytest.raises(NothingToBuy):
        services.purchase(staff, priced, "k3")
    assert not needs_purchase(author, priced) and not needs_purchase(staff, priced)
    assert is_entitled(user, free) and is_entitled(staff, priced) and is_entitled(author, priced)
    assert balance(user) == 100 and balance(staff) == 100


def test_unpublished_documents_are_not_for_sale(user, author):
    document = make_document(author, price=10, published=False)
    fund(user, 100)
    with pytest.raises(NotForSale):
        services.purchase(user, document, "k")


def test_a_changed_price_is_not_charged_without_confirmation(user, author):
    document = make_document(author, price=10)
    fund(user, 100)
    Document.objects.filter(pk=document.pk).update(price=15)  # the author edits meanwhile

    with pytest.raises(PriceChanged):
        services.purchase(user, document, "k", expected_price=10)
    assert balance(user) == 100

    services.purchase(user, document, "k2", expected_price=15)
    assert balance(user) == 85


def test_no_self_referral_and_no_referral_on_own_documents(user, author):
    document = make_document(author, price=100)
    fund(user, 200)

    services.purchase(user, document, "k", referrer=user)
    assert Purchase.objects.get().referrer is None

    other = make_document(author, price=100)
    services.purchase(user, other, "k2", referrer=author)
    assert Purchase.objects.get(document=other).referrer is None
    # The author gets the author share only; the referrer share went to the platform.
    assert balance(author) == 140
    assert platform_balance() == 60


def test_downloadable_by_follows_entitlements(user, author, other_user):
    priced = make_document(author, price=10)
    free = make_document(author, price=0)
    fund(user, 10)
    services.purchase(user, priced, "k")

    assert set(Document.objects.downloadable_by(user)) == {priced, free}
    assert set(Document.objects.downloadable_by(other_user)) == {free}
    assert set(Document.objects.downloadable_by(author)) == {priced, free}


def test_is_entitled_agrees_with_downloadable_by(user, author, other_user, staff):
    """The download view checks visible_to + is_entitled; lists use downloadable_by."""
    documents = [
        make_document(author, price=0),
        make_document(author, price=10),
        make_document(author, price=10, published=False),
        make_document(author, price=0, published=False),
    ]
    fund(user, 10)
    services.purchase(user, documents[1], "k")
    for reader in (user, author, other_user, staff):
        downloadable = set(Document.objects.downloadable_by(reader))
        visible = set(Document.objects.visible_to(reader))
        for document in documents:
            expected = document in visible and is_entitled(reader, document)
            assert (document in downloadable) == expected, (reader, document.pk)
