"""A short GIN pending list for the PostgreSQL search index (nothing on SQLite).

New entries wait in an unsorted pending list that every query reads through, 4 MB
by default: measured at 100,000 documents, a full list made a title lookup take
15 ms instead of under 1. 256 kB keeps that scan short; the list is merged into
the index whenever it fills.
"""

from django.db import migrations

from wenku.discovery.vendor_sql import on_vendor

INDEXES = ("discovery_pg_title_vector", "discovery_pg_search_vector", "discovery_pg_related_vector")


def _alter_indexes(change: str) -> list[str]:
    return [f"ALTER INDEX {index} {change}" for index in INDEXES]


class Migration(migrations.Migration):
    dependencies = [("discovery", "0002_documentview")]

    operations = [
        migrations.RunPython(
            on_vendor("postgresql", _alter_indexes("SET (gin_pending_list_limit = 256)")),
            on_vendor("postgresql", _alter_indexes("RESET (gin_pending_list_limit)")),
        ),
    ]
