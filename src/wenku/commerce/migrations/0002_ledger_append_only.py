"""The database itself refuses to change ledger history.

UPDATE on ledger transactions and entries fails with an error on SQLite and
PostgreSQL alike, whatever code (or a hand-typed SQL session) tries it. DELETE is
not blocked by a trigger: the foreign keys are PROTECT, the models and querysets
refuse it, and test runners must be able to empty tables between tests.
"""

from django.db import migrations

TABLES = ("commerce_ledgertransaction", "commerce_ledgerentry")


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
            )


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor in ("sqlite", "postgresql"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_append_only"
                + (f" ON {table}" if vendor == "postgresql" else "")
            )
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


class Migration(migrations.Migration):
    dependencies = [("commerce", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
