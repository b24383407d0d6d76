from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Accounts and messages")


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the back office's site as `admin.site`."""

    default = False  # this module's default app is MarketplaceConfig
    default_site = "marketplace.admin_site.BackOfficeSite"
