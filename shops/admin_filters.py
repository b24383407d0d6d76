"""The back office's filter by drive, shared by every list whose rows belong to a shop
(shops, listings, orders, accounts)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shops.models import Shop
from shops.selectors import drives_for_user


class ShopDriveFilter(admin.SimpleListFilter):
    """Rows of the shops attached to one drive, among the drives the person may look at
    (drives_for_user). `shop_field` (set by the subclass) names the row's shop column."""

    title = _("drive")
    parameter_name = "drive"
    shop_field: str

    def lookups(self, request, model_admin):
        return [(str(drive.pk), drive.name) for drive in drives_for_user(request.user).order_by("name")]

    def queryset(self, request, queryset):
        if self.value() not in {value for value, _label in self.lookup_choices}:
            return queryset
        drive_shops = Shop.drives.through.objects.filter(drive_id=self.value()).values("shop_id")
        return queryset.filter(**{f"{self.shop_field}__in": drive_shops})
