from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "rsportal.catalogue"
    label = "catalogue"
    verbose_name = _("Prosjektkatalog og statistikk")

    def ready(self):
        from . import cache

        cache.connect()
