"""Profile edit, "my uploads" pricing, and password reset by e-mail (console backend)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.commerce.helpers import make_document

pytestmark = pytest.mark.django_db


def test_profile_edit(client, user):
    client.force_login(user)
    response = client.post("/accounts/profile/", {"first_name": "读者甲", "email": "r@example.org"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("读者甲", "r@example.org")


def test_my_uploads_sets_price_and_preview(client, user, other_user):
    document = make_document(user, price=0)
    client.force_login(user)
    assert document.title in client.get("/accounts/uploads/").content.decode()

    client.post("/accounts/uploads/", {"document": document.pk, "price": "25", "preview_pages": 2})
    document.refresh_from_db()
    assert (document.price, document.preview_pages) == (25, 2)

    client.post("/accounts/uploads/", {"document": document.pk, "price": "-1", "preview_pages": 2})
    document.refresh_from_db()
    assert document.price == 25


def test_nobody_prices_someone_elses_document(client, user, other_user):
    document = make_document(user, price=0)
    client.force_login(other_user)
    response = client.post(
        "/accounts/uploads/", {"document": document.pk, "price": "99", "preview_pages": 1}
    )
    assert response.status_code == 404
    document.refresh_from_db()
    assert document.price == 0


def test_password_reset_by_email(client, user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user.email = "reader@example.org"
    user.save()

    response = client.post("/accounts/password/reset/", {"email": "reader@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link

    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    new_password = "a-new-long-passphrase-42"
    done = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_console_is_the_default_email_backend():
    # The settings module itself: pytest-django swaps in locmem for the test run.
    from wenku import settings

    assert settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"


def test_register_with_optional_email(client):
    response = client.post(
        "/accounts/register/",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a-new-long-passphrase-42",
            "password2": "a-new-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(username="newbie").email == "newbie@example.org"
