from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and drives")

    def ready(self):
        from shops.kinds import ensure_shop_kinds
        from shops.roles import ensure_groups

        # After every app's migrations (not only ours): the groups also hold other
        # apps' permissions, which exist once those apps have migrated.
        post_migrate.connect(ensure_groups, dispatch_uid="shops.ensure_groups")
        post_migrate.connect(ensure_shop_kinds, sender=self, dispatch_uid="shops.ensure_shop_kinds")
