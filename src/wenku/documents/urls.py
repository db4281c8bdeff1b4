from __future__ import annotations

from django.urls import path

from wenku.documents import views

app_name = "documents"

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("d/<int:pk>/", views.detail, name="detail"),
    path("d/<int:pk>/status.json", views.status_json, name="status_json"),
    path("d/<int:pk>/status/", views.status_fragment, name="status"),
    path("d/<int:pk>/more/", views.more_pages, name="more"),
    # <int:> only matches digits, so negative or non-numeric page numbers never
    # reach the view; the view itself refuses 0 and unknown sizes.
    path("d/<int:pk>/pages/<int:number>-<str:size>.webp", views.page_image, name="page_image"),
    path("d/<int:pk>/download/", views.download, name="download"),
    path("d/<int:pk>/reprocess/", views.reprocess, name="reprocess"),
]
