from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "wenku.commerce"
    verbose_name = _("Wallet and sales")

    def ready(self) -> None:
        from wenku.commerce import checks, signals  # noqa: F401  (registers checks and receivers)
