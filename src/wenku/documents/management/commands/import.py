"""``wenku import PATH...``: ingest files or folders from the command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from wenku.documents import services
from wenku.documents.models import Document
from wenku.documents.reporting import describe

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Import documents from files or folders; --wait processes them before returning."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--owner", default="wenku", help="username of the uploader")
        parser.add_argument("--publish", action="store_true", help="publish when ready")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="process the documents now (no worker needed) and report the outcome",
        )
        parser.add_argument("--json", action="store_true", help="one JSON object per file")

    def handle(self, *args, **options):
        translation.activate("en" if options["json"] else translation.get_language())
        files = collect_files(options["paths"])
        if not files:
            raise CommandError("no files found under the given paths")
        owner = owner_for(options["owner"])
        progress = self.progress_bar(len(files), quiet=options["json"])
        results: list[tuple[Path, Document | None, str | None]] = []
        for path in files:
            try:
                document = services.ingest_path(owner, path, publish=options["publish"])
                results.append((path, document, None))
            except (OSError, services.UploadTooLarge) as exc:
                results.append((path, None, str(exc)))
            if not options["wait"]:
                progress.update(1)
        if options["wait"]:
            for _path, document, _error in results:
                if document is not None:
                    services.process_document(document.pk)
                progress.update(1)
            wait_for_others([d.pk for _p, d, _e in results if d is not None])
        progress.close()
        failed = self.report(results, as_json=options["json"])
        if failed and options["wait"]:
            sys.exit(1)

    def progress_bar(self, total: int, *, quiet: bool):
        from tqdm import tqdm

        return tqdm(
            total=total, unit="file", desc="import", disable=quiet or not sys.stderr.isatty()
        )

    def report(self, results, *, as_json: bool) -> int:
        failed = 0
        for path, document, error in results:
            if document is None:
                data = {"path": str(path), "id": None, "status": "failed", "error": error}
            else:
                document.refresh_from_db()
                data = describe(document, path=str(path))
            failed += data["status"] == "failed"
            if as_json:
                self.stdout.write(json.dumps(data, ensure_ascii=False))
            else:
                self.stdout.write(human_line(data))
        return failed


def collect_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"no such file or folder: {path}")
    return files


def owner_for(username: str):
    users = get_user_model()
    owner, created = users.objects.get_or_create(username=username)
    if created:
        owner.set_unusable_password()
        owner.save()
    return owner


def wait_for_others(document_ids: list[int]) -> None:
    """Wait for documents a worker claimed before us; recover them if it died."""
    while True:
        pending = Document.objects.filter(pk__in=document_ids).exclude(
            status__in=[Document.Status.READY, Document.Status.FAILED]
        )
        if not pending.exists():
            return
        services.recover_stale()
        for document_id in pending.filter(status=Document.Status.QUEUED).values_list(
            "pk", flat=True
        ):
            services.process_document(document_id)
        time.sleep(POLL_SECONDS)


def human_line(data: dict) -> str:
    if data["status"] == "failed":
        return f"FAILED {data['path']}: {data.get('error')}"
    return (
        f"{data['status']:<10} #{data['id']} {data['path']} "
        f"({data.get('format')}, {data.get('pages')} pages) {data.get('title')}"
    )
