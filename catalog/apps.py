from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from catalog.product_kinds import ensure_product_kinds

        # After this app's migrations, which come after shops' (INSTALLED_APPS order): the
        # product kinds name kinds of shop, which shops' own signal has made by then.
        post_migrate.connect(ensure_product_kinds, sender=self, dispatch_uid="catalog.ensure_product_kinds")
