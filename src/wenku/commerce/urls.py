from __future__ import annotations

from django.urls import path

from wenku.commerce.views import buying, library, me

app_name = "commerce"

urlpatterns = [
    path("d/<int:pk>/get/", buying.get, name="get"),
    path("d/<int:pk>/buy/", buying.buy, name="buy"),
    path("d/<int:pk>/favorite/", library.favorite, name="favorite"),
    path("d/<int:pk>/share/", library.share, name="share"),
    path("purchases/<int:pk>/done/", buying.bought, name="bought"),
    # The file name is cosmetic (for `wget URL`); the signed token carries the rights.
    path("download/<str:token>/<str:filename>", buying.download, name="download"),
    path("me/wallet/", me.wallet, name="wallet"),
    path("me/purchases/", me.purchases, name="purchases"),
    path("me/earnings/", me.earnings, name="earnings"),
    path("me/favorites/", me.favorites, name="favorites"),
    path("webhooks/<str:gateway>/", buying.webhook, name="webhook"),
]
