import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalog.ean import normalize_book_ean
from catalog.models import Book, Listing
from catalog.pricing import check_listing_price
from devtools import datagen, demo
from orders.models import Order
from shops.models import Shop
from shops.validators import validate_siret

pytestmark = pytest.mark.django_db


def test_the_demo_seed_is_valid_and_running_it_again_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Shop.objects.count(), Book.objects.count(), Listing.objects.count(), Order.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    assert (
        Shop.objects.count(),
        Book.objects.count(),
        Listing.objects.count(),
        Order.objects.count(),
    ) == counts
    assert counts[3] == len(demo.DEMO_CUSTOMERS)  # orders waiting for the demo bookseller
    assert counts[1] == demo.DEMO_BOOK_COUNT + datagen.SCALES["demo"].books
    for shop in Shop.objects.all():
        validate_siret(shop.siret)
    for book in Book.objects.all():
        assert normalize_book_ean(book.ean) == book.ean
    for listing in Listing.objects.select_related("book"):
        check_listing_price(
            price=listing.price, is_new=not listing.is_used, list_price=listing.book.list_price
        )
        assert listing.price > Decimal(0)


def test_the_demo_refuses_to_create_known_passwords_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG is false"):
        call_command("seed_demo", stdout=io.StringIO())
