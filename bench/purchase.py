"""Purchases per second under concurrency, with the ledger check passing afterwards.

    .venv/bin/python bench/purchase.py                       # PostgreSQL, 1/2/4/8 processes
    .venv/bin/python bench/purchase.py --workers 4 --buys 20
    .venv/bin/python bench/purchase.py --backend sqlite      # SQLite file, threads

PostgreSQL: the database ``wenku_bench_purchase`` on 127.0.0.1 is dropped and
created again, migrated, and filled with buyers (each with enough points), authors
and priced documents. Every worker is a separate process with its own connection
(``python -m wenku.commerce.stress worker``) running the same workload the
concurrency tests run — purchases with a referrer on a third of them, retries of
the same request from another worker, double clicks with a new key, top-ups
arriving meanwhile — all started at one instant. SQLite: the same in threads of one
process on a fresh database file (WAL, IMMEDIATE transactions), which is how the
embedded set-up runs.

Reported per run: new purchases/second (charged), requests/second (all operations
including the retries answered without a charge), and the verification: every
balance recomputed from what happened, plus ``wenku ledger-check``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "wenku_bench_purchase"


def recreate_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")
    return f"{PG_SERVER}/{DATABASE}"


def child(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """One run in a child process: Django's database settings are fixed per process."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(vars(args))],
        env=env,
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_in_child(options: dict) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenku.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from wenku.commerce import stress
    from wenku.commerce.audit import check_ledger

    call_command("migrate", verbosity=0)
    world = stress.build_world(
        buyers=options["buyers"],
        authors=options["authors"],
        documents=options["documents"],
        initial_credit=options["buys"] * 50 + 100,  # enough for every purchase
    )
    tasks = stress.plan(world, workers=options["workers"], buys_per_buyer=options["buys"])
    if options["backend"] == "postgres":
        env = {"WENKU_DATABASE_URL": os.environ["WENKU_DATABASE_URL"]}
        outcome = stress.run_processes(tasks, env=env)
    else:
        outcome = stress.run_threads(tasks)
    problems = stress.verify(world, outcome)
    ledger = check_ledger()
    checked = subprocess.run(
        [sys.executable, "-m", "wenku.cli", "ledger-check"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    return {
        "backend": options["backend"],
        "workers": options["workers"],
        **outcome.counts(),
        "purchases_per_s": round(len(outcome.charged) / outcome.seconds, 1),
        "requests_per_s": round(outcome.operations / outcome.seconds, 1),
        "late_start_s": round(outcome.late_by, 2),
        "problems": problems[:10],
        "ledger_transactions": ledger.transactions,
        "ledger_check": checked.stdout.strip() or checked.stderr.strip()[-500:],
        "ledger_check_exit": checked.returncode,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--buys", type=int, default=10, help="distinct purchases per buyer")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_in_child(json.loads(args.child))))
        return

    results = []
    for workers in args.workers:
        run = argparse.Namespace(**{**vars(args), "workers": workers, "child": None})
        # One INFO line per purchase is not what is being measured.
        env = {**os.environ, "WENKU_LOG_LEVEL": "WARNING"}
        env.pop("WENKU_DATABASE_URL", None)
        with tempfile.TemporaryDirectory(prefix="wenku-bench-purchase-") as data_dir:
            env["WENKU_DATA_DIR"] = data_dir
            if args.backend == "postgres":
                env["WENKU_DATABASE_URL"] = recreate_database()
            result = child(run, env)
        results.append(result)
        print(
            f"{result['backend']:8} workers={workers:<2} purchases={result['purchases']:<5} "
            f"in {result['seconds']:6.2f}s  {result['purchases_per_s']:7.1f} purchases/s  "
            f"{result['requests_per_s']:7.1f} requests/s  late={result['late_start_s']}s  "
            f"problems={len(result['problems'])}  ledger-check exit={result['ledger_check_exit']}"
        )
        if result["problems"] or result["ledger_check_exit"] != 0:
            print(json.dumps(result, indent=2, ensure_ascii=False))
            raise SystemExit(1)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
