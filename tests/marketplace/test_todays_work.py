"""The back office's home page shows a bookseller the work of the day (issue 19)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from backoffice.todays_work import todays_work
from catalog.models import Listing
from orders.services import order_accept, order_mark_ready
from tests.factories import ChainStaffFactory, ListingFactory, MembershipFactory, ShopFactory, reserve

pytestmark = pytest.mark.django_db


@pytest.fixture
def bookseller_with_work():
    shop = ShopFactory(trade_name="Librairie du Port")
    owner = MembershipFactory(shop=shop).user
    listings = [ListingFactory(shop=shop, price=Decimal("9.90"), quantity=5) for _ in range(3)]
    first, second = (reserve(listing).orders.get() for listing in listings[:2])
    ready = reserve(listings[2]).orders.get()
    order_accept(order=ready, by=owner)
    order_mark_ready(order=ready, by=owner)
    ListingFactory(shop=shop, status=Listing.Status.PENDING)
    ListingFactory(shop=shop, status=Listing.Status.REJECTED)
    return owner, shop, (first, second), ready


def test_a_bookseller_sees_the_orders_to_accept_and_to_hand_over_and_the_listings_held(
    client, bookseller_with_work
):
    owner, _shop, to_accept, ready = bookseller_with_work
    client.force_login(owner)

    with translation.override("fr"):
        home = client.get("/admin/")

    work = home.context["work"]
    assert [order.pk for order in work.to_accept] == sorted(
        (order.pk for order in to_accept), key=lambda pk: pk
    )
    assert (work.to_accept_count, work.waiting_count, work.held_listings, work.rejected_listings) == (
        2,
        1,
        1,
        1,
    )
    assert "2 commandes à accepter" in home.text
    assert ready.reference in home.text
    assert "1 commande mise de côté, qui attend son client" in home.text
    assert "Nothing waits" not in home.text


def test_a_stock_not_updated_for_two_weeks_is_pointed_out(bookseller_with_work):
    owner, shop, _to_accept, _ready = bookseller_with_work
    Listing.objects.filter(shop=shop).update(updated_at=timezone.now() - timedelta(days=20))

    work = todays_work(user=owner)

    assert [stale.shop for stale in work.stale_stock] == [shop]


def test_the_work_of_the_day_costs_the_same_queries_for_few_or_many_orders(bookseller_with_work):
    owner, shop, _to_accept, _ready = bookseller_with_work

    with CaptureQueriesContext(connection) as few:
        todays_work(user=owner)
    for _ in range(10):
        reserve(ListingFactory(shop=shop, quantity=2))
    with CaptureQueriesContext(connection) as many:
        work = todays_work(user=owner)

    assert len(many) == len(few) <= 8
    assert (len(work.to_accept), work.to_accept_count) == (8, 12)


def test_head_office_has_no_work_of_the_day_block(client):
    client.force_login(ChainStaffFactory())

    home = client.get("/admin/")

    assert home.context["work"] is None
