"""Reads about books and listings."""

from dataclasses import dataclass

from django.db.models import F, QuerySet

from catalog.models import Book, Listing
from shops.selectors import NearbyShop, shops_for_user


def listings_for_user(user) -> QuerySet[Listing]:
    """The listings `user` may see and manage: those of their shops (all of them for
    the chain's staff). Same rule as shops_for_user, which it builds on."""
    return Listing.objects.filter(shop__in=shops_for_user(user))


def with_book_details(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Listings with their book and shop, in one query."""
    return listings.select_related("book", "shop")


def book_by_ean(ean: str) -> Book | None:
    return Book.objects.filter(ean=ean).first()


@dataclass
class Offer:
    """A nearby shop's offer of a book, for the book page."""

    listing: Listing
    shop: NearbyShop

    @property
    def is_last_copy(self) -> bool:
        return self.listing.available == 1


def offers_near(*, book: Book, shops: list[NearbyShop]) -> list[Offer]:
    """The book's offers (published, in stock) in these shops, nearest shop first, then
    cheapest."""
    by_id = {shop.id: shop for shop in shops}
    listings = Listing.objects.filter(
        book=book, shop_id__in=list(by_id), status=Listing.Status.PUBLISHED, quantity__gt=F("reserved")
    ).only("id", "shop_id", "condition", "price", "quantity", "reserved")
    offers = [Offer(listing=listing, shop=by_id[listing.shop_id]) for listing in listings]
    return sorted(offers, key=lambda offer: (offer.shop.distance_km, offer.listing.price))
