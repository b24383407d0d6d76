"""Copies held for customers' orders stay on the shelf whatever the stock writers do:
the stock list, the till's files and the API, "set to 0"."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services, stock
from catalog.imports.plan import Action
from catalog.models import Listing
from tests.catalog.test_stock_admin import changelist_post, en
from tests.catalog.test_stock_import import apply_csv
from tests.factories import BookFactory, ListingFactory, reserve

pytestmark = pytest.mark.django_db


@pytest.fixture
def held_listing(shop_a):
    """Three copies on the shelf, two of them reserved by a customer."""
    book = BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))
    listing = ListingFactory(shop=shop_a, book=book, quantity=3, price=Decimal("7.50"))
    reserve((listing, 2))
    listing.refresh_from_db()
    return listing


def test_the_stock_list_refuses_a_quantity_below_the_reserved_copies(client, owner_a, held_listing):
    client.force_login(owner_a)

    response = client.post(
        en("admin:catalog_listing_changelist"), changelist_post([held_listing], quantity=1)
    )

    assert response.status_code == 200
    assert "2 copies are reserved by customers&#x27; orders" in response.text
    held_listing.refresh_from_db()
    assert held_listing.quantity == 3


def test_the_stock_list_shows_the_reserved_copies(client, owner_a, held_listing):
    client.force_login(owner_a)
    response = client.get(en("admin:catalog_listing_change", held_listing.pk))
    assert "reserved by orders" in response.text.lower()


def test_the_service_refuses_a_quantity_below_the_reserved_copies(held_listing):
    with pytest.raises(ValidationError):
        services.listing_update_stock(listing=held_listing, quantity=1)
    services.listing_update_stock(listing=held_listing, quantity=2)
    held_listing.refresh_from_db()
    assert (held_listing.quantity, held_listing.available) == (2, 0)


def test_a_till_file_below_the_reserved_copies_keeps_them_and_says_so(shop_a, held_listing):
    plan = apply_csv(shop_a, "EAN;Quantité;Prix TTC\n9782070368228;0;7,50\n")

    [line] = plan.lines
    assert line.action == Action.UPDATE
    assert "2 copies are reserved by customers" in line.message
    held_listing.refresh_from_db()
    assert (held_listing.quantity, held_listing.reserved, held_listing.available) == (2, 2, 0)


def test_a_full_sync_without_the_book_keeps_the_reserved_copies(shop_a, held_listing):
    apply_csv(shop_a, "EAN;Quantité;Prix TTC\n9782070409228;1;8,90\n", full_sync=True)

    held_listing.refresh_from_db()
    assert (held_listing.quantity, held_listing.reserved) == (2, 2)


def test_set_out_of_stock_leaves_the_reserved_copies(held_listing):
    stock.listings_set_out_of_stock(listings=Listing.objects.filter(pk=held_listing.pk))

    held_listing.refresh_from_db()
    assert (held_listing.quantity, held_listing.available) == (2, 0)
