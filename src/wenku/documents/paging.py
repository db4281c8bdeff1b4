"""Pagination over large lists."""

from __future__ import annotations

from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CachedCountPaginator(Paginator):
    """A paginator that, once the list is long, counts it at most once per ``timeout``
    seconds.

    COUNT(*) over every published document scans them all (18 ms of the home page's
    27 ms at 100,000 documents). A short list is counted every time: it is cheap, and
    Django's paginator cuts a page at the count, so a stale count would hide a new
    document on a small site's only page. On a long list only the number of pages
    lags; the page's own rows are read fresh.
    """

    cache_from = 10_000  # items; below this a count takes a millisecond or two

    def __init__(self, *args, cache_key: str, timeout: int = 60, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cache_key, self.timeout = cache_key, timeout

    @cached_property
    def count(self) -> int:
        counted = cache.get(self.cache_key)
        if counted is None:
            counted = Paginator.count.func(self)
            if counted >= self.cache_from:
                cache.set(self.cache_key, counted, self.timeout)
        return counted
