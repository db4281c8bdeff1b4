"""sitemap.xml: an index of section sitemaps, each paged by ``limit`` URLs.

The templates live in discovery/templates, so 'django.contrib.sitemaps' need not be
an installed app; without 'django.contrib.sites' Django takes the host from the request.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from wenku.discovery.models import Category


class DocumentSitemap(Sitemap):
    changefreq = "monthly"
    limit = 10_000  # per file; Django's paginator splits larger sites into ?p=2, 3, …

    def items(self):
        from wenku.documents.models import Document

        # Only what the page needs: a sitemap of 100,000 rows must not load their text.
        return Document.objects.published().only("pk", "published_at").order_by("pk")

    def lastmod(self, document):
        return document.published_at


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Category.objects.order_by("pk")


class StaticSitemap(Sitemap):
    changefreq = "daily"

    def items(self) -> list[str]:
        return ["home", "discovery:categories"]

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"pages": StaticSitemap, "categories": CategorySitemap, "documents": DocumentSitemap}
