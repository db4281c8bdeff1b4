from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wenku.discovery import indexing
from wenku.documents import services
from wenku.documents.models import Blob, Document, DocumentEvent, Page


class DocumentEventInline(admin.TabularInline):
    """The audit trail: shown, never edited."""

    model = DocumentEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "title",
        "owner",
        "format",
        "status",
        "page_count",
        "created_at",
        "published_at",
    )
    list_filter = ("status", "format")
    search_fields = ("title",)
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "blob")
    date_hierarchy = "created_at"
    readonly_fields = (
        "status",
        "error_code",
        "error_message",
        "attempts",
        "lease_until",
        "processed_at",
        "page_count",
        "format",
    )
    inlines = (DocumentEventInline,)
    actions = ("reprocess_selected",)

    # A moderator's edit (title, category, price, publication) reaches search too.
    def save_model(self, request: HttpRequest, obj: Document, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        indexing.document_changed(obj)

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        indexing.document_deleted(obj.pk)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        for document_id in queryset.values_list("pk", flat=True):
            indexing.document_deleted(document_id)
        super().delete_queryset(request, queryset)

    @admin.action(description=_("Reprocess selected documents"))
    def reprocess_selected(self, request: HttpRequest, queryset: QuerySet[Document]) -> None:
        # Documents a worker is processing right now are left alone; they finish on their own.
        finished = [d for d in queryset if d.is_finished]
        for document in finished:
            services.reprocess(document, actor=request.user)
        skipped = len(queryset) - len(finished)
        self.message_user(
            request,
            ngettext(
                "%(count)d document queued for processing.",
                "%(count)d documents queued for processing.",
                len(finished),
            )
            % {"count": len(finished)},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document is still being processed and was skipped.",
                    "%(count)d documents are still being processed and were skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    list_display = ("document", "number", "width", "height")
    raw_id_fields = ("document",)
    search_fields = ("document__title",)


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ("sha256", "size", "created_at")
    search_fields = ("sha256",)
