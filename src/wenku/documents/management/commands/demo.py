"""``wenku demo``: load demo documents that the project writes itself (idempotent)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from wenku.documents import samples, services

DEMO_USER = "demo"
DEMO_PASSWORD = "wenku-demo"  # printed by the command; a demo account, not a secret


class Command(BaseCommand):
    help = "Create a demo user and publish a few generated documents (once)."

    def add_arguments(self, parser):
        parser.add_argument("--no-wait", action="store_true", help="leave them to the worker")

    def handle(self, *args, **options):
        users = get_user_model()
        owner, created = users.objects.get_or_create(username=DEMO_USER)
        if created:
            owner.set_password(DEMO_PASSWORD)
            owner.save()
        if owner.documents.exists():
            self.stdout.write("demo content already loaded")
            return
        with tempfile.TemporaryDirectory() as tmp:
            documents = [
                services.ingest_path(owner, path, publish=True) for path in demo_files(Path(tmp))
            ]
            if not options["no_wait"]:
                for document in documents:
                    services.process_document(document.pk)
        self.stdout.write(
            f"loaded {len(documents)} demo documents; log in as {DEMO_USER} / {DEMO_PASSWORD}"
        )


def demo_files(folder: Path) -> list[Path]:
    return [
        samples.make_docx(folder / f"{samples.LIBRARY.title}.docx", samples.LIBRARY, pages=4),
        samples.make_docx(folder / f"{samples.WASTE.title}.docx", samples.WASTE, pages=3),
        samples.make_pptx(folder / f"{samples.PHYSICS.title}.pptx", samples.PHYSICS, slides=8),
        samples.make_docx(folder / f"{samples.HANDBOOK.title}.docx", samples.HANDBOOK, pages=2),
        samples.make_txt(
            folder / f"{samples.WASTE.title}（纯文本）.txt", samples.WASTE, encoding="gb18030"
        ),
    ]
