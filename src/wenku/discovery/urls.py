from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from wenku.discovery import views
from wenku.discovery.sitemaps import SITEMAPS

app_name = "discovery"

urlpatterns = [
    path("search/", views.search, name="search"),
    path("c/", views.category_index, name="categories"),
    # <str:>, not <slug:>: category slugs may be Chinese (allow_unicode).
    path("c/<str:slug>/", views.category, name="category"),
    # <path:> so a keyword containing "/" still has a URL and never breaks a page.
    path("tag/<path:keyword>/", views.tag, name="tag"),
    path("robots.txt", views.robots_txt, name="robots"),
    # An index of paged section sitemaps: a large site stays under 50,000 URLs per file.
    path(
        "sitemap.xml",
        sitemap_views.index,
        {
            "sitemaps": SITEMAPS,
            "sitemap_url_name": "discovery:sitemap",
            "template_name": "discovery/sitemap_index.xml",
        },
        name="sitemap_index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS, "template_name": "discovery/sitemap.xml"},
        name="sitemap",
    ),
]
