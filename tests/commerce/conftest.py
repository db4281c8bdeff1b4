from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.3 s per user; these tests make many users and test no passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def author(db):
    return get_user_model().objects.create_user("author", password="correct-horse-battery")


@pytest.fixture
def sharer(db):
    return get_user_model().objects.create_user("sharer", password="correct-horse-battery")
