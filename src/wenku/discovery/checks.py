"""A system check that the search backend suits the database it must live in."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register
from django.db import connection

# Which database vendor each built-in backend's tables exist in (migration 0001).
_VENDORS = {
    "wenku.discovery.search.sqlite.Fts5Backend": "sqlite",
    "wenku.discovery.search.postgres.PostgresBackend": "postgresql",
}


@register("wenku")
def check_search_backend(app_configs, **kwargs):
    path = settings.WENKU_SEARCH_BACKEND
    vendor = _VENDORS.get(path)
    if vendor is None or vendor == connection.vendor:
        return []
    return [
        Error(
            f"WENKU_SEARCH_BACKEND {path} needs a {vendor} database, "
            f"but the default database is {connection.vendor}.",
            hint="Unset WENKU_SEARCH_BACKEND to get the backend that matches the database.",
            id="wenku.E101",
        )
    ]
