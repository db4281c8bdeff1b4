"""Categories, and the search index table of whichever database this is.

The FTS5 virtual table exists only on SQLite and the tsvector table only on
PostgreSQL; each operation does nothing on the other database. Both are raw
tables, not models: the index is the backends' business (see search/).
"""

import django.db.models.deletion
from django.db import migrations, models

from wenku.discovery.vendor_sql import on_vendor

FTS5_TABLE = [
    # Text is pre-segmented and space-joined: unicode61 only splits on what is there.
    "CREATE VIRTUAL TABLE discovery_fts USING fts5("
    "title, body, keywords, tokenize = 'unicode61 remove_diacritics 0')",
]
FTS5_DROP = ["DROP TABLE IF EXISTS discovery_fts"]

PG_TABLE = [
    "CREATE TABLE discovery_pg_search ("
    "document_id bigint PRIMARY KEY, "
    "title text NOT NULL, "
    "body text NOT NULL, "
    "title_vector tsvector NOT NULL, "
    "search_vector tsvector NOT NULL, "
    "related_vector tsvector NOT NULL)",
    "CREATE INDEX discovery_pg_title_vector ON discovery_pg_search USING gin (title_vector)",
    "CREATE INDEX discovery_pg_search_vector ON discovery_pg_search USING gin (search_vector)",
    "CREATE INDEX discovery_pg_related_vector ON discovery_pg_search USING gin (related_vector)",
]
PG_DROP = ["DROP TABLE IF EXISTS discovery_pg_search"]


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Category",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=64, verbose_name="name")),
                (
                    "slug",
                    models.SlugField(
                        allow_unicode=True, max_length=64, unique=True, verbose_name="slug"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="discovery.category",
                        verbose_name="parent",
                    ),
                ),
            ],
            options={
                "verbose_name": "category",
                "verbose_name_plural": "categories",
                "ordering": ["position", "name"],
                "constraints": [
                    models.UniqueConstraint(fields=("parent", "name"), name="unique_category_name")
                ],
            },
        ),
        migrations.RunPython(
            on_vendor("sqlite", FTS5_TABLE), on_vendor("sqlite", FTS5_DROP), elidable=False
        ),
        migrations.RunPython(
            on_vendor("postgresql", PG_TABLE), on_vendor("postgresql", PG_DROP), elidable=False
        ),
    ]
