"""Reads about books and listings."""

from django.db.models import QuerySet

from catalog.models import Book, Listing
from shops.selectors import shops_for_user


def listings_for_user(user) -> QuerySet[Listing]:
    """The listings `user` may see and manage: those of their shops (all of them for
    the chain's staff). Same rule as shops_for_user, which it builds on."""
    return Listing.objects.filter(shop__in=shops_for_user(user))


def with_book_details(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Listings with their book and shop, in one query."""
    return listings.select_related("book", "shop")


def book_by_ean(ean: str) -> Book | None:
    return Book.objects.filter(ean=ean).first()
