"""What pages show of a product of any kind: {% load products %}."""

from django import template

from catalog.product_kinds import described, kind_name

register = template.Library()


@register.filter
def details(product) -> list[tuple[str, str]]:
    """A product's attributes as people read them ([(name, value)]): a search result or a
    catalogue row alike (both have `kind` or `kind_id`, and `attributes`)."""
    if not product.attributes:
        return []  # a book: no query for the kinds' definitions
    return described(_kind_code(product), product.attributes)


@register.filter
def kind_of(product) -> str:
    """The name of a product's kind in the page's language ("Jeu de société")."""
    return kind_name(_kind_code(product))


def _kind_code(product) -> str:
    return getattr(product, "kind_id", None) or product.kind
