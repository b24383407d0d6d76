"""Stock files: upload, preview, apply, cancel, start again."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.admin.common import manageable_shops
from catalog.forms import (
    StockImportForm,
)
from catalog.imports import services as import_services
from catalog.models import (
    StockImport,
)
from shops.selectors import shops_for_user


@admin.register(StockImport)
class StockImportAdmin(admin.ModelAdmin):
    """Upload a stock file, read the preview, apply it."""

    add_label = _("Import a stock file")

    list_display = ["original_name", "shop", "status", "summary", "created_at", "created_by"]
    list_filter = ["status", "format"]
    change_form_template = "admin/catalog/stockimport/detail.html"
    lines_per_page = 100

    def get_queryset(self, request):
        return StockImport.objects.filter(shop__in=shops_for_user(request.user)).select_related(
            "shop", "created_by"
        )

    def has_change_permission(self, request, obj=None):
        return False  # read-only once uploaded; applied or cancelled from its page

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("summary"))
    def summary(self, stock_import):
        counts = stock_import.counts or {}
        if not counts:
            return "—"
        return gettext("%(create)s new, %(update)s updated, %(unchanged)s unchanged, %(refuse)s refused") % {
            "create": counts.get("create", 0),
            "update": counts.get("update", 0),
            "unchanged": counts.get("unchanged", 0),
            "refuse": counts.get("refuse", 0),
        }

    def get_urls(self):
        return [
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.apply_view),
                name="catalog_stockimport_apply",
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="catalog_stockimport_cancel",
            ),
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="catalog_stockimport_retry",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        shops = manageable_shops(request)
        form = StockImportForm(request.POST or None, request.FILES or None, shops=shops)
        if request.method == "POST" and form.is_valid():
            stock_import = import_services.stock_import_start(
                shop=form.cleaned_data["shop"],
                upload=form.cleaned_data["file"],
                full_sync=form.cleaned_data["full_sync"],
                by=request.user,
            )
            return redirect("admin:catalog_stockimport_change", stock_import.pk)
        return TemplateResponse(
            request,
            "admin/catalog/stockimport/upload.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": gettext("Import my stock"),
             "form": form, "has_view_permission": True},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stock_import = self.get_object(request, object_id)
        if stock_import is None or not self.has_view_permission(request, stock_import):
            raise Http404
        action = request.GET.get("action", "")
        lines = stock_import.lines.all()
        if action:
            lines = lines.filter(action=action)
        page = Paginator(lines, self.lines_per_page).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            self.change_form_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": stock_import.original_name,
                "original": stock_import,
                "stock_import": stock_import,
                "page": page,
                "action": action,
                "actions": import_services.REPORT_ACTIONS,
                "in_progress": stock_import.status
                in (StockImport.Status.PREVIEWING, StockImport.Status.APPLYING),
                "has_view_permission": True,
                **import_services.stock_import_preview_details(stock_import),
            },
        )

    def apply_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_confirm)

    def cancel_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_cancel)

    def retry_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_retry)

    def _decide(self, request, object_id, service):
        stock_import = self.get_object(request, object_id)
        if stock_import is None or request.method != "POST" or not self.has_add_permission(request):
            raise Http404
        try:
            service(stock_import=stock_import)
        except import_services.ImportStateError as error:
            self.message_user(request, str(error), messages.ERROR)
        return redirect("admin:catalog_stockimport_change", stock_import.pk)
