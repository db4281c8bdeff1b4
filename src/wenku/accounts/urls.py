from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from wenku.accounts import views

# No namespace: settings.LOGIN_URL and the templates name these "login" and "logout".
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    # Django 5 accepts logout by POST only, so a link or prefetch cannot log anyone out.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
]
