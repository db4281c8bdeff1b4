from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DiscoveryConfig(AppConfig):
    name = "wenku.discovery"
    verbose_name = _("Discovery")

    def ready(self) -> None:
        from wenku.discovery import checks  # noqa: F401  (registers system checks)

        post_migrate.connect(_repair_keyword_index, sender=self)


def _repair_keyword_index(sender, using: str, **kwargs) -> None:
    """After every migrate: a rebuilt documents table has lost the keyword triggers."""
    import logging

    from django.db import connections

    from wenku.discovery import keyword_index

    repaired = keyword_index.repair(connections[using])
    if repaired:
        logging.getLogger(__name__).warning("keyword index triggers re-created: %s", repaired)
