from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm


class RegisterForm(UserCreationForm):
    """Username and password only; profiles come later."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
