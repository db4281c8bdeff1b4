"""Rankings for the home page (newest, most viewed, most downloaded) and the view counter.

Views are counted per document and day (DocumentView): one UPDATE per view, and a
ranking sums a handful of rows per document instead of counting a log. The ranked
ids are cached for a few minutes (all-time downloads still aggregate the download
log); the documents they name are read fresh, so a document taken down leaves the
lists at once, and only the order can be minutes old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from wenku.discovery.models import DocumentView

RANKING_SIZE = 10
WEEK = timedelta(days=7)
CACHE_SECONDS = 300
CACHE_KEY = "wenku:rankings:{size}"


def record_view(document, user) -> None:
    """Count one view of a published document; the owner reading their own does not count."""
    if not document.is_published or (user.is_authenticated and user.pk == document.owner_id):
        return
    today = timezone.localdate()
    views = DocumentView.objects.filter(document_id=document.pk, day=today)
    if views.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():  # a savepoint: losing the race must not break the page
            DocumentView.objects.create(document_id=document.pk, day=today, count=1)
    except IntegrityError:  # another request created today's row first
        views.update(count=F("count") + 1)


@dataclass(frozen=True)
class Rankings:
    viewed_week: list
    viewed_all: list
    downloaded_week: list
    downloaded_all: list


def rankings(size: int = RANKING_SIZE) -> Rankings:
    """Four lists in five queries whatever the size of the site (one when the ids are
    cached): four aggregates of ids, then one query for every document they name.
    (The home page lists the newest itself.)"""
    from wenku.documents.models import Document

    key = CACHE_KEY.format(size=size)
    id_lists = cache.get(key)
    if id_lists is None:
        id_lists = _ranked_ids(size)
        cache.set(key, id_lists, CACHE_SECONDS)
    wanted = {pk for ids in id_lists for pk in ids}
    published = Document.objects.published()
    by_id = {doc.pk: doc for doc in published.filter(pk__in=wanted).select_related("owner")}
    ranked = [[by_id[pk] for pk in ids if pk in by_id][:size] for ids in id_lists]
    return Rankings(*ranked)


def _ranked_ids(size: int) -> list[list[int]]:
    from wenku.commerce.models import DownloadLog
    from wenku.documents.models import Document

    published = Document.objects.published()
    since = timezone.now() - WEEK
    # Over-fetch ids: a ranked document may have been unpublished since.
    fetch = size * 2
    views = DocumentView.objects.filter(document__in=published).values("document_id")
    views = views.annotate(total=Sum("count")).order_by("-total", "-document_id")
    downloads = DownloadLog.objects.counted().filter(document__in=published)
    downloads = downloads.values("document_id").annotate(total=Count("id"))
    downloads = downloads.order_by("-total", "-document_id")
    return [
        _ids(views.filter(day__gte=timezone.localdate() - WEEK), fetch),
        _ids(views, fetch),
        _ids(downloads.filter(created_at__gte=since), fetch),
        _ids(downloads, fetch),
    ]


def newest(size: int = RANKING_SIZE) -> list:
    from wenku.documents.models import Document

    documents = Document.objects.published().select_related("owner")
    return list(documents.order_by("-published_at", "-id")[:size])


def _ids(ranked, limit: int) -> list[int]:
    return list(ranked.values_list("document_id", flat=True)[:limit])
