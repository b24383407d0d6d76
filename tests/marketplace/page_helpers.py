"""One of everything the pages show, for the tests that go through every kind of page
(the Content-Security-Policy's).

site = small_site()        # a drive, a bookshop with its owner, a book on sale, an order
en("book", site.book.ean)  # /en/books/…/
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import translation

from catalog.models import Book, Listing
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from orders.models import Order
from shops.models import Drive, Membership, Shop
from tests.factories import (
    BookFactory,
    ChainStaffFactory,
    DriveFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    reserve,
)


@dataclass
class SmallSite:
    drive: Drive
    shop: Shop
    book: Book
    listing: Listing
    order: Order  # placed by a guest
    bookseller: object  # the shop's owner, who serves at its counter
    head_office: object


def small_site() -> SmallSite:
    drive = DriveFactory(name="Drive Lorient Keryado", slug="lorient")
    shop = ShopFactory(trade_name="Librairie du Port")
    shop.drives.set([drive])
    bookseller = MembershipFactory(shop=shop, role=Membership.Role.OWNER).user
    book = BookFactory(title="L'Étranger", contributors=[{"name": "Albert Camus", "role": "author"}])
    listing = ListingFactory(shop=shop, book=book, quantity=3)
    order = reserve(listing).orders.get()
    search_index_refresh()
    search_vocabulary_refresh()
    return SmallSite(drive, shop, book, listing, order, bookseller, ChainStaffFactory())


def en(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)
