from django import template

from orders.action_links import action_link_url

register = template.Library()


@register.simple_tag
def action_link(order, action: str) -> str:
    """{% action_link order "accept" as url %}: the absolute address of a signed link
    that does `action` on `order` without logging in (see orders/action_links.py)."""
    return action_link_url(order=order, action=action)
