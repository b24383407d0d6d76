"""What the shops' side sees of a customer (issue 21): their name, email and phone while
the order is open and SHOPS_SEE_CUSTOMER_DETAILS_DAYS after it closed, then the order's
reference only, in the bookseller space (list, search, order page) and the shops' API;
head office until the details are erased; nobody after. The dashboards' exports never
hold them. And the trigger that dates an order's closing, which the period counts from."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services
from orders.models import Order
from orders.selectors import user_may_see_customer_details
from tests.factories import ChainStaffFactory, DriveFactory, DriveStaffFactory, api_key_for
from tests.orders.test_admin import en, place
from tests.orders.test_api import order_in, shop_order_url

pytestmark = pytest.mark.django_db

# A customer nobody else in the tests is called, so that their absence means something.
GWENOLA = {"name": "Gwenola Kerhervé", "email": "gwenola.kerherve@example.bzh", "phone": "+33698765432"}
# Every way a page or a file could write them.
GWENOLA_TRACES = ["Gwenola", "Kerherv", "gwenola.kerherve", "698765432", "98 76 54 32"]
HIDDEN_NOTE = "Customer details are no longer shown (kept 30 days after the order closed)."


def gwenolas_order(shop, *, closed_days_ago: int | None = None) -> Order:
    """Gwenola's order at `shop`: open, or refused (through the service) that many days ago."""
    order = place(shop, **GWENOLA)
    if closed_days_ago is not None:
        services.order_refuse(order=order, by=None, reason="Épuisé")
        Order.objects.filter(pk=order.pk).update(closed_at=timezone.now() - timedelta(days=closed_days_ago))
    order.refresh_from_db()
    return order


def erase_customer(order: Order) -> None:
    """What the retention job (privacy/) leaves of the customer."""
    Order.objects.filter(pk=order.pk).update(
        customer_name="", customer_email="", customer_phone="", anonymised_at=timezone.now()
    )


@pytest.fixture
def drive_staff_a(shop_a):
    """Staff of a drive shop A is attached to."""
    drive = DriveFactory()
    shop_a.drives.add(drive)
    return DriveStaffFactory(drives=[drive])


def shows_gwenola(text: str) -> bool:
    return any(trace in text for trace in GWENOLA_TRACES)


def what_the_bookseller_space_shows(client, user, order: Order) -> dict:
    """What `user` reads about Gwenola's order on the list, on its page, and which of the
    list's searches find it."""
    client.force_login(user)
    changelist = en("admin:orders_order_changelist")

    def found(term: str) -> bool:
        return order.pk in {row.pk for row in client.get(changelist, {"q": term}).context["cl"].result_list}

    listed = client.get(changelist)
    page = client.get(en("admin:orders_order_change", order.pk))
    assert (listed.status_code, page.status_code) == (200, 200)
    # The reference, always.
    assert order.reference in listed.text
    assert order.reference in page.text
    return {
        "list": shows_gwenola(listed.text),
        "page": shows_gwenola(page.text),
        "found by name": found("kerhervé"),
        "found by email": found("gwenola.kerherve@example"),
        "found by reference": found(order.reference.lower()),
        "note": HIDDEN_NOTE in page.text,
    }


SEES = {"list": True, "page": True, "found by name": True, "found by email": True, "found by reference": True,
        "note": False}  # fmt: skip
SEES_THE_REFERENCE_ONLY = {"list": False, "page": False, "found by name": False, "found by email": False,
                           "found by reference": True, "note": True}  # fmt: skip


def what_the_api_shows(client, shop, order: Order):
    """The `customer` of Gwenola's order, in the shop's list and on the order's own address."""
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key_for(shop)}", "HTTP_ACCEPT_LANGUAGE": "en"}
    listed = client.get("/api/v1/shop/orders/", **auth)
    alone = client.get(shop_order_url(order.reference), **auth)
    assert (listed.status_code, alone.status_code) == (200, 200)
    [in_list] = [row["customer"] for row in listed.json()["results"] if row["reference"] == order.reference]
    assert in_list == alone.json()["customer"]
    return in_list


# --- Shops and their drives' staff: open, then the period after closing -----------------


@pytest.mark.parametrize("who", ["owner_a", "colleague_a", "drive_staff_a"])
@pytest.mark.parametrize(
    ("closed_days_ago", "expected"),
    [(None, SEES), (29, SEES), (31, SEES_THE_REFERENCE_ONLY)],
    ids=["open", "closed-29-days-ago", "closed-31-days-ago"],
)
def test_the_shops_side_sees_the_customer_while_open_and_for_the_period_after(
    client, request, shop_a, who, closed_days_ago, expected
):
    order = gwenolas_order(shop_a, closed_days_ago=closed_days_ago)
    user = request.getfixturevalue(who)

    assert what_the_bookseller_space_shows(client, user, order) == expected
    assert user_may_see_customer_details(user, order) is expected["page"]


@pytest.mark.parametrize(
    ("closed_days_ago", "sees"), [(None, True), (29, True), (31, False)], ids=["open", "29-days", "31-days"]
)
def test_the_shops_api_key_sees_the_customer_for_the_same_period(client, shop_a, closed_days_ago, sees):
    order = gwenolas_order(shop_a, closed_days_ago=closed_days_ago)

    customer = what_the_api_shows(client, shop_a, order)

    if sees:
        assert customer == {"name": GWENOLA["name"], "email": GWENOLA["email"], "phone": GWENOLA["phone"],
                            "language": "fr"}  # fmt: skip
    else:
        assert customer is None


def test_the_period_is_a_setting(client, settings, owner_a, shop_a):
    settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS = 7
    order = gwenolas_order(shop_a, closed_days_ago=8)
    client.force_login(owner_a)

    page = client.get(en("admin:orders_order_change", order.pk))

    assert not shows_gwenola(page.text)
    assert "Customer details are no longer shown (kept 7 days after the order closed)." in page.text
    assert what_the_api_shows(client, shop_a, order) is None


def test_the_list_says_why_the_customer_is_not_shown_and_sorts_without_betraying_them(
    client, owner_a, shop_a
):
    old = gwenolas_order(shop_a, closed_days_ago=31)
    # Names that would sort before and after Gwenola's.
    place(shop_a, name="Aziliz Abgrall", email="aziliz@example.fr")
    place(shop_a, name="Zoé Zadig", email="zoe@example.fr")
    client.force_login(owner_a)

    by_customer = client.get(en("admin:orders_order_changelist"), {"o": "3"})  # the customer column

    assert f'title="{HIDDEN_NOTE}">not shown</span>' in by_customer.text
    rows = [row.pk for row in by_customer.context["cl"].result_list]
    assert rows[0] == old.pk  # with the names it may not show, not between Abgrall and Zadig


def test_the_history_names_the_customer_only_while_they_are_shown(client, owner_a, shop_a):
    order = gwenolas_order(shop_a)
    services.order_cancel(order=order)  # the customer's own move
    client.force_login(owner_a)
    page = en("admin:orders_order_change", order.pk)

    assert "Customer · Gwenola Kerhervé" in client.get(page).text
    Order.objects.filter(pk=order.pk).update(closed_at=timezone.now() - timedelta(days=31))
    assert not shows_gwenola(client.get(page).text)


def test_another_shops_bookseller_never_sees_the_customer(client, outsider, shop_a):
    order = gwenolas_order(shop_a)
    client.force_login(outsider)

    assert client.get(en("admin:orders_order_change", order.pk)).status_code == 404
    assert not client.get(en("admin:orders_order_changelist"), {"q": "kerhervé"}).context["cl"].result_list
    assert user_may_see_customer_details(outsider, order) is False


# --- Head office: until the details are erased ------------------------------------------


@pytest.mark.parametrize("closed_days_ago", [None, 31, 400])
def test_head_office_sees_the_customer_until_the_details_are_erased(client, shop_a, closed_days_ago):
    order = gwenolas_order(shop_a, closed_days_ago=closed_days_ago)
    head_office = ChainStaffFactory()

    assert what_the_bookseller_space_shows(client, head_office, order) == SEES
    assert user_may_see_customer_details(head_office, order) is True


# --- Nobody once they are erased ------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_a", "drive_staff_a", "head_office"])
def test_nobody_sees_the_customer_once_the_details_are_erased(client, request, shop_a, who):
    order = gwenolas_order(shop_a, closed_days_ago=2)
    erase_customer(order)
    user = ChainStaffFactory() if who == "head_office" else request.getfixturevalue(who)

    shown = what_the_bookseller_space_shows(client, user, order)

    assert shown == SEES_THE_REFERENCE_ONLY | {"note": False}  # another note:
    page = client.get(en("admin:orders_order_change", order.pk)).text
    assert "The customer&#x27;s details were erased." in page
    assert 'href="mailto:' not in page
    assert user_may_see_customer_details(user, order) is False


def test_the_api_answers_null_not_an_error_for_an_erased_customer(client, shop_a):
    order = gwenolas_order(shop_a, closed_days_ago=2)
    erase_customer(order)

    assert what_the_api_shows(client, shop_a, order) is None


def test_the_schema_says_when_the_customer_is_null(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    customer = schema["components"]["schemas"]["ShopOrder"]["properties"]["customer"]

    assert customer["nullable"] is True
    assert "Null once the shop no longer sees it: 30 days after the order closed" in customer["description"]


# --- Exports never hold them --------------------------------------------------------------


def test_no_dashboard_export_holds_a_customers_details(client, shop_a, owner_a, drive_staff_a):
    collected = gwenolas_order(shop_a)
    for move in (services.order_accept, services.order_mark_ready, services.order_collect):
        collected = move(order=collected, by=None)
    gwenolas_order(shop_a, closed_days_ago=2)
    gwenolas_order(shop_a)
    pages = [
        (ChainStaffFactory(), en("dashboard_network")),
        (drive_staff_a, en("dashboard_drive", shop_a.drives.get().slug)),
        (owner_a, en("dashboard_shop", shop_a.pk)),
    ]

    files = 0
    for user, page in pages:
        client.force_login(user)
        for table in ("shops", "weeks", "kinds"):
            response = client.get(page, {"format": "csv", "table": table})
            assert response["Content-Type"] == "text/csv; charset=utf-8"
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
            assert rows, (page, table)
            assert not shows_gwenola(response.content.decode("utf-8-sig")), (page, table)
            files += 1

    assert files == 9


# --- When an order closed: stamped by the database, whatever closes it -------------------


# Each closed status: the open status its service closes, and the service.
CLOSING = {
    Order.Status.COLLECTED: (Order.Status.READY, lambda order: services.order_collect(order=order, by=None)),
    Order.Status.REFUSED: (
        Order.Status.PLACED,
        lambda order: services.order_refuse(order=order, by=None, reason="Épuisé"),
    ),
    Order.Status.CANCELLED: (Order.Status.ACCEPTED, lambda order: services.order_cancel(order=order)),
    Order.Status.EXPIRED: (Order.Status.READY, lambda order: services.order_expire(order=order)),
    Order.Status.UNANSWERED: (Order.Status.PLACED, lambda order: services.order_mark_unanswered(order=order)),
}


def was_just_stamped(order: Order) -> bool:
    # The trigger writes the transaction's now(): the test's transaction began a moment ago.
    order.refresh_from_db(fields=["closed_at"])
    return order.closed_at is not None and timezone.now() - order.closed_at < timedelta(minutes=5)


@pytest.mark.parametrize("status", list(CLOSING))
def test_closing_an_order_through_its_service_stamps_when(shop_a, status):
    open_status, close = CLOSING[status]
    order = order_in(open_status, shop_a)
    assert order.closed_at is None

    close(order)

    assert was_just_stamped(order)


@pytest.mark.parametrize("status", list(CLOSING))
def test_a_bulk_update_closing_orders_stamps_them_too(shop_a, status):
    open_status, _service = CLOSING[status]
    orders = [order_in(open_status, shop_a) for _ in range(2)]

    Order.objects.filter(pk__in=[order.pk for order in orders]).update(status=status)

    assert all(was_just_stamped(order) for order in orders)


@pytest.mark.parametrize("status", [Order.Status.PLACED, Order.Status.ACCEPTED, Order.Status.READY])
def test_an_open_order_has_no_closing_date(shop_a, status):
    assert order_in(status, shop_a).closed_at is None


def test_an_order_ordered_from_the_distributor_is_still_open(shop_a):
    order = order_in(Order.Status.ACCEPTED, shop_a)

    Order.objects.filter(pk=order.pk).update(status=Order.Status.ORDERED)

    order.refresh_from_db()
    assert order.closed_at is None


def test_a_closed_order_keeps_the_day_it_first_closed(shop_a):
    order = order_in(Order.Status.REFUSED, shop_a)
    first = timezone.now() - timedelta(days=10)
    Order.objects.filter(pk=order.pk).update(closed_at=first)

    Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)

    order.refresh_from_db()
    assert order.closed_at == first


def test_the_shops_own_words_about_the_customer_go_with_the_details(client, owner_a, shop_a):
    """A refusal's reason or a note may quote the customer: past the period, the API and
    the order's page show neither."""
    order = place(shop_a, **GWENOLA)
    services.order_refuse(order=order, by=None, reason="Gwenola Kerhervé a appelé au 06 98 76 54 32")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key_for(shop_a)}", "HTTP_ACCEPT_LANGUAGE": "en"}
    assert shows_gwenola(client.get(shop_order_url(order.reference), **auth).text)

    Order.objects.filter(pk=order.pk).update(closed_at=timezone.now() - timedelta(days=31))
    api = client.get(shop_order_url(order.reference), **auth)
    client.force_login(owner_a)
    page = client.get(en("admin:orders_order_change", order.pk))

    assert api.json()["refusal_reason"] == ""
    assert not shows_gwenola(api.text)
    assert not shows_gwenola(page.text)
