"""Full-text search, behind a backend chosen by ``settings.WENKU_SEARCH_BACKEND``.

Application code calls ``get_backend()`` and never names a backend; tests that
switch settings call ``reset_backend()``.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from wenku.discovery.search.base import (
    Price,
    SearchBackend,
    SearchFilters,
    SearchHit,
    SearchPage,
    Sort,
)

__all__ = [
    "Price",
    "SearchBackend",
    "SearchFilters",
    "SearchHit",
    "SearchPage",
    "Sort",
    "get_backend",
    "reset_backend",
]

_backend: SearchBackend | None = None
_lock = threading.Lock()


def get_backend() -> SearchBackend:
    """The configured backend, loaded once per process."""
    global _backend
    if _backend is None:
        with _lock:
            if _backend is None:
                _backend = import_string(settings.WENKU_SEARCH_BACKEND)()
    return _backend


def reset_backend() -> None:
    """Forget the loaded backend, so the next get_backend() reads the settings again."""
    global _backend
    with _lock:
        _backend = None
