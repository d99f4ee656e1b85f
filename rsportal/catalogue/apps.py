from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "rsportal.catalogue"
    label = "catalogue"
    verbose_name = _("Prosjektkatalog og statistikk")

    def ready(self):
        # The public pages read the data version (core.datacache); every write to what they show replaces it.
        from rsportal.core import datacache

        datacache.connect()
