from django import template
from django.urls import reverse

from shops.models import Shop

register = template.Library()


@register.inclusion_tag("admin/shops/_pending_applications.html", takes_context=True)
def pending_applications(context):
    """On the admin home page, tell reviewers how many applications wait for them."""
    user = context["request"].user
    if not user.has_perm("shops.review_shop"):
        return {"count": 0}
    return {
        "count": Shop.objects.filter(status=Shop.Status.PENDING).count(),
        "url": reverse("admin:shops_shop_changelist") + f"?status__exact={Shop.Status.PENDING}",
    }
