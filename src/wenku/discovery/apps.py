from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "wenku.discovery"
    verbose_name = _("Discovery")

    def ready(self) -> None:
        from wenku.discovery import checks  # noqa: F401  (registers system checks)
