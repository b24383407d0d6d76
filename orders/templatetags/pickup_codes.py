"""Pickup codes in templates: the code as people read it, its QR code, the counter link.

{% load pickup_codes %}
{{ order.pickup_code|pickup_code }}          ACDE-FGHJ
{% pickup_qr_svg order.pickup_code %}        inline SVG (pages)
{% pickup_qr_png_url order as qr_url %}      absolute address of the PNG (emails)
"""

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from orders.pickup_codes import format_pickup_code
from orders.pickup_qr import pickup_qr_svg as qr_svg

register = template.Library()


@register.filter
def pickup_code(code: str) -> str:
    return format_pickup_code(code or "")


@register.simple_tag
def pickup_qr_svg(code: str) -> str:
    # segno writes the markup from the code alone (letters of a fixed alphabet in a URL it
    # escapes itself) and our title: nothing a person typed reaches it unescaped.
    return mark_safe(qr_svg(code, title=_("QR code of the pickup code, for the bookseller to scan")))


@register.simple_tag
def pickup_qr_png_url(order) -> str:
    """Email clients block inline SVG and data: URIs: the QR code is an image served by
    the site, behind the order's unguessable token."""
    return f"{settings.SITE_URL}{reverse('pickup_qr_png', args=[order.token])}"
