"""Documents, their stored files, rendered pages and recorded state changes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wenku.documents.querysets import DocumentQuerySet


class Blob(models.Model):
    """An original file, stored once under its sha256 whoever uploads it."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("stored file")

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.size} B)"

    @property
    def storage_name(self) -> str:
        return f"{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CONVERTING = "converting", _("converting")
        RENDERING = "rendering", _("rendering")
        ANALYZING = "analyzing", _("extracting text")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    # States in which a worker holds the document under a lease.
    ACTIVE_STATES = (Status.CONVERTING, Status.RENDERING, Status.ANALYZING)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="documents")
    original_filename = models.CharField(_("original file name"), max_length=255)
    title = models.CharField(_("title"), max_length=255)
    format = models.CharField(_("format"), max_length=16, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), default=0)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    category = models.ForeignKey(
        "discovery.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    price = models.PositiveIntegerField(
        _("price (points)"), default=0, help_text=_("0 means free to download.")
    )
    preview_pages = models.PositiveIntegerField(
        _("preview pages"),
        default=10,
        help_text=_("How many pages anyone may preview; the rest only the owner and staff see."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    publish_when_ready = models.BooleanField(default=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @property
    def size(self) -> int:
        return self.blob.size

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.READY and self.published_at is not None

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    def can_see_all_pages(self, user) -> bool:
        return user.is_authenticated and (user.is_staff or user.pk == self.owner_id)

    def previewable_count(self, user) -> int:
        if self.can_see_all_pages(user):
            return self.page_count
        return min(self.preview_pages, self.page_count)


class Page(models.Model):
    """One rendered page: its text, and where its images are in the pages storage."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_page_number")
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.number}"

    def image_name(self, size: str) -> str:
        return f"{self.document_id}/{self.number:05d}-{size}.webp"


class DocumentEvent(models.Model):
    """An audit row for every state change: who, when, from what to what, and why."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.from_status} → {self.to_status}"
