from django import template
from django.urls import reverse

from shops.models import Shop
from shops.selectors import drives_for_user, shops_for_user

register = template.Library()


@register.inclusion_tag("admin/shops/_pending_applications.html", takes_context=True)
def pending_applications(context):
    """On the admin home page, tell reviewers how many applications wait for them (their
    drives' for drive staff, all of them for head office)."""
    user = context["request"].user
    if not user.has_perm("shops.review_shop"):
        return {"count": 0}
    return {
        "count": shops_for_user(user).filter(status=Shop.Status.PENDING).count(),
        "url": reverse("admin:shops_shopapplication_changelist"),
    }


@register.simple_tag(takes_context=True)
def sees_a_dashboard(context) -> bool:
    """Head office, drive staff and shop members have a dashboard (backoffice/dashboard_views.py)."""
    user = context["request"].user
    return drives_for_user(user).exists() or shops_for_user(user).exists()
