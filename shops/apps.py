from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and drives")

    def ready(self):
        from shops.roles import ensure_groups

        post_migrate.connect(ensure_groups, sender=self)
