"""A reader's relations to documents that move no points: favorites and downloads,
and the verification cache that lets downloads skip re-hashing big originals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Favorite(models.Model):
    """收藏: a user keeps a document in "my favorites"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="favorites"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("favorite")
        verbose_name_plural = _("favorites")
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="one_favorite_per_user")
        ]
        # A document's most recent fans, for 你可能关注的文档 (discovery.related).
        indexes = [models.Index(fields=["document", "-created_at"], name="favorite_recent_fans")]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.document_id}"


class DownloadLogQuerySet(models.QuerySet):
    def counted(self) -> DownloadLogQuerySet:
        """Downloads that count: those starting at byte 0. A resume (Range from the
        middle) continues a download already counted."""
        return self.filter(counted=True)


class DownloadLog(models.Model):
    """One served download request (GET answered 200 or 206), the audit trail of who
    got which bytes of which original."""

    class Via(models.TextChoices):
        APP = "app", _("streamed by the application")
        ACCEL = "accel", _("sent by nginx (X-Accel-Redirect)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="downloads",
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="downloads"
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    status = models.PositiveSmallIntegerField()
    range_start = models.BigIntegerField(default=0)
    range_end = models.BigIntegerField(null=True, blank=True, help_text=_("inclusive"))
    bytes = models.BigIntegerField(_("bytes"), help_text=_("length of the response body"))
    counted = models.BooleanField(default=True)
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.APP)

    objects = DownloadLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("download")
        verbose_name_plural = _("downloads")
        indexes = [
            models.Index(fields=["document", "counted"]),
            models.Index(fields=["user", "counted"]),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ↓ {self.document_id} {self.range_start}-{self.range_end}"


class BlobVerification(models.Model):
    """When an original last hashed to its sha256, and the size and modification
    time it had then.

    Originals are content-addressed and written once, so a file whose size and
    mtime are unchanged since a recent verification is trusted without reading
    50 MB again on every request; it is re-hashed when either changes or when the
    verification is older than ``WENKU_VERIFY_INTERVAL_HOURS``.
    """

    blob = models.OneToOneField(
        "documents.Blob", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    verified_at = models.DateTimeField()
    size = models.BigIntegerField()
    modified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verified original")
        verbose_name_plural = _("verified originals")

    def __str__(self) -> str:
        return f"{self.blob_id[:12]} verified {self.verified_at:%Y-%m-%d %H:%M}"
