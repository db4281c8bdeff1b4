from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "wenku.documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        from wenku.documents import checks  # noqa: F401  (registers system checks)
