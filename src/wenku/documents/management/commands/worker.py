"""``wenku worker``: the background worker, with recovery of abandoned documents.

The database task worker does the processing; beside it a thread requeues
documents whose worker died mid-task (their lease expired), so nothing stays
"converting" forever.
"""

from __future__ import annotations

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from wenku.documents import services

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the background worker (database task queue) with stale-document recovery."

    def add_arguments(self, parser):
        parser.add_argument("--sweep-interval", type=float, default=30.0)
        parser.add_argument("--batch", action="store_true", help="process what is queued, exit")

    def handle(self, *args, **options):
        sweep_once()
        stop = threading.Event()
        sweeper = threading.Thread(
            target=sweep_forever, args=(stop, options["sweep_interval"]), daemon=True
        )
        sweeper.start()
        try:
            worker_args = ["--interval", "0.5", "--no-startup-delay"]
            if options["batch"]:
                worker_args.append("--batch")
            call_command("db_worker", *worker_args)
        finally:
            stop.set()


def sweep_once() -> None:
    try:
        touched = services.recover_stale()
        if touched:
            log.info("recovered stale documents count=%s", touched)
    finally:
        close_old_connections()


def sweep_forever(stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        try:
            sweep_once()
        except Exception:
            log.exception("stale-document sweep failed")
