"""The back office's admin site: Django's, with a guarded log-in, a "view on site"
shortcut that checks who asks, and menu entries a ModelAdmin may rename per request.

Django's own shortcut (`admin/r/<content type>/<id>/`) redirects any staff account to any
object's public address, whoever owns it: with orders, that address was the customer's
secret link. Here the object is looked up through its ModelAdmin (so the row-level
`get_queryset` applies), the person must be allowed to view it, and the address is the
one its ModelAdmin offers as "view on site"; anything else is "not found", the answer a
missing object gets.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path

from marketplace.login_guard import guarded_login


class BackOfficeSite(admin.AdminSite):
    # The home page lists what a person may open; a second menu beside every list only
    # narrowed the tables booksellers work in (issue 19: the stock table cut off at 1366 px).
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        """The bookseller space's log-in, guarded against password guessing (login_guard.py)."""
        return guarded_login(super().login)(request, extra_context)

    def get_urls(self):
        ours = [
            path(
                "r/<path:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            )
        ]
        # First match wins: ours replaces Django's unchecked shortcut of the same name.
        return ours + [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]

    def get_app_list(self, request, app_label=None):
        """A ModelAdmin with a `menu_name(request, name)` method names its own entry of the
        app list and sidebar for this request, e.g. with a count next to it."""
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            for entry in app["models"]:
                menu_name = getattr(self.get_model_admin(entry["model"]), "menu_name", None)
                if menu_name is not None:
                    entry["name"] = menu_name(request, entry["name"])
        return app_list

    def view_on_site(self, request, content_type_id, object_id):
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            raise Http404 from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.view_on_site:
            raise Http404
        obj = model_admin.get_object(request, object_id)  # through get_queryset(request)
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404
        if callable(model_admin.view_on_site):
            url = model_admin.view_on_site(obj)
        else:
            url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else None
        if not url:
            raise Http404
        return redirect(url)
