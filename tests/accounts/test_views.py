"""Register, log in, log out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def test_register_creates_the_user_and_logs_in(client):
    response = client.post(
        "/accounts/register/",
        {
            "username": "新读者",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert get_user_model().objects.filter(username="新读者").exists()
    assert "新读者" in client.get("/").content.decode()


def test_register_shows_errors(client):
    response = client.post(
        "/accounts/register/",
        {"username": "reader2", "password1": "a-long-passphrase-42", "password2": "different-42"},
    )

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not get_user_model().objects.filter(username="reader2").exists()


def test_register_follows_a_safe_next_and_ignores_another_site(client):
    data = {
        "username": "r3",
        "password1": "a-long-passphrase-42",
        "password2": "a-long-passphrase-42",
    }

    safe = client.post("/accounts/register/?next=/upload/", data)
    client.logout()
    unsafe = client.post(
        "/accounts/register/?next=https://evil.example/", {**data, "username": "r4"}
    )

    assert safe["Location"] == "/upload/"
    assert unsafe["Location"] == "/"


def test_register_redirects_a_logged_in_user(client, user):
    client.force_login(user)
    assert client.get("/accounts/register/").status_code == 302


def test_login_page_and_login(client, user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()

    response = client.post(
        "/accounts/login/?next=/upload/", {"username": "reader", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/upload/"
    assert client.get("/upload/").status_code == 200


def test_login_with_a_wrong_password_fails(client, user):
    response = client.post("/accounts/login/", {"username": "reader", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, user):
    client.force_login(user)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_header_shows_login_links_or_the_username(client, user):
    anonymous = client.get("/").content.decode()
    client.force_login(user)
    logged_in = client.get("/").content.decode()

    assert 'href="/accounts/login/"' in anonymous and 'href="/accounts/register/"' in anonymous
    assert "reader" in logged_in
    assert 'action="/accounts/logout/"' in logged_in
    assert "退出" in logged_in
