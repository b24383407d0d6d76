from django.contrib import admin

from orders.models import Order
from orders.selectors import orders_for_user


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The shop's incoming orders (scoped to the user's shops)."""

    list_display = ["reference", "shop", "status", "customer_name", "placed_at"]

    def get_queryset(self, request):
        return orders_for_user(request.user).select_related("shop")
