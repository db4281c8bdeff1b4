"""``wenku show ID``: a document's metadata and, with --json, each page's text."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from wenku.documents.models import Document
from wenku.documents.reporting import describe


class Command(BaseCommand):
    help = "Show a document's metadata and extracted text."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            document = Document.objects.select_related("blob", "owner").get(pk=options["id"])
        except Document.DoesNotExist as exc:
            raise CommandError(f"no document with id {options['id']}") from exc
        translation.activate("en" if options["json"] else translation.get_language())
        data = describe(document)
        data["owner"] = document.owner.get_username()
        data["original_filename"] = document.original_filename
        data["created_at"] = document.created_at.isoformat()
        data["pages_text"] = list(document.pages.order_by("number").values_list("text", flat=True))
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False))
            return
        for key in (
            "id",
            "title",
            "status",
            "format",
            "pages",
            "size",
            "sha256",
            "owner",
            "keywords",
            "error",
        ):
            self.stdout.write(f"{key:>10}: {data[key]}")
        for number, text in enumerate(data["pages_text"], start=1):
            self.stdout.write(f"\n--- page {number} ---\n{text}")
