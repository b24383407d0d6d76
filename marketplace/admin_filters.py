"""List filters the back office's queues share whatever they list (shops, listings).
The filter by drive is the shops' (shops/admin_filters.py)."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
