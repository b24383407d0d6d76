"""The back-office dashboard's figures, checked against a fixture computed by hand: shops
in two drives, orders placed, accepted, made ready, collected, expired, refused and
cancelled at known Paris times around the switch to summer time (30 March 2025); the
pages and CSV files that show them; and a number of queries that does not grow with
the network.

Access (who may open which dashboard) is in test_dashboard_access.py.
"""

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from backoffice.dashboard import (
    Period,
    ShopFigures,
    StatusCount,
    Week,
    dashboard_for_shops,
    shop_figures,
)
from backoffice.dashboard_charts import nice_ceiling
from catalog.models import Book, Listing
from orders.models import Order, OrderEvent
from orders.services import (
    order_accept,
    order_cancel,
    order_collect,
    order_expire,
    order_line_mark_unavailable,
    order_mark_ready,
    order_mark_unanswered,
    order_refuse,
)
from shops.models import Shop
from tests.factories import (
    ChainStaffFactory,
    DriveFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    reserve,
)

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
WEEK_1, WEEK_2 = date(2025, 3, 24), date(2025, 3, 31)  # summer time starts Sunday 30 March
PERIOD = Period(first_monday=WEEK_1, weeks=2)  # Monday 24 March to Sunday 6 April 2025


def paris(month, day, hour, minute=0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=PARIS)


def hours(number) -> timedelta:
    return timedelta(hours=number)


def en(name, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def dated_order(
    *lines, placed, accepted=None, unavailable=None, ready=None, collected=None, expired=None,
    refused=None, cancelled=None, unanswered=None,
) -> Order:  # fmt: skip
    """An order placed through the real checkout and moved by the real services, then
    dated (the services stamp "now"). `lines`: (listing, quantity) of one shop;
    `unavailable`: (listing, when) of a line the shop cannot serve once accepted."""
    order = reserve(*lines).orders.get()
    moves = {}
    if accepted:
        moves[Order.Status.ACCEPTED] = accepted
        order_accept(order=order, by=None)
    if unavailable:
        listing, when = unavailable
        order_line_mark_unavailable(line=order.lines.get(listing=listing), by=None, reason="Abîmé")
        OrderEvent.objects.filter(order=order, line__isnull=False).update(created_at=when)
    for status, when, move in [
        (Order.Status.READY, ready, lambda: order_mark_ready(order=order, by=None)),
        (Order.Status.COLLECTED, collected, lambda: order_collect(order=order, by=None)),
        (Order.Status.EXPIRED, expired, lambda: order_expire(order=order)),
        (Order.Status.REFUSED, refused, lambda: order_refuse(order=order, by=None, reason="Épuisé")),
        (Order.Status.CANCELLED, cancelled, lambda: order_cancel(order=order)),
        (Order.Status.UNANSWERED, unanswered, lambda: order_mark_unanswered(order=order)),
    ]:
        if when:
            moves[status] = when
            move()
    Order.objects.filter(pk=order.pk).update(placed_at=placed, ready_at=ready)
    for status, when in moves.items():
        OrderEvent.objects.filter(order=order, to_status=status, line__isnull=True).update(created_at=when)
    return order


@dataclass
class Network:
    drive_x: object
    drive_y: object
    alpha: Shop  # drive X
    bravo: Shop  # drives X and Y
    charlie: Shop  # drive Y, suspended
    delta: Shop  # drive X, pending
    echo: Shop  # no drive
    foxtrot: Shop  # drive Y, rejected


@pytest.fixture
def network() -> Network:
    """The hand-computed fixture. Times are Paris times; weeks run Monday to Sunday.

    order  shop     placed          accepted  ready   ended                      value
    A1     alpha    Tue 25/3 10:00  +1 h      +4 h    collected Thu 27/3          47.50 (2×20 + 7.50)
    A2     alpha    Wed 26/3 09:00  +3 h      +9 h    collected Mon 31/3          20.00 (2×7.50 unavailable)
    A3     alpha    Sun 30/3 23:30  +9 h      +11 h   expired Mon 7/4 (after)
    A4     alpha    Mon 31/3 00:30  –         –       still placed (Sunday 22:30 UTC: week 2 in Paris)
    A5     alpha    Thu 20/3 (before the period)      expired Fri 28/3
    A6     alpha    Mon 7/4 (after the period)
    B1     bravo    Tue 1/4 10:00   +30 min   +2 h    collected Sat 5/4           36.00 (3×12)
    B2     bravo    Wed 2/4 15:00   +2 h      +24 h   expired Sun 6/4 23:00
    B3     bravo    Fri 28/3 09:00  refused
    C1     charlie  Tue 25/3 10:00  +2 h 30   +6 h    collected Wed 2/4           30.00 (2×15)
    E1     echo     Mon 24/3 00:10  cancelled (Sunday 23:10 UTC: week 1 in Paris)
    E2     echo     Sun 23/3 23:50 (before the period)
    """
    drive_x, drive_y = DriveFactory(name="Drive Nord"), DriveFactory(name="Drive Sud")
    alpha = ShopFactory(trade_name="Librairie Alpha", town="Lorient")
    bravo = ShopFactory(trade_name="Librairie Bravo", town="Lanester")
    charlie = ShopFactory(trade_name="Librairie Charlie", town="Quimperlé")
    delta = ShopFactory(trade_name="Librairie Delta", status=Shop.Status.PENDING)
    echo = ShopFactory(trade_name="Librairie Écho")
    foxtrot = ShopFactory(trade_name="Librairie Foxtrot", status=Shop.Status.REJECTED)
    for shop in (alpha, bravo, delta):
        shop.drives.add(drive_x)
    for shop in (bravo, charlie, foxtrot):
        shop.drives.add(drive_y)

    def listing(shop, price="10.00", status=Listing.Status.PUBLISHED):
        return ListingFactory(shop=shop, price=Decimal(price), quantity=50, status=status)

    a1, a2, b1, c1, e1 = (listing(alpha, "20.00"), listing(alpha, "7.50"), listing(bravo, "12.00"),
                          listing(charlie, "15.00"), listing(echo, "9.90"))  # fmt: skip
    listing(alpha, status=Listing.Status.DRAFT)
    listing(alpha, status=Listing.Status.HIDDEN)
    listing(bravo, status=Listing.Status.PENDING)
    listing(charlie, status=Listing.Status.REJECTED)
    listing(delta, status=Listing.Status.DRAFT)

    dated_order(
        (a1, 2),
        a2,
        placed=paris(3, 25, 10),
        accepted=paris(3, 25, 11),
        ready=paris(3, 25, 14),
        collected=paris(3, 27, 17),
    )
    dated_order(
        a1,
        (a2, 2),
        placed=paris(3, 26, 9),
        accepted=paris(3, 26, 12),
        unavailable=(a2, paris(3, 26, 13)),
        ready=paris(3, 26, 18),
        collected=paris(3, 31, 10),
    )
    dated_order(
        a1,
        placed=paris(3, 30, 23, 30),
        accepted=paris(3, 31, 8, 30),
        ready=paris(3, 31, 10, 30),
        expired=paris(4, 7, 19),
    )
    dated_order(a1, placed=paris(3, 31, 0, 30))
    dated_order(
        a1,
        placed=paris(3, 20, 10),
        accepted=paris(3, 20, 11),
        ready=paris(3, 21, 10),
        expired=paris(3, 28, 19),
    )
    dated_order(a1, placed=paris(4, 7, 8))
    dated_order(
        (b1, 3),
        placed=paris(4, 1, 10),
        accepted=paris(4, 1, 10, 30),
        ready=paris(4, 1, 12),
        collected=paris(4, 5, 11),
    )
    dated_order(
        b1, placed=paris(4, 2, 15), accepted=paris(4, 2, 17), ready=paris(4, 3, 15), expired=paris(4, 6, 23)
    )
    dated_order(b1, placed=paris(3, 28, 9), refused=paris(3, 28, 10))
    dated_order(
        (c1, 2),
        placed=paris(3, 25, 10),
        accepted=paris(3, 25, 12, 30),
        ready=paris(3, 25, 16),
        collected=paris(4, 2, 10),
    )
    dated_order(e1, placed=paris(3, 24, 0, 10), cancelled=paris(3, 24, 9))
    dated_order(e1, placed=paris(3, 23, 23, 50))
    # Suspended after its orders (a suspended shop takes no new reservation).
    Shop.objects.filter(pk=charlie.pk).update(status=Shop.Status.SUSPENDED)
    return Network(drive_x, drive_y, alpha, bravo, charlie, delta, echo, foxtrot)


def counts(status_counts: list[StatusCount]) -> dict[str, int]:
    return {row.status: row.count for row in status_counts}


# --- The figures ------------------------------------------------------------------------


def test_the_whole_network_s_figures_match_the_hand_computed_fixture(network):
    dashboard = dashboard_for_shops(shops=Shop.objects.all(), period=PERIOD)

    assert counts(dashboard.shops_by_status) == {"pending": 1, "approved": 3, "rejected": 1, "suspended": 1}
    assert counts(dashboard.listings_by_status) == {
        "draft": 2, "pending": 1, "published": 5, "rejected": 1, "hidden": 1,
    }  # fmt: skip
    assert dashboard.weeks == [
        Week(WEEK_1, reservations=6, collected=1, expired=1, collected_value=Decimal("47.50")),
        Week(WEEK_2, reservations=3, collected=3, expired=1, collected_value=Decimal("86.00")),
    ]
    assert [week.no_show_rate for week in dashboard.weeks] == [1 / 2, 1 / 4]
    assert (dashboard.reservations, dashboard.collected, dashboard.expired) == (9, 4, 2)
    assert dashboard.collected_value == Decimal("133.50")
    assert dashboard.no_show_rate == 2 / 6
    # To accept: 0.5, 1, 2, 2.5, 3, 9 h → (2 + 2.5) / 2. To ready: 2, 4, 6, 9, 11, 24 h → (6 + 9) / 2.
    assert dashboard.median_time_to_accept == hours(2.25)
    assert dashboard.median_time_to_ready == hours(7.5)


def test_sales_kept_local_are_also_told_by_kind_of_product(client, network):
    # Bravo's 12 € title is a board game: its 3 copies collected on Saturday 5 April.
    Book.objects.filter(listings__shop=network.bravo, listings__price=Decimal("12.00")).update(
        kind="board-game"
    )

    dashboard = dashboard_for_shops(shops=Shop.objects.all(), period=PERIOD)
    client.force_login(ChainStaffFactory())
    with translation.override("fr"):
        rows = read_csv(client.get(reverse("dashboard_network"), {"format": "csv", "table": "kinds"}))

    assert [(row.kind, row.name, row.items, row.value) for row in dashboard.sales_by_kind] == [
        ("book", "Livre", 6, Decimal("97.50")),
        ("board-game", "Jeu de société", 3, Decimal("36.00")),
        ("toy", "Jouet", 0, Decimal("0.00")),
    ]
    # The file covers the recent weeks (the fixture's are past): every kind, in the kinds' order.
    assert rows[0] == ["Type de produit", "Articles retirés", "Ventes restées locales (€)",
                       "Premier jour de la période", "Dernier jour de la période"]  # fmt: skip
    assert [row[:3] for row in rows[1:]] == [["Livre", "0", "0.00"], ["Jeu de société", "0", "0.00"],
                                             ["Jouet", "0", "0.00"]]  # fmt: skip


def test_a_drive_s_figures_count_only_the_shops_attached_to_it(network):
    drive_x = dashboard_for_shops(shops=Shop.objects.filter(drives=network.drive_x), period=PERIOD)
    drive_y = dashboard_for_shops(shops=Shop.objects.filter(drives=network.drive_y), period=PERIOD)

    assert counts(drive_x.shops_by_status) == {"pending": 1, "approved": 2, "rejected": 0, "suspended": 0}
    assert counts(drive_x.listings_by_status) == {
        "draft": 2, "pending": 1, "published": 3, "rejected": 0, "hidden": 1,
    }  # fmt: skip
    assert drive_x.weeks == [
        Week(WEEK_1, reservations=4, collected=1, expired=1, collected_value=Decimal("47.50")),
        Week(WEEK_2, reservations=3, collected=2, expired=1, collected_value=Decimal("56.00")),
    ]
    assert drive_x.no_show_rate == 2 / 5
    assert (drive_x.median_time_to_accept, drive_x.median_time_to_ready) == (hours(2), hours(9))

    assert counts(drive_y.shops_by_status) == {"pending": 0, "approved": 1, "rejected": 1, "suspended": 1}
    assert counts(drive_y.listings_by_status) == {
        "draft": 0, "pending": 1, "published": 2, "rejected": 1, "hidden": 0,
    }  # fmt: skip
    assert drive_y.weeks == [
        Week(WEEK_1, reservations=2, collected=0, expired=0, collected_value=Decimal("0.00")),
        Week(WEEK_2, reservations=2, collected=2, expired=1, collected_value=Decimal("66.00")),
    ]
    assert drive_y.weeks[0].no_show_rate is None  # nothing ended that week
    assert drive_y.no_show_rate == 1 / 3
    assert (drive_y.median_time_to_accept, drive_y.median_time_to_ready) == (hours(2), hours(6))


def test_a_shop_repeated_by_the_scope_s_joins_is_counted_once(network):
    # Bravo is attached to both drives: a scope reaching shops through drives lists it twice.
    both_drives = Shop.objects.filter(drives__in=[network.drive_x, network.drive_y])
    assert both_drives.filter(pk=network.bravo.pk).count() == 2

    dashboard = dashboard_for_shops(shops=both_drives, period=PERIOD)

    assert counts(dashboard.shops_by_status)["approved"] == 2  # alpha and bravo
    assert [week.reservations for week in dashboard.weeks] == [5, 3]
    assert [len(shop_figures(shops=both_drives, period=PERIOD))] == [5]


def test_nothing_to_measure_gives_zeros_and_no_rates(network):
    empty = Period(first_monday=date(2024, 1, 1), weeks=1)

    dashboard = dashboard_for_shops(shops=Shop.objects.all(), period=empty)

    assert dashboard.weeks == [Week(date(2024, 1, 1), 0, 0, 0, Decimal("0.00"))]
    assert dashboard.no_show_rate is None
    assert (dashboard.median_time_to_accept, dashboard.median_time_to_ready) == (None, None)


def test_the_shop_by_shop_table_of_a_drive(network):
    rows = shop_figures(shops=Shop.objects.filter(drives=network.drive_x), period=PERIOD)

    assert rows == [
        ShopFigures(network.alpha.pk, "Librairie Alpha", "Lorient", "approved", published_listings=2,
                    reservations=4, collected=2, expired=1, collected_value=Decimal("67.50"), unanswered=0),
        ShopFigures(network.bravo.pk, "Librairie Bravo", "Lanester", "approved", published_listings=1,
                    reservations=3, collected=1, expired=1, collected_value=Decimal("36.00"), unanswered=0),
        ShopFigures(network.delta.pk, "Librairie Delta", "Lorient", "pending", published_listings=0,
                    reservations=0, collected=0, expired=0, collected_value=Decimal("0.00"), unanswered=0),
    ]  # fmt: skip
    assert [row.no_show_rate for row in rows] == [1 / 3, 1 / 2, None]


def test_the_number_of_queries_does_not_grow_with_the_network(network):
    def queries_for_the_network() -> int:
        with CaptureQueriesContext(connection) as queries:
            dashboard_for_shops(shops=Shop.objects.all(), period=PERIOD)
            shop_figures(shops=Shop.objects.all(), period=PERIOD)
        return len(queries)

    before = queries_for_the_network()
    for number in range(4):
        shop = ShopFactory()
        shop.drives.add(network.drive_x)
        book = ListingFactory(shop=shop, quantity=50)
        dated_order(book, placed=paris(3, 25, 10), accepted=paris(3, 25, 11), ready=paris(3, 25, 12),
                    collected=paris(3, 26, 10 + number))  # fmt: skip
        dated_order(book, placed=paris(4, 1, 10))

    assert queries_for_the_network() == before == 11  # 4 of them: the second chances (issue 20)


def test_a_page_s_number_of_queries_does_not_grow_with_the_network(client, network):
    client.force_login(ChainStaffFactory())
    client.get(en("dashboard_network"))  # the session and the admin's menu, once

    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(en("dashboard_network")).status_code == 200
        return len(queries)

    before = queries_for_the_page()
    for _number in range(4):
        shop = ShopFactory()
        shop.drives.add(network.drive_x)
        dated_order(ListingFactory(shop=shop, quantity=50), placed=datetime.now(PARIS) - hours(30))

    assert queries_for_the_page() == before


# --- The pages ----------------------------------------------------------------------------


@pytest.fixture
def recent():
    """Orders of drive X in the current period (the page always shows the recent weeks):
    in its fifth week, which stays inside even if the week turns during the test."""
    period = Period.recent()
    monday = period.first_monday + timedelta(weeks=4)

    def at(days, hour):
        return datetime.combine(monday + timedelta(days=days), datetime.min.time(), PARIS) + hours(hour)

    drive = DriveFactory(name="Drive Nord", slug="drive-nord")
    shop = ShopFactory(trade_name="Librairie Alpha", town="Lorient")
    shop.drives.add(drive)
    elsewhere = ShopFactory(trade_name="Librairie Ailleurs")
    book = ListingFactory(shop=shop, price=Decimal("1234.50"), quantity=50)
    dated_order((book, 2), placed=at(0, 10), accepted=at(0, 11), ready=at(0, 13), collected=at(2, 17))
    dated_order(book, placed=at(1, 10), accepted=at(1, 10.5), ready=at(1, 12), expired=at(5, 18))
    dated_order(ListingFactory(shop=elsewhere), placed=at(1, 10))
    return {"monday": monday, "drive": drive, "shop": shop}


def test_a_drive_s_page_shows_its_figures_charts_and_table(client, recent):
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard_drive", "drive-nord"))

    assert response.status_code == 200
    page = response.text
    assert "<h1>Dashboard — Drive Nord</h1>" in page
    figures = {label: value for label, value, _explanation in response.context["figures"]}
    assert figures == {
        "Reservations": "2",
        "Orders collected": "1",
        "Sales kept local": "2,469.00\u00a0€",
        "No-show rate": "50.0\u00a0%",
        "Median time to accept": "45 min",
        "Median time to ready": "2.5 h",
        "Late answers": "0",
        # When the shelf said no (tests/marketplace/test_dashboard_second_chances.py).
        "Reserved elsewhere after a no": "0",
        "Ordered for customers": "0",
        "Stock alerts sent": "0",
        "Alerts turned into reservations": "0",
        "Alerts waiting": "0",
    }
    # Two SVG charts, named for screen readers, no script.
    charts = re.findall(r'<figure class="dashboard-chart">.*?</figure>', page, flags=re.DOTALL)
    assert len(charts) == 2
    assert 'aria-labelledby="chart-reservations-title"' in page
    assert '<title id="chart-sales-title">Sales kept local per week (collected orders, €)</title>' in page
    assert "<script" not in page.split('id="content-main"')[1]
    # The same numbers in the table under the charts.
    week = next(row for row in response.context["weeks"] if row["monday"] == recent["monday"])
    assert week == {"monday": recent["monday"], "reservations": 2, "collected": 1,
                    "collected_value": "2,469.00\u00a0€", "expired": 1, "no_show_rate": "50.0\u00a0%",
                    "unanswered": 0}  # fmt: skip
    assert [row["trade_name"] for row in response.context["shop_rows"]] == ["Librairie Alpha"]
    assert reverse("dashboard_shop", args=[recent["shop"].pk]) in page


def test_a_bookseller_s_report_shows_their_shop_s_figures(client, recent):
    owner = MembershipFactory(shop=recent["shop"]).user
    client.force_login(owner)

    response = client.get(en("dashboard_shop", recent["shop"].pk))

    assert "<h1>Report — Librairie Alpha</h1>" in response.text
    figures = {label: value for label, value, _explanation in response.context["figures"]}
    assert (figures["Reservations"], figures["Sales kept local"]) == ("2", "2,469.00\u00a0€")
    assert "Shop in Lorient, status: Approved." in response.text
    assert response.context["shop_rows"] is None
    assert "Shops by status" not in response.text


def test_the_charts_stay_readable_in_french(client, recent):
    # French writes 12,5: SVG coordinates must keep their dot.
    client.force_login(ChainStaffFactory())

    page = client.get(reverse("dashboard_drive", args=["drive-nord"])).text

    charts = "".join(re.findall(r'<figure class="dashboard-chart">.*?</figure>', page, flags=re.DOTALL))
    coordinates = re.findall(r' (?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', charts)
    assert len(coordinates) > 50
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", value) for value in coordinates)
    assert "2\u00a0469,00\u00a0€" in page  # the table, in French


def read_csv(response) -> list[list[str]]:
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")  # Excel reads the accents right
    return list(csv.reader(io.StringIO(content[1:])))


def test_the_shops_csv_of_a_drive(client, recent):
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard_drive", "drive-nord"), {"format": "csv", "table": "shops"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    period = Period.recent()
    today = datetime.now(PARIS).date().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="dashboard-drive-drive-nord-shops-{today}.csv"'
    )
    assert read_csv(response) == [
        ["Shop", "Town", "Status", "Published listings", "Reservations", "Orders collected",
         "Sales kept local (€)", "Orders expired", "No-show rate", "Late answers", "First day of the period",
         "Last day of the period"],
        ["Librairie Alpha", "Lorient", "Approved", "1", "2", "1", "2469.00", "1", "0.5000", "0",
         period.first_monday.isoformat(), period.last_day.isoformat()],
    ]  # fmt: skip


def test_a_shop_name_cannot_smuggle_a_formula_into_the_spreadsheet(client, recent):
    recent["shop"].trade_name = '=HYPERLINK("http://evil.example","Alpha")'
    recent["shop"].save()
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard_drive", "drive-nord"), {"format": "csv"})

    assert read_csv(response)[1][0] == '\'=HYPERLINK("http://evil.example","Alpha")'


def test_the_weeks_csv_of_a_shop(client, recent):
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard_shop", recent["shop"].pk), {"format": "csv", "table": "weeks"})

    rows = read_csv(response)
    assert rows[0] == ["Week of", "Reservations", "Orders collected", "Sales kept local (€)", "Orders expired",
                       "No-show rate", "Late answers"]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [monday.isoformat() for monday in Period.recent().mondays]
    assert [recent["monday"].isoformat(), "2", "1", "2469.00", "1", "0.5000", "0"] in rows
    assert rows[1][1:] == ["0", "0", "0.00", "0", "", "0"]  # a quiet week: no rate rather than 0


def test_orders_a_shop_let_pass_their_answer_deadline_count_as_late_answers(client, network):
    # given two orders of Alpha (drive X) nobody answered, in the second week
    book = ListingFactory(shop=network.alpha, quantity=50)
    for day in (1, 3):
        dated_order(book, placed=paris(4, day, 9), unanswered=paris(4, day + 1, 19))

    # then they count on the shop's row, the drive's weeks and the network's total,
    drive_x = dashboard_for_shops(shops=Shop.objects.filter(drives=network.drive_x), period=PERIOD)
    rows = {row.trade_name: row for row in shop_figures(shops=Shop.objects.all(), period=PERIOD)}
    assert [week.unanswered for week in drive_x.weeks] == [0, 2]
    assert (rows["Librairie Alpha"].unanswered, rows["Librairie Bravo"].unanswered) == (2, 0)
    # and not as no-shows: the customer never had the books to collect
    assert drive_x.no_show_rate == 2 / 5
    assert drive_x.unanswered == 2


def test_an_unknown_csv_table_is_not_found(client, recent):
    client.force_login(ChainStaffFactory())

    response = client.get(en("dashboard_network"), {"format": "csv", "table": "passwords"})

    assert response.status_code == 404


def test_the_chart_scale_is_round():
    assert [nice_ceiling(value) for value in [0, 3, 5, 13, Decimal("87.50"), 130, 1000]] == [
        4, 4, 8, 20, 100, 200, 1000,
    ]  # fmt: skip
