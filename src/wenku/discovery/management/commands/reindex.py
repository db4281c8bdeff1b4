"""``wenku reindex``: rebuild the search index from the published documents."""

from __future__ import annotations

import os
import sys
import time

from django.core.management.base import BaseCommand
from tqdm import tqdm

from wenku.discovery.search import get_backend
from wenku.documents.models import Document


class Command(BaseCommand):
    help = "Rebuild the search index from every published document."

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="processes segmenting text (default: one per core)",
        )

    def handle(self, *args, **options):
        documents = Document.objects.published()
        started = time.monotonic()
        with tqdm(
            total=documents.count(),
            unit="doc",
            desc="reindex",
            disable=not sys.stderr.isatty(),
        ) as bar:
            indexed = get_backend().rebuild(
                documents, progress=bar.update, workers=max(1, options["workers"])
            )
        elapsed = time.monotonic() - started
        self.stdout.write(f"indexed {indexed} documents in {elapsed:.1f} s")
