"""marketplace/raw_rows.py: rows of a hand-written SELECT read back into the instances the
ORM would give (the book page's book and offers, a checkout's listings)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Book, Listing
from catalog.selectors import book_by_ean, offers_near
from marketplace.raw_rows import ModelColumns
from shops.selectors import NearbyShop
from tests.factories import BookFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db


def read(columns: ModelColumns, table: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.sql} FROM {table} book WHERE book.id = %s", [pk])
        return columns.instance(cursor.fetchone())


def field_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_row_gives_the_same_instance_as_the_orm_json_dates_and_decimals_converted():
    book = BookFactory(
        contributors=[{"name": "Anne Pauly", "role": "author"}],
        attributes={"format": "CD", "players": "2-4"},
        publication_date=date(2019, 8, 22),
        list_price=Decimal("18.50"),
        page_count=160,
    )

    from_row = read(ModelColumns(Book, "book"), Book._meta.db_table, book.pk)

    assert field_values(from_row) == field_values(Book.objects.get(pk=book.pk))
    assert from_row.contributors[0]["name"] == "Anne Pauly"
    assert from_row.list_price == Decimal("18.50")
    assert not from_row._state.adding  # saved like any instance read from the database


def test_columns_left_out_are_deferred_and_read_when_asked_for():
    book = BookFactory(title="Ta Mère")
    columns = ModelColumns(Book, "book", only={"id", "ean", "title"})

    from_row = read(columns, Book._meta.db_table, book.pk)

    assert from_row.get_deferred_fields() >= {"publisher", "search_vector"}
    assert from_row.title == "Ta Mère"
    assert from_row.publisher == "Éditions du Port"  # one more query, as with .only()


def test_the_book_page_reads_its_book_without_its_search_columns():
    book = BookFactory(title="Le Horla")
    found = book_by_ean(book.ean)

    assert found.pk == book.pk
    assert found.title == "Le Horla"
    assert {"search_vector", "shop_ids"} <= found.get_deferred_fields()
    assert book_by_ean("9780000000002") is None


def test_offers_come_with_their_shops_hours_in_one_statement(django_assert_num_queries):
    near, middle, far = ShopFactory(), ShopFactory(), ShopFactory()
    book = BookFactory()
    cheaper_far = ListingFactory(shop=far, book=book, price=Decimal("15.00"))
    ListingFactory(shop=middle, book=book, status=Listing.Status.DRAFT)  # not published
    ListingFactory(
        shop=near, book=book, condition=Listing.Condition.USED_GOOD, quantity=1, reserved=1
    )  # none left
    at_near = ListingFactory(shop=near, book=book)
    shops = [NearbyShop(shop.pk, shop.trade_name, shop.slug, shop.town, km)
             for shop, km in ((near, 1.0), (middle, 4.0), (far, 9.0))]  # fmt: skip

    with django_assert_num_queries(1):
        offers = offers_near(book=book, shops=shops, with_opening_hours=True)
        shop = offers[0].shop_with_hours
        assert (shop.preparation_hours, shop.holiday_starts_on) == (near.preparation_hours, None)

    assert [offer.listing.pk for offer in offers] == [at_near.pk, cheaper_far.pk]  # nearest shop first
    assert offers[1].listing.price == Decimal("15.00")
    assert not offers[1].is_last_copy


def test_offers_equally_near_and_dear_keep_the_listings_order_most_recently_updated_first():
    shop, book = ShopFactory(), BookFactory()
    new = ListingFactory(shop=shop, book=book, price=Decimal("12.00"))
    used = ListingFactory(shop=shop, book=book, price=Decimal("12.00"), condition=Listing.Condition.USED_GOOD)
    around = [NearbyShop(shop.pk, shop.trade_name, shop.slug, shop.town, 2.0)]

    first = [offer.listing.pk for offer in offers_near(book=book, shops=around)]
    new.quantity = 5
    new.save()
    then = [offer.listing.pk for offer in offers_near(book=book, shops=around)]

    assert first == [used.pk, new.pk]
    assert then == [new.pk, used.pk]
