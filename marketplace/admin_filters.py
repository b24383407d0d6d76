"""List filters the back office's queues and lists share (shops, listings, audit trail)."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shops.models import Shop
from shops.selectors import drives_for_user


class WaitingFilter(admin.SimpleListFilter):
    """How long a row has waited in a moderation queue, read from `since_field` (set by
    the subclass): less than 2 days, 2 to 7 days, over a week."""

    title = _("waiting for")
    parameter_name = "waiting"
    since_field: str
    UNDER_TWO_DAYS, TWO_TO_SEVEN_DAYS, OVER_A_WEEK = "under-2-days", "2-to-7-days", "over-a-week"

    def lookups(self, request, model_admin):
        return [
            (self.UNDER_TWO_DAYS, _("less than 2 days")),
            (self.TWO_TO_SEVEN_DAYS, _("2 to 7 days")),
            (self.OVER_A_WEEK, _("over a week")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        two_days_ago, a_week_ago = now - timedelta(days=2), now - timedelta(days=7)
        since = self.since_field
        if self.value() == self.UNDER_TWO_DAYS:
            return queryset.filter(**{f"{since}__gt": two_days_ago})
        if self.value() == self.TWO_TO_SEVEN_DAYS:
            return queryset.filter(**{f"{since}__lte": two_days_ago, f"{since}__gt": a_week_ago})
        if self.value() == self.OVER_A_WEEK:
            return queryset.filter(**{f"{since}__lte": a_week_ago})
        return queryset


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
