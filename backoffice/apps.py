from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackOfficeConfig(AppConfig):
    name = "backoffice"  # its one model: the dashboard's counts (models.py); the admin of other apps' models


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with the back office's site as `admin.site`."""

    default = False  # this module's default app is BackOfficeConfig
    default_site = "backoffice.site.BackOfficeSite"
