"""``wenku reprocess ID... | --failed``: run the pipeline again from the kept original."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from wenku.documents import services
from wenku.documents.models import Document


class Command(BaseCommand):
    help = "Queue documents for processing again (after a fix, or a failure)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--failed", action="store_true", help="all failed documents")
        parser.add_argument("--wait", action="store_true", help="process now, in this process")

    def handle(self, *args, **options):
        documents = Document.objects.filter(pk__in=options["ids"])
        if options["failed"]:
            documents = documents | Document.objects.filter(status=Document.Status.FAILED)
        if not options["ids"] and not options["failed"]:
            raise CommandError("give document ids or --failed")
        for document in documents.distinct():
            services.reprocess(document)
            if options["wait"]:
                services.process_document(document.pk)
                document.refresh_from_db()
            self.stdout.write(f"#{document.pk} {document.status} {document.title}")
