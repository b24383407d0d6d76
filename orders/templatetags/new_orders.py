"""The count of new orders on every page of the bookseller space (templates/admin/base_site.html),
since the back office has no menu beside its pages."""

from django import template
from django.urls import reverse

from orders.selectors import new_orders_count

register = template.Library()


@register.inclusion_tag("admin/orders/_new_orders_link.html", takes_context=True)
def new_orders_link(context):
    request = context.get("request")
    if request is None or not request.user.has_perm("orders.view_order"):
        return {"count": 0}
    return {
        "count": new_orders_count(request),
        "url": reverse("admin:orders_order_changelist") + "?status__exact=placed",
    }
