from django import template
from django.urls import reverse

from catalog.admin.moderation import listings_to_moderate_count

register = template.Library()


@register.inclusion_tag("admin/catalog/_listings_to_moderate.html", takes_context=True)
def listings_to_moderate(context):
    """On the admin home page, tell moderators how many listings wait for them (their
    drives' for drive staff, all of them for head office)."""
    request = context["request"]
    if not request.user.has_perm("catalog.moderate_listing"):
        return {"count": 0}
    return {
        "count": listings_to_moderate_count(request),
        "url": reverse("admin:catalog_listingtomoderate_changelist"),
    }
