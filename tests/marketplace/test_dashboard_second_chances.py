"""The dashboards count what came of the shelves' "no" (issue 20): reservations made
elsewhere after one, books ordered for customers, stock alerts sent and turned into
reservations, and the alerts waiting per drive for head office."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from backoffice.dashboard import Period, second_chances
from catalog import alerts
from catalog.models import StockAlert
from orders.models import Order
from orders.services import CartLine, checkout_place, distributor_order_place, order_refuse
from shops.models import Shop
from tests.factories import (
    BookFactory,
    ChainStaffFactory,
    DriveFactory,
    ListingFactory,
    ShopFactory,
    customer_details,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    drive = DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.75, longitude=-3.37)
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37, takes_orders=True)
    mots = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.76, longitude=-3.355)
    for shop in (port, mots):
        shop.drives.add(drive)
    return {"drive": drive, "port": port, "mots": mots}


def test_each_second_chance_is_counted_for_the_shop_that_said_no_or_served(town):
    port, mots = town["port"], town["mots"]
    book = BookFactory(list_price=Decimal("12.00"))
    at_port, at_mots = ListingFactory(shop=port, book=book), ListingFactory(shop=mots, book=book)

    # Port refuses; the customer reserves at Mots from the refused order's page.
    refused = checkout_place(key="a", lines=[CartLine(at_port.pk, 1)], customer=customer_details(), client="",
                             drive_id=town["drive"].pk).orders.get()  # fmt: skip
    order_refuse(order=refused, by=None, reason="Abîmé.")
    checkout_place(key="b", lines=[CartLine(at_mots.pk, 1)], customer=customer_details(), client="",
                   instead_of=refused)  # fmt: skip
    # A book nobody had, asked from Port.
    distributor_order_place(key="c", shop_id=port.pk, book_id=BookFactory(list_price=Decimal("9.00")).pk,
                            quantity=1, customer=customer_details(email="d@example.fr", phone="+33611111111"),
                            client="")  # fmt: skip
    # Two alerts on a third book: Mots lists it, both are sent, one reader reserves it.
    wanted = BookFactory()
    for email in ("reader@example.fr", "other@example.fr"):
        alerts.alert_request(book=wanted, drive_id=town["drive"].pk, email=email, language="fr", client="")
        alerts.alert_confirm(alert=StockAlert.objects.get(email=email))
    ListingFactory(shop=mots, book=wanted, quantity=5)
    alerts.alerts_send()
    checkout_place(key="d", lines=[CartLine(mots.listings.get(book=wanted).pk, 1)],
                   customer=customer_details(email="Reader@example.fr", phone="+33622222222"), client="")  # fmt: skip
    # And one still waiting.
    alerts.alert_request(
        book=BookFactory(), drive_id=town["drive"].pk, email="w@example.fr", language="fr", client=""
    )
    alerts.alert_confirm(alert=StockAlert.objects.get(email="w@example.fr"))

    period = Period.recent()
    at = lambda shop: second_chances(shops=Shop.objects.filter(pk=shop.pk), period=period)  # noqa: E731
    assert (at(port).reserved_elsewhere, at(mots).reserved_elsewhere) == (1, 0)
    assert (at(port).ordered_for_customers, at(mots).ordered_for_customers) == (1, 0)
    assert (at(mots).alerts_sent, at(mots).alerts_reserved) == (2, 1)
    assert at(port).alerts_sent == 0
    everything = second_chances(shops=Shop.objects.all(), period=period)
    assert everything.alerts_waiting == 1
    assert Order.objects.filter(checkout__instead_of=refused).count() == 1


def test_head_office_sees_the_figures_and_the_alerts_waiting_by_drive(town, client):
    book = BookFactory()
    alerts.alert_request(book=book, drive_id=town["drive"].pk, email="w@example.fr", language="en", client="")
    alerts.alert_confirm(alert=StockAlert.objects.get())
    client.force_login(ChainStaffFactory())
    with translation.override("en"):
        page = client.get(reverse("dashboard_network")).text
    for label in ("Reserved elsewhere after a no", "Ordered for customers", "Stock alerts sent",
                  "Alerts turned into reservations", "Stock alerts waiting, by drive"):  # fmt: skip
        assert label in page
    assert "Drive Lorient" in page


def test_an_alert_read_long_before_the_reservation_does_not_count(town):
    book = BookFactory()
    alerts.alert_request(
        book=book, drive_id=town["drive"].pk, email="late@example.fr", language="fr", client=""
    )
    alerts.alert_confirm(alert=StockAlert.objects.get())
    listing = ListingFactory(shop=town["mots"], book=book)
    alerts.alerts_send()
    StockAlert.objects.update(sent_at=timezone.now() - timedelta(days=20))
    checkout_place(key="late", lines=[CartLine(listing.pk, 1)],
                   customer=customer_details(email="late@example.fr"), client="")  # fmt: skip
    chances = second_chances(shops=Shop.objects.all(), period=Period.recent())
    assert (chances.alerts_sent, chances.alerts_reserved) == (1, 0)
