"""Registration, profile, "my uploads"; login, logout and password reset are Django's
own views (see urls.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wenku.accounts.forms import PricingForm, ProfileForm, RegisterForm
from wenku.discovery import indexing
from wenku.discovery.categories import CategorySuggester
from wenku.documents.models import Document

UPLOADS_PAGE_SIZE = 20


@require_http_methods(["GET", "HEAD", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Profile saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_uploads(request: HttpRequest) -> HttpResponse:
    """The user's documents, each with its price and preview length to edit."""
    if request.method == "POST":
        document = get_object_or_404(
            Document.objects.filter(owner=request.user), pk=request.POST.get("document")
        )
        form = PricingForm(request.POST, instance=document)
        if form.is_valid():
            form.save()
            # The index holds the previewable pages' text and the category: follow them.
            indexing.document_changed(document)
            messages.success(request, _("Saved: %(title)s") % {"title": document.title})
        else:
            errors = "; ".join(e for field in form.errors.values() for e in field)
            messages.error(request, f"{document.title}: {errors}")
        return redirect(f"{request.path}?page={request.GET.get('page', 1)}#doc-{document.pk}")
    documents = Document.objects.filter(owner=request.user).order_by("-created_at", "-id")
    page_obj = Paginator(documents, UPLOADS_PAGE_SIZE).get_page(request.GET.get("page"))
    suggester = CategorySuggester()
    rows = [
        (document, PricingForm(instance=document), suggester.suggest(document))
        for document in page_obj
    ]
    context = {"page_obj": page_obj, "rows": rows, "categories": suggester.categories}
    return render(request, "accounts/my_uploads.html", context)
