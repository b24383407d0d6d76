"""Listing plans: what a shop pays once its free period ends."""

from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from shops.models import (
    ListingPlan,
)
from shops.selectors import user_sees_all_shops


@admin.register(ListingPlan)
class ListingPlanAdmin(admin.ModelAdmin):
    """What listing costs after the free period. Head office writes the plans; moderators
    and booksellers read them."""

    list_display = ["name", "monthly_fee", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]

    def get_queryset(self, request):
        plans = super().get_queryset(request)
        # How many shops are on each plan is head office's to know: annotated for them only,
        # since anyone who opens the list could otherwise filter on it (?shop_count=3).
        if user_sees_all_shops(request.user):
            plans = plans.annotate(shop_count=models.Count("shops"))
        return plans

    def get_list_display(self, request):
        if user_sees_all_shops(request.user):
            return [*self.list_display, "shop_count"]
        return self.list_display

    def has_delete_permission(self, request, obj=None):
        return False  # shops keep the plan they had: offer it no more instead ("offered to new shops")

    @admin.display(description=_("shops on it"), ordering="shop_count")
    def shop_count(self, plan):
        return plan.shop_count
