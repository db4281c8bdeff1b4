"""The back office: withdrawal review, top-up confirmation, crediting, refunds, and a
ledger that cannot be edited."""

from __future__ import annotations

import pytest

from tests.commerce.helpers import balance, fund, make_document
from wenku.commerce import services
from wenku.commerce.gateways.local import LocalGateway
from wenku.commerce.models import Account, LedgerTransaction, TopUpOrder, WithdrawalRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", password="x")
    client.force_login(boss)
    return client


def action(client, model: str, name: str, ids: list[int], **extra):
    return client.post(
        f"/admin/commerce/{model}/",
        {"action": name, "_selected_action": [str(i) for i in ids], **extra},
    )


def test_approve_and_reject_withdrawals(admin_client, author, settings):
    settings.WENKU_MIN_WITHDRAWAL = 10
    fund(author, 100)
    first = services.request_withdrawal(author, 60)
    second = services.request_withdrawal(author, 30)

    action(admin_client, "withdrawalrequest", "approve", [first.pk])
    action(admin_client, "withdrawalrequest", "reject", [second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert (
        first.status == WithdrawalRequest.Status.APPROVED and first.reviewed_by.username == "boss"
    )
    assert second.status == WithdrawalRequest.Status.REJECTED
    assert balance(author) == 40


def test_confirm_a_local_top_up(admin_client, user):
    order = LocalGateway().start_top_up(user, 80).order
    action(admin_client, "topuporder", "confirm_paid", [order.pk])
    action(admin_client, "topuporder", "confirm_paid", [order.pk])  # clicked twice
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert balance(user) == 80


def test_credit_points_action(admin_client, user):
    wallet = Account.objects.create(user=user)
    page = action(admin_client, "account", "credit_points", [wallet.pk])
    assert page.status_code == 200 and b"reader" in page.content
    form = {"apply": "1", "points": "25", "reason": "cash at the desk", "key": "form-1"}
    action(admin_client, "account", "credit_points", [wallet.pk], **form)
    action(admin_client, "account", "credit_points", [wallet.pk], **form)  # resubmitted
    assert balance(user) == 25
    assert LedgerTransaction.objects.get(kind="top_up").actor.username == "boss"


def test_refund_action(admin_client, user, author):
    document = make_document(author, price=20)
    fund(user, 20)
    purchase = services.purchase(user, document, "k").purchase
    action(admin_client, "purchase", "refund", [purchase.pk])
    assert balance(user) == 20 and balance(author) == 0


def test_ledger_is_read_only_in_the_admin(admin_client, user):
    txn = services.credit(user, 5, reason="x").transaction
    assert (
        admin_client.get(f"/admin/commerce/ledgertransaction/{txn.pk}/change/").status_code == 200
    )
    assert admin_client.get("/admin/commerce/ledgertransaction/add/").status_code == 403
    assert (
        admin_client.get(f"/admin/commerce/ledgertransaction/{txn.pk}/delete/").status_code == 403
    )
    # Posting the change form changes nothing: every field is read-only.
    admin_client.post(f"/admin/commerce/ledgertransaction/{txn.pk}/change/", {"memo": "edited"})
    txn.refresh_from_db()
    assert txn.memo == "x"


def test_list_pages_make_a_constant_number_of_queries(
    client, user, author, django_assert_max_num_queries
):
    fund(user, 1000)
    for index in range(6):
        document = make_document(author, price=5, filename=f"文档{index}.pdf")
        services.purchase(user, document, f"k{index}")
        client.force_login(user)
        client.post(f"/d/{document.pk}/favorite/")
    with django_assert_max_num_queries(8):
        assert client.get("/me/purchases/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/me/favorites/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/me/wallet/").status_code == 200


@pytest.mark.parametrize(
    "model",
    [
        "account",
        "ledgertransaction",
        "purchase",
        "withdrawalrequest",
        "topuporder",
        "downloadlog",
        "sharecode",
        "referralattribution",
        "favorite",
    ],
)
def test_admin_lists_open(admin_client, user, model):
    fund(user, 5)
    assert admin_client.get(f"/admin/commerce/{model}/").status_code == 200
