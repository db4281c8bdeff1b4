"""A planner hint for PostgreSQL, where its default costs misjudge our indexes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection, transaction

PLANNER_SETTINGS = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")


@contextlib.contextmanager
def prefer_indexes() -> Iterator[None]:
    """Run the block in one transaction in which PostgreSQL's planner keeps off
    sequential scans (on SQLite, run it as it is).

    Its default costs, made for spinning disks, price a table scan below a GIN
    bitmap scan once a word or a tag is in a few percent of the rows. Measured on
    the bench corpus (100,000 documents): every row's tsvector is then read back
    from TOAST, 2–3× slower than the index even for a word in a third of the
    documents; a tag page's count took 40 ms by the scan and 14 ms by the index.
    """
    if connection.vendor != "postgresql":
        # No transaction either: on SQLite (BEGIN IMMEDIATE) it would take the write lock.
        yield
        return
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        yield
        if nested:
            # Then this block is a savepoint, and SET LOCAL would outlive it: put the
            # hints back, in one statement (a rollback to the savepoint undoes them).
            cursor.execute(
                "SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name = ANY(%s)",
                [list(PLANNER_SETTINGS)],
            )


# Below this many rows, fetching them all through their index and sorting them beats
# walking an ordering index and testing each row (bitmap heap scan of 5,000 rows:
# ~10 ms on the bench machine).
FETCH_ALL_BELOW = 5_000


def fetch_all_when_few(count: int) -> None:
    """Inside prefer_indexes(), once a list's rows are counted: with few of them, keep
    PostgreSQL from walking the ordering index (newest first) and testing every row
    it passes. It guesses 2% of the rows for jsonb containment, so for a tag on a few
    hundred documents it walked most of the table: 60–70 ms at 100,000 documents."""
    if connection.vendor != "postgresql":
        return
    assert connection.in_atomic_block, "SET LOCAL outside a transaction does nothing"
    if count < FETCH_ALL_BELOW:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
