"""A concurrent purchase workload, used by the concurrency tests and bench/purchase.py.

Many buyers buy many documents at once, in threads or in separate processes, while
top-ups land; the plan includes retries (the same idempotency key sent by two
workers), double clicks (the same purchase with a new key), authors buying each
other's documents (so lock order matters), referrers, and buyers who run out of
points. ``verify`` then recomputes every balance from the purchases and credits that
actually happened and checks it against the wallets and the ledger.

Run it alone on a fresh SQLite file (threads) with::

    WENKU_DATA_DIR=$(mktemp -d) python -m wenku.commerce.stress threads --workers 8

``python -m wenku.commerce.stress worker TASKS.json`` runs one task list and prints
what happened as JSON; the PostgreSQL test and the benchmark start several.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

STRESS_PREFIX = "stress-"


@dataclass
class World:
    buyer_ids: list[int]
    author_ids: list[int]
    document_prices: dict[int, int]  # document id → price
    document_owners: dict[int, int]
    initial_credit: int


@dataclass
class Outcome:
    charged: list[list[int]] = field(default_factory=list)  # [buyer, document]
    credited: list[list] = field(default_factory=list)  # [key, user, points] newly posted
    insufficient: int = 0
    repeats: int = 0  # requests answered with an earlier purchase, nothing charged
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    operations: int = 0
    finished_at: float = 0.0  # wall clock, to time workers that started together
    late_by: float = 0.0  # how long after the common start the slowest worker began

    def counts(self) -> dict:
        """What was done, for a report."""
        return {
            "operations": self.operations,
            "purchases": len(self.charged),
            "repeats": self.repeats,
            "insufficient": self.insufficient,
            "credits": len(self.credited),
            "seconds": round(self.seconds, 3),
        }

    def merge(self, other: Outcome) -> None:
        self.charged += other.charged
        self.credited += other.credited
        self.insufficient += other.insufficient
        self.repeats += other.repeats
        self.errors += other.errors
        self.operations += other.operations
        self.seconds = max(self.seconds, other.seconds)
        self.finished_at = max(self.finished_at, other.finished_at)
        self.late_by = max(self.late_by, other.late_by)


def build_world(
    *, buyers: int, authors: int, documents: int, initial_credit: int, seed: int = 1
) -> World:
    """Users, published priced documents and initial credits, committed."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from wenku.commerce import services
    from wenku.documents.models import Blob, Document

    rng = random.Random(seed)
    User = get_user_model()
    run = uuid.uuid4().hex[:6]
    author_users = [
        User.objects.create_user(f"{STRESS_PREFIX}{run}-author{i}") for i in range(authors)
    ]
    buyer_users = [
        User.objects.create_user(f"{STRESS_PREFIX}{run}-buyer{i}") for i in range(buyers)
    ]
    prices, owners = {}, {}
    for i in range(documents):
        sha = uuid.uuid4().hex * 2
        blob = Blob.objects.create(sha256=sha, size=1)
        owner = author_users[i % authors]
        document = Document.objects.create(
            owner=owner,
            blob=blob,
            original_filename=f"doc{i}.pdf",
            title=f"压力测试文档 {i}",
            price=rng.randint(1, 50),
            status=Document.Status.READY,
            published_at=timezone.now(),
        )
        prices[document.pk] = document.price
        owners[document.pk] = owner.pk
    # Authors buy too: their wallets are then both debited and credited concurrently.
    spenders = [*buyer_users, *author_users]
    for user in spenders:
        services.credit(
            user, initial_credit, reason="stress initial", idempotency_key=f"stress:{user.pk}"
        )
    return World(
        buyer_ids=[u.pk for u in spenders],
        author_ids=[u.pk for u in author_users],
        document_prices=prices,
        document_owners=owners,
        initial_credit=initial_credit,
    )


def plan(world: World, *, workers: int, buys_per_buyer: int, seed: int = 2) -> list[list[dict]]:
    """Task lists, one per worker, with retries and double clicks spread across workers."""
    rng = random.Random(seed)
    lists: list[list[dict]] = [[] for _ in range(workers)]
    documents = list(world.document_prices)
    for buyer in world.buyer_ids:
        own = {d for d, owner in world.document_owners.items() if owner == buyer}
        choices = [d for d in documents if d not in own]
        for document in rng.sample(choices, min(buys_per_buyer, len(choices))):
            referrer = rng.choice([None, None, *world.buyer_ids])
            task = {
                "op": "buy",
                "buyer": buyer,
                "document": document,
                "key": uuid.uuid4().hex,
                "referrer": referrer,
            }
            first, second, third = rng.sample(range(workers), 3) if workers >= 3 else (0, 0, 0)
            lists[first].append(task)
            if rng.random() < 0.5:  # a retry of the same request from another worker
                lists[second].append(dict(task))
            if rng.random() < 0.3:  # a double click: same purchase, new key
                lists[third].append({**task, "key": uuid.uuid4().hex})
        # Top-ups landing while purchases run; some are re-delivered with the same key.
        for _ in range(2):
            credit = {"op": "credit", "user": buyer, "points": rng.randint(5, 30)}
            credit["key"] = f"stress-topup:{uuid.uuid4().hex}"
            lists[rng.randrange(workers)].append(credit)
            if rng.random() < 0.5:
                lists[rng.randrange(workers)].append(dict(credit))
    for tasks in lists:
        rng.shuffle(tasks)
    return lists


def run_tasks(tasks: list[dict]) -> Outcome:
    """Run one worker's tasks in this thread, recording what actually happened."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from wenku.commerce import services
    from wenku.commerce.errors import InsufficientBalance
    from wenku.documents.models import Document

    User = get_user_model()
    outcome = Outcome()
    users: dict[int, object] = {}
    documents: dict[int, Document] = {}

    def user(pk: int | None):
        if pk is None:
            return None
        if pk not in users:
            users[pk] = User.objects.get(pk=pk)
        return users[pk]

    started = time.perf_counter()
    try:
        for task in tasks:
            outcome.operations += 1
            try:
                if task["op"] == "buy":
                    if task["document"] not in documents:
                        documents[task["document"]] = Document.objects.select_related("owner").get(
                            pk=task["document"]
                        )
                    result = services.purchase(
                        user(task["buyer"]),
                        documents[task["document"]],
                        task["key"],
                        referrer=user(task["referrer"]),
                    )
                    if result.charged:
                        outcome.charged.append([task["buyer"], task["document"]])
                    else:
                        outcome.repeats += 1
                else:
                    posting = services.credit(
                        user(task["user"]),
                        task["points"],
                        reason="stress top-up",
                        idempotency_key=task["key"],
                    )
                    if posting.created:
                        outcome.credited.append([task["key"], task["user"], task["points"]])
            except InsufficientBalance:
                outcome.insufficient += 1
            except Exception as exc:  # every other failure is a finding
                outcome.errors.append(f"{task}: {type(exc).__name__}: {exc}")
    finally:
        outcome.seconds = time.perf_counter() - started
        outcome.finished_at = time.time()
        connections.close_all()
    return outcome


def run_threads(task_lists: list[list[dict]]) -> Outcome:
    outcomes = [Outcome() for _ in task_lists]

    def work(index: int) -> None:
        outcomes[index] = run_tasks(task_lists[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(task_lists))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Outcome()
    for outcome in outcomes:
        total.merge(outcome)
    total.seconds = time.perf_counter() - started
    return total


def run_processes(
    task_lists: list[list[dict]], *, env: dict[str, str], start_delay: float | None = None
) -> Outcome:
    """One ``python -m wenku.commerce.stress worker TASKS.json`` process per task list.

    Workers load Django, then wait for a common start time so they really run at
    once; ``seconds`` of the result is from that start to the last worker's end.
    Each has its own database connection; logs go to a temporary file (a full stderr
    pipe would stall a worker), the outcome comes back on stdout.
    """
    import subprocess
    import tempfile

    start_at = time.time() + (start_delay if start_delay is not None else 2 * len(task_lists))
    with tempfile.TemporaryDirectory(prefix="wenku-stress-") as folder:
        procs = []
        for index, tasks in enumerate(task_lists):
            task_file = os.path.join(folder, f"tasks{index}.json")
            with open(task_file, "w") as handle:
                json.dump({"start_at": start_at, "tasks": tasks}, handle)
            log_file = open(os.path.join(folder, f"worker{index}.log"), "w")  # noqa: SIM115
            procs.append(
                (
                    subprocess.Popen(
                        [sys.executable, "-m", "wenku.commerce.stress", "worker", task_file],
                        stdout=subprocess.PIPE,
                        stderr=log_file,
                        env={**os.environ, **env},
                        text=True,
                    ),
                    log_file,
                )
            )
        total = Outcome()
        for proc, log_file in procs:
            stdout, _ = proc.communicate(timeout=600)
            log_file.close()
            if proc.returncode != 0:
                with open(log_file.name) as handle:
                    total.errors.append(f"worker exited {proc.returncode}: {handle.read()[-2000:]}")
                continue
            total.merge(Outcome(**json.loads(stdout.strip().splitlines()[-1])))
    total.seconds = total.finished_at - start_at
    return total


def verify(world: World, outcome: Outcome) -> list[str]:
    """Everything that must hold after the run; an empty list means all is well."""
    from wenku.commerce.audit import check_ledger
    from wenku.commerce.models import Account, LedgerTransaction, Purchase
    from wenku.commerce.shares import split_price

    problems = list(outcome.errors)
    problems += check_ledger().problems

    purchases = list(Purchase.objects.filter(buyer_id__in=world.buyer_ids))
    pairs = Counter((p.buyer_id, p.document_id) for p in purchases)
    problems += [f"{pair} bought {n} times" for pair, n in pairs.items() if n > 1]
    charged = Counter(tuple(pair) for pair in outcome.charged)
    if charged != pairs:
        problems.append(f"charges reported {sum(charged.values())} ≠ purchases {len(purchases)}")
    purchase_txns = LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.PURCHASE, purchase__buyer_id__in=world.buyer_ids
    ).count()
    if purchase_txns != len(purchases):
        problems.append(f"{purchase_txns} purchase transactions for {len(purchases)} purchases")

    expected: dict[int, int] = defaultdict(int)
    for pk in world.buyer_ids:
        expected[pk] += world.initial_credit
    credited_keys = Counter(key for key, _user, _points in outcome.credited)
    problems += [f"credit {key} applied {n} times" for key, n in credited_keys.items() if n > 1]
    for _key, user_id, points in outcome.credited:
        expected[user_id] += points
    for p in purchases:
        split = split_price(p.price, with_referrer=p.referrer_id is not None)
        expected[p.buyer_id] -= p.price
        expected[world.document_owners[p.document_id]] += split.author
        if p.referrer_id is not None:
            expected[p.referrer_id] += split.referrer
    actual = dict(
        Account.objects.filter(user_id__in=list(expected)).values_list("user_id", "balance")
    )
    for user_id, balance in expected.items():
        if actual.get(user_id, 0) != balance:
            problems.append(f"user {user_id}: balance {actual.get(user_id)} expected {balance}")
    return problems


# --- command line ---------------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenku.settings")
    import django

    django.setup()


def _worker(task_file: str) -> int:
    _setup_django()
    with open(task_file) as handle:
        payload = json.load(handle)
    delay = payload["start_at"] - time.time()
    if delay > 0:
        time.sleep(delay)
    outcome = run_tasks(payload["tasks"])
    # Django took longer to load than the head start: the benchmark reports it.
    outcome.late_by = max(-delay, 0.0)
    print(json.dumps(asdict(outcome)))
    return 0


def _threads(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m wenku.commerce.stress threads")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--buyers", type=int, default=24)
    parser.add_argument("--authors", type=int, default=6)
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--buys", type=int, default=8, help="purchases per buyer")
    parser.add_argument("--credit", type=int, default=150, help="initial points per buyer")
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args(argv)
    _setup_django()
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    world = build_world(
        buyers=args.buyers,
        authors=args.authors,
        documents=args.documents,
        initial_credit=args.credit,
    )
    outcome = run_threads(plan(world, workers=args.workers, buys_per_buyer=args.buys))
    problems = verify(world, outcome)
    report = {**outcome.counts(), "problems": problems}
    print(json.dumps(report, ensure_ascii=False))
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["worker"] and len(argv) == 2:
        return _worker(argv[1])
    if argv[:1] == ["threads"]:
        return _threads(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
