from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from wenku.documents.models import Document

MAX_PRICE = 100_000


class RegisterForm(UserCreationForm):
    """Username and password; an e-mail address is optional but needed to reset a
    forgotten password."""

    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("Optional; lets you reset a forgotten password."),
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ("first_name", "email")
        labels = {"first_name": _("Display name"), "email": _("E-mail")}


class PricingForm(forms.ModelForm):
    """What an uploader decides about a document: its price and how much is previewable."""

    class Meta:
        model = Document
        fields = ("price", "preview_pages", "category")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A form posted without the category select (an older page, a script) leaves
        # the category as it is instead of clearing it.
        if self.is_bound and "category" not in self.data:
            del self.fields["category"]

    def clean_price(self) -> int:
        price = self.cleaned_data["price"]
        if price > MAX_PRICE:
            raise forms.ValidationError(_("At most %(max)d points.") % {"max": MAX_PRICE})
        return price

    def clean_preview_pages(self) -> int:
        pages = self.cleaned_data["preview_pages"]
        if pages < 1:
            raise forms.ValidationError(_("At least one page must be previewable."))
        return pages
