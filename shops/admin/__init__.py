"""The shops' admin screens, one module per screen. Importing the package (Django's admin
autodiscovery does) registers them all."""

from shops.admin import api_keys, applications, decisions, drives, plans  # noqa: F401
from shops.admin.shops import ShopAdmin, plan_summary

__all__ = ["ShopAdmin", "plan_summary"]
