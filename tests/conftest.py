"""Shared fixtures: isolated storage per test, the real corpus, users."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    """Every test gets its own originals/pages storage and an empty cache, and tasks
    run in-process."""
    from django.core.cache import cache

    cache.clear()
    for alias in ("default", "originals", "pages"):
        settings.STORAGES = {
            **settings.STORAGES,
            alias: {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": tmp_path / "storage" / alias},
            },
        }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # Password hashing is deliberately slow; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("reader", password="correct-horse-battery")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("stranger", password="correct-horse-battery")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "moderator", password="correct-horse-battery", is_staff=True
    )
