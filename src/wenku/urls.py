"""Root URL configuration.

URL names used by settings (``home``, ``login``) are global; document URLs live in
the ``documents`` namespace so ``Document.get_absolute_url`` can name them.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from wenku.documents import views as document_views

urlpatterns = [
    path("", document_views.home, name="home"),
    path("", include("wenku.documents.urls")),
    # Buying, signed downloads, favorites, sharing, wallet and the "my …" pages.
    path("", include("wenku.commerce.urls")),
    # Search, categories, tags, sitemap.xml and robots.txt.
    path("", include("wenku.discovery.urls")),
    path("accounts/", include("wenku.accounts.urls")),
    # Django's set_language view, posted to by the footer's language switch.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
