"""What the catalogue's admin screens share: the shops a person manages, ISBN search,
the moderation flags' labels."""

from django.core.exceptions import ValidationError

from catalog.ean import normalize_any_ean
from catalog.models import (
    Listing,
)
from shops.models import Shop
from shops.selectors import shops_for_user


def manageable_shops(request):
    """The shops whose stock the user may change: their own, approved or pending."""
    return shops_for_user(request.user).exclude(status=Shop.Status.REJECTED).order_by("trade_name")


def flag_labels(flags) -> list[str]:
    labels = dict(Listing.Flag.choices)
    return [str(labels.get(flag, flag)) for flag in flags]


class IsbnSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        # A scanned or typed ISBN finds its book exactly; anything else searches text.
        try:
            ean = normalize_any_ean(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(book__ean=ean), False
