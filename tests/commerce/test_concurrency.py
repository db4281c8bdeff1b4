"""Many buyers buying many documents at once: no double charge, no lost credit, a
balanced ledger, exactly one entitlement per purchase.

SQLite runs the workload in threads in a subprocess on a real database file (WAL,
IMMEDIATE transactions) — the test database is in memory with shared-cache table
locks, which is not what production runs. PostgreSQL runs it in separate processes
and in threads against the test database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.commerce.helpers import POSTGRES_REASON, is_postgres
from wenku.commerce import stress

WORLD = {"buyers": 24, "authors": 6, "documents": 30, "initial_credit": 150}


def test_sqlite_threads(tmp_path):
    env = {**os.environ, "WENKU_DATA_DIR": str(tmp_path / "data")}
    env.pop("WENKU_DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "wenku.commerce.stress", "threads", "--workers", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.stdout, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 0, report["problems"]
    assert report["problems"] == []
    # The plan really exercised the interesting cases.
    assert report["purchases"] > 100
    assert report["repeats"] > 20  # retries and double clicks answered without a charge
    assert report["insufficient"] > 0


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason=POSTGRES_REASON)
@pytest.mark.django_db(transaction=True)
def test_postgres_processes(tmp_path):
    world = stress.build_world(**WORLD)
    tasks = stress.plan(world, workers=6, buys_per_buyer=8)
    outcome = stress.run_processes(
        tasks,
        env={"WENKU_DATABASE_URL": _database_url(), "WENKU_DATA_DIR": str(tmp_path)},
        start_delay=0,
    )
    problems = stress.verify(world, outcome)
    assert problems == []
    assert len(outcome.charged) > 100 and outcome.repeats > 20


@pytest.mark.postgres
@pytest.mark.skipif(not is_postgres(), reason=POSTGRES_REASON)
@pytest.mark.django_db(transaction=True)
def test_postgres_threads():
    world = stress.build_world(**WORLD, seed=3)
    outcome = stress.run_threads(stress.plan(world, workers=8, buys_per_buyer=8, seed=4))
    assert stress.verify(world, outcome) == []
    assert len(outcome.charged) > 100
