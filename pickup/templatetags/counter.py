"""The counter in the back office's templates.

{% load counter %}
{% serves_at_a_counter user as at_counter %} whether to offer the counter page
"""

from django import template

from pickup.selectors import counter_shops_for_user

register = template.Library()


@register.simple_tag
def serves_at_a_counter(user) -> bool:
    return counter_shops_for_user(user).exists()
