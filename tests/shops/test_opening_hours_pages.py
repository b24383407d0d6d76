"""Opening hours in the admin (booksellers edit their own shop's), on the shop page and on
the book page. Actors: the owner and a colleague of shop A, the owner of shop B."""

import itertools
from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from devtools import datagen
from shops.models import Closure, Membership, OpeningPeriod, Shop, Weekday
from tests.factories import (
    BookFactory,
    BooksellerFactory,
    ChainStaffFactory,
    DriveFactory,
    ListingFactory,
    ShopFactory,
)
from tests.orders.admin_helpers import bookseller_logs_in
from tests.shops.hours_helpers import (
    BOOKSHOP_WEEK,
    admin_form_data,
    clock_at,
    give_hours,
    new_rows,
    paris,
)

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def change_url(shop):
    return en("admin:shops_shop_change", shop.pk)


def hours_of(shop):
    return [
        (Weekday(period.weekday).name, f"{period.opens:%H:%M}", f"{period.closes:%H:%M}")
        for period in OpeningPeriod.objects.filter(shop=shop).order_by("weekday", "opens")
    ]


# --- The admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
def test_a_bookseller_sets_their_shops_hours_closures_and_holiday(client, request, who, shop_a):
    client.force_login(request.getfixturevalue(who))
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a),
        admin_form_data(
            page,
            preparation_hours="3",
            holding_days="10",
            holiday_starts_on="2027-08-02",
            holiday_ends_on="2027-08-22",
            holiday_message="Back on 23 August, happy holidays!",
            **new_rows(
                "opening_periods",
                page,
                {"weekday": Weekday.TUESDAY, "opens": "9:30", "closes": "12:30"},
                {"weekday": Weekday.TUESDAY, "opens": "14h", "closes": "19h00"},  # as typed in France
                {"weekday": Weekday.SATURDAY, "opens": "10:00", "closes": "18:00"},
            ),
            **new_rows("closures", page, {"starts_on": "2026-12-26", "ends_on": "", "reason": "Stocktaking"}),
        ),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    assert hours_of(shop_a) == [
        ("TUESDAY", "09:30", "12:30"),
        ("TUESDAY", "14:00", "19:00"),
        ("SATURDAY", "10:00", "18:00"),
    ]
    closure = Closure.objects.get(shop=shop_a)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (
        date(2026, 12, 26),
        date(2026, 12, 26),
        "Stocktaking",
    )
    shop_a.refresh_from_db()
    assert (shop_a.preparation_hours, shop_a.holding_days) == (3, 10)
    assert (shop_a.holiday_starts_on, shop_a.holiday_ends_on) == (date(2027, 8, 2), date(2027, 8, 22))
    assert shop_a.holiday_message == "Back on 23 August, happy holidays!"
    assert shop_a.status == Shop.Status.APPROVED


def test_the_owner_changes_a_range_and_deletes_another(client, owner_a, shop_a):
    give_hours(shop_a, tuesday="9:30-12:30 14:00-19:00")
    client.force_login(owner_a)
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a),
        admin_form_data(page, **{"opening_periods-0-opens": "10:00", "opening_periods-1-DELETE": "on"}),
    )

    assert response.status_code == 302
    assert hours_of(shop_a) == [("TUESDAY", "10:00", "12:30")]


def test_the_page_lists_the_days_monday_first_and_keeps_the_status_read_only(client, owner_a, shop_a):
    give_hours(shop_a, saturday="10:00-18:00", monday="14:00-19:00")
    client.force_login(owner_a)

    page = client.get(change_url(shop_a))

    form = page.context["adminform"].form
    hours = next(
        inline.formset
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.prefix == "opening_periods"
    )
    assert [value for value, _label in hours.forms[0].fields["weekday"].choices if value != ""] == list(
        range(7)
    )
    assert [row.instance.weekday for row in hours.initial_forms] == [Weekday.MONDAY, Weekday.SATURDAY]
    assert {"preparation_hours", "holding_days", "holiday_starts_on", "holiday_message"} <= set(form.fields)
    assert "status" not in form.fields
    assert "siret" not in form.fields
    assert "a lunch break" in page.text  # the help, for people who never saw an admin


@pytest.mark.parametrize(
    ("first", "second", "shown"),
    [
        (("9:00", "14:00"), ("13:00", "19:00"), "Tuesday: 09:00–14:00 and 13:00–19:00 overlap."),
        (("9:00", "14:00"), ("14:00", "19:00"), "Tuesday: 09:00–14:00 and 14:00–19:00 overlap."),
        (("9:00", "19:00"), ("12:00", "13:00"), "Tuesday: 09:00–19:00 and 12:00–13:00 overlap."),
    ],
)
def test_ranges_of_a_day_that_overlap_or_touch_are_refused_with_a_message(
    client, owner_a, shop_a, first, second, shown
):
    give_hours(shop_a, wednesday="9:00-14:00")  # the same hours another day are fine
    client.force_login(owner_a)
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a),
        admin_form_data(
            page,
            **new_rows(
                "opening_periods",
                page,
                {"weekday": Weekday.TUESDAY, "opens": first[0], "closes": first[1]},
                {"weekday": Weekday.TUESDAY, "opens": second[0], "closes": second[1]},
            ),
        ),
    )

    assert response.status_code == 200
    assert shown in response.text
    assert hours_of(shop_a) == [("WEDNESDAY", "09:00", "14:00")]


def test_a_range_closing_before_it_opens_is_refused(client, owner_a, shop_a):
    client.force_login(owner_a)
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a),
        admin_form_data(
            page,
            **new_rows(
                "opening_periods", page, {"weekday": Weekday.FRIDAY, "opens": "22:00", "closes": "1:00"}
            ),
        ),
    )

    assert response.status_code == 200
    assert "A shop closes after it opens (ranges cannot cross midnight)." in response.text
    assert hours_of(shop_a) == []


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "shown"),
    [
        ("2027-08-02", "", "Give the last day you are away too."),
        ("", "2027-08-22", "Give the first day you are away too."),
        ("2027-08-22", "2027-08-02", "The holiday must end on or after the day it starts."),
    ],
)
def test_a_holiday_needs_both_dates_in_order(client, owner_a, shop_a, starts_on, ends_on, shown):
    client.force_login(owner_a)
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a), admin_form_data(page, holiday_starts_on=starts_on, holiday_ends_on=ends_on)
    )

    assert response.status_code == 200
    assert shown in response.text
    shop_a.refresh_from_db()
    assert (shop_a.holiday_starts_on, shop_a.holiday_ends_on) == (None, None)


def test_a_bookseller_of_another_shop_can_neither_see_nor_post_its_hours(client, owner_a, outsider, shop_a):
    give_hours(shop_a, tuesday="9:30-12:30")
    client.force_login(owner_a)
    data = admin_form_data(
        client.get(change_url(shop_a)),
        holiday_starts_on="2027-01-01",
        holiday_ends_on="2027-12-31",
        **{"opening_periods-0-closes": "10:00"},
    )
    client.force_login(outsider)

    seen = client.get(change_url(shop_a))
    posted = client.post(change_url(shop_a), data)

    for response in (seen, posted):
        assert response.status_code in (302, 403, 404)
        assert "Librairie Alpha" not in response.content.decode()
    assert hours_of(shop_a) == [("TUESDAY", "09:30", "12:30")]
    shop_a.refresh_from_db()
    assert shop_a.holiday_starts_on is None


def test_a_bookseller_cannot_slip_another_shops_range_into_their_own_form(client, outsider, shop_a, shop_b):
    give_hours(shop_a, tuesday="9:30-12:30")
    theirs = OpeningPeriod.objects.get(shop=shop_a)
    client.force_login(outsider)
    page = client.get(change_url(shop_b))

    response = client.post(
        change_url(shop_b),
        admin_form_data(
            page,
            **{
                "opening_periods-TOTAL_FORMS": "1",
                "opening_periods-INITIAL_FORMS": "1",
                "opening_periods-0-id": str(theirs.pk),
                "opening_periods-0-shop": str(shop_b.pk),
                "opening_periods-0-weekday": Weekday.TUESDAY,
                "opening_periods-0-opens": "08:00",
                "opening_periods-0-closes": "20:00",
            },
        ),
    )

    # The formset only takes the rows of the shop on the page: the stranger row is ignored.
    assert response.status_code in (200, 302)
    assert hours_of(shop_a) == [("TUESDAY", "09:30", "12:30")]
    assert hours_of(shop_b) == []


def test_chain_staff_can_correct_a_shops_hours(client, shop_a):
    client.force_login(ChainStaffFactory())
    page = client.get(change_url(shop_a))

    response = client.post(
        change_url(shop_a),
        admin_form_data(
            page,
            **new_rows(
                "opening_periods", page, {"weekday": Weekday.MONDAY, "opens": "14:00", "closes": "19:00"}
            ),
        ),
    )

    assert response.status_code == 302
    assert hours_of(shop_a) == [("MONDAY", "14:00", "19:00")]


# --- The shop page --------------------------------------------------------------------------

# Tuesday 1 December 2026.
TUESDAY_MORNING = paris("2026-12-01 10:00")


@pytest.fixture
def bookshop():
    shop = ShopFactory(trade_name="Librairie du Port")
    give_hours(shop, **BOOKSHOP_WEEK)
    return shop


def shop_page(client, shop, at, url=None):
    """The shop's page as seen at `at`, blanks collapsed."""
    with clock_at(at):
        response = client.get(url or en("shop", shop.slug))
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_shop_page_shows_its_week_with_closed_days(client, bookshop):
    text = shop_page(client, bookshop, TUESDAY_MORNING)

    assert "Opening hours" in text
    assert "<dt>Monday</dt> <dd>Closed</dd>" in text
    assert '<dt aria-current="date">Tuesday</dt> <dd><strong>9:30–12:30, 14:00–19:00</strong></dd>' in text
    assert "<dt>Sunday</dt> <dd>Closed</dd>" in text


@pytest.mark.parametrize(
    ("at", "shown"),
    [
        ("2026-12-01 10:00", "Open now</strong> — closes at 12:30"),
        ("2026-12-01 12:45", "Closed</strong> — opens at 14:00"),
        ("2026-12-01 19:30", "Closed</strong> — opens tomorrow at 9:30"),
        ("2026-12-05 19:30", "Closed</strong> — opens Tuesday at 9:30"),
    ],
)
def test_the_shop_page_says_whether_it_is_open_and_when_it_closes_or_opens(client, bookshop, at, shown):
    assert shown in shop_page(client, bookshop, paris(at))


def test_the_shop_page_lists_the_closures_to_come_and_not_the_past_ones(client, bookshop):
    Closure.objects.create(
        shop=bookshop, starts_on=date(2026, 11, 11), ends_on=date(2026, 11, 11), reason="Armistice"
    )
    Closure.objects.create(
        shop=bookshop, starts_on=date(2026, 12, 25), ends_on=date(2026, 12, 25), reason="Christmas"
    )
    Closure.objects.create(
        shop=bookshop, starts_on=date(2027, 1, 5), ends_on=date(2027, 1, 7), reason="Stocktaking"
    )
    bookshop.holiday_starts_on, bookshop.holiday_ends_on = date(2027, 2, 15), date(2027, 2, 20)
    bookshop.save()

    text = shop_page(client, bookshop, TUESDAY_MORNING)

    assert "Armistice" not in text
    assert "Closed on Friday 25 December (Christmas)" in text
    assert "Closed from Tuesday 5 January to Thursday 7 January (Stocktaking)" in text
    assert "Away from Monday 15 February to Saturday 20 February" in text
    assert text.index("Christmas") < text.index("Stocktaking") < text.index("Away from")


def test_while_away_the_shop_page_shows_the_holiday_message_and_when_it_opens_again(client, bookshop):
    bookshop.holiday_starts_on, bookshop.holiday_ends_on = date(2026, 12, 8), date(2026, 12, 19)
    bookshop.holiday_message = "Back on the 22nd, happy holidays!"
    bookshop.save()

    text = shop_page(client, bookshop, paris("2026-12-09 11:00"))

    assert "Away until Saturday 19 December</strong> — opens Tuesday 22 December at 9:30" in text
    assert "Back on the 22nd, happy holidays!" in text
    assert "Open now" not in text


def test_the_shop_page_writes_dates_in_the_visitors_language(client, bookshop):
    bookshop.holiday_starts_on, bookshop.holiday_ends_on = date(2026, 12, 8), date(2026, 12, 19)
    bookshop.save()
    with translation.override("fr"):
        url = reverse("shop", args=[bookshop.slug])

    text = shop_page(client, bookshop, paris("2026-12-09 11:00"), url=url)

    assert "samedi 19 décembre" in text
    assert "mardi 22 décembre" in text
    assert "Saturday" not in text


def test_a_shop_without_hours_says_so_and_claims_neither_open_nor_closed(client):
    shop = ShopFactory()

    text = shop_page(client, shop, TUESDAY_MORNING)

    assert "This shop has not given its opening hours yet." in text
    assert "Open now" not in text
    assert "Closed</strong>" not in text


def test_the_shop_page_costs_the_same_queries_with_no_hours_or_a_full_week_and_closures(client, bookshop):
    bare = ShopFactory()
    for day in range(1, 6):
        Closure.objects.create(
            shop=bookshop, starts_on=date(2026, 12, day + 20), ends_on=date(2026, 12, day + 20)
        )

    def queries(shop):
        with clock_at(TUESDAY_MORNING), CaptureQueriesContext(connection) as captured:
            assert client.get(en("shop", shop.slug)).status_code == 200
        return len(captured)

    assert queries(bookshop) == queries(bare)


# --- The book page --------------------------------------------------------------------------


@pytest.fixture
def visitor(client):
    """A visitor of the Lorient drive (named in the addresses: no session needed)."""
    DriveFactory(slug="lorient", latitude=47.754, longitude=-3.39)
    return client


def book_url(book):
    return en("book", book.ean) + "?drive=lorient"


def books_of(shop, count: int) -> list:
    """`count` books in stock at `shop`: one page each, so that the page cache does not
    answer the next page of the same test with the first one."""
    books = BookFactory.create_batch(count)
    for book in books:
        ListingFactory(shop=shop, book=book)
    return books


def pages_at(visitor, shop, moments: list[str]) -> list[str]:
    """A book page of `shop`'s at each moment (Paris time), another book each time."""
    books = books_of(shop, len(moments))
    return [book_page(visitor, book, paris(at))[1] for book, at in zip(books, moments, strict=True)]


def book_page(visitor, book, at):
    with clock_at(at):
        response = visitor.get(book_url(book))
    assert response.status_code == 200
    return response, " ".join(response.content.decode().split())


def test_each_offer_says_whether_its_shop_is_open_and_when_the_book_would_be_ready(visitor, bookshop):
    book = BookFactory()
    ListingFactory(shop=bookshop, book=book)  # Tuesday–Saturday with a lunch break, 2 h to prepare
    later = ShopFactory(trade_name="Les Mots Voyageurs", preparation_hours=24)
    give_hours(later, **dict.fromkeys(["wednesday", "thursday", "friday", "saturday"], "10:00-19:00"))
    ListingFactory(shop=later, book=book)
    silent = ShopFactory(trade_name="Librairie sans horaires")
    ListingFactory(shop=silent, book=book)

    response, text = book_page(visitor, book, paris("2026-12-01 11:30"))

    offers = {offer.shop.trade_name: offer for offer in response.context["offers"]}
    assert set(offers) == {"Librairie du Port", "Les Mots Voyageurs", "Librairie sans horaires"}
    port = text[text.index("Librairie du Port") :]
    assert port.index("Open now</strong> — closes at 12:30") < port.index("Ready today by 15:00")
    # 24 opening hours from Wednesday 10:00: Wednesday, Thursday, and 6 hours on Friday.
    voyageurs = text[text.index("Les Mots Voyageurs") :]
    assert voyageurs.index("Closed</strong> — opens tomorrow at 10:00") < voyageurs.index(
        "Ready by Friday at 16:00"
    )
    assert text.count("Ready ") == 2  # nothing promised by the shop without hours


def test_an_offer_placed_on_a_saturday_evening_is_ready_on_tuesday(visitor, bookshop):
    book = BookFactory()
    ListingFactory(shop=bookshop, book=book)

    _response, text = book_page(visitor, book, paris("2026-12-05 18:00"))

    assert "Open now</strong> — closes at 19:00" in text
    assert "Ready by Tuesday at 10:30" in text


def test_within_a_minute_a_shop_that_changes_its_hours_gets_new_lines_at_once(visitor, bookshop):
    # The lines are kept for the minute by what they read of the shop (opening_hours.py):
    # two books of the same shop, so that the page cache does not answer the second page.
    first, second = books_of(bookshop, 2)
    _response, before = book_page(visitor, first, paris("2026-12-01 11:30:05"))
    OpeningPeriod.objects.filter(shop=bookshop).delete()
    give_hours(bookshop, tuesday="14:00-18:00")
    bookshop.preparation_hours = 3
    bookshop.save()

    _response, after = book_page(visitor, second, paris("2026-12-01 11:30:40"))

    assert "Open now</strong> — closes at 12:30" in before
    assert "Ready today by 15:00" in before
    assert "Closed</strong> — opens at 14:00" in after
    assert "Ready today by 17:00" in after  # three hours to prepare now, from 14:00


def test_the_lines_follow_the_clock_from_one_minute_to_the_next(visitor, bookshop):
    pages = pages_at(visitor, bookshop, ["2026-12-01 12:29:00", "2026-12-01 12:29:59", "2026-12-01 12:30:00"])

    assert "Open now</strong> — closes at 12:30" in pages[0]
    assert "Open now</strong> — closes at 12:30" in pages[1]
    assert "Closed</strong> — opens at 14:00" in pages[2]


def test_on_the_minute_and_a_second_later_the_ready_by_line_may_differ(visitor):
    # Two hours to prepare: placed at 10:00:00 it is ready at the noon closing; a second
    # later, the morning is too short and it is ready after lunch.
    shop = ShopFactory(preparation_hours=2)
    give_hours(shop, tuesday="9:00-12:00 14:00-19:00")
    pages = pages_at(visitor, shop, ["2026-12-01 10:00:00", "2026-12-01 10:00:01", "2026-12-01 10:00:59"])

    assert "Ready today by 12:00" in pages[0]
    assert "Ready today by 14:00" in pages[1]
    assert "Ready today by 14:00" in pages[2]


def test_a_shop_whose_hours_have_seconds_gets_lines_worked_out_for_each_page(visitor):
    shop = ShopFactory()
    OpeningPeriod.objects.create(shop=shop, weekday=Weekday.TUESDAY, opens=time(9), closes=time(12, 0, 30))
    open_page, closed_page = pages_at(visitor, shop, ["2026-12-01 12:00:10", "2026-12-01 12:00:40"])

    assert "Open now</strong>" in open_page
    assert "Closed</strong>" in closed_page


def test_the_same_shop_in_the_same_minute_is_written_in_each_visitors_language(visitor, bookshop):
    english_book, french_book = books_of(bookshop, 2)

    _response, english = book_page(visitor, english_book, paris("2026-12-01 11:30"))
    with clock_at(paris("2026-12-01 11:30")), translation.override("fr"):
        french = " ".join(
            visitor.get(reverse("book", args=[french_book.ean]) + "?drive=lorient").content.decode().split()
        )

    assert "Open now</strong> — closes at 12:30" in english
    assert "Ouvert</strong> — ferme à 12:30" in french
    assert "Open now" not in french


def test_the_book_page_costs_the_same_queries_for_1_or_5_shops_with_hours_and_closures(visitor):
    few, many = BookFactory(), BookFactory()
    ListingFactory(book=few, shop=ShopFactory())
    for number in range(5):
        shop = ShopFactory(latitude=47.75 + number / 1000)
        give_hours(shop, **BOOKSHOP_WEEK)
        Closure.objects.create(shop=shop, starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 26))
        ListingFactory(book=many, shop=shop)
    with clock_at(TUESDAY_MORNING):  # the drive and its shops are cached (for the day) after a first page
        visitor.get(en("search") + "?drive=lorient")

    def queries(book):
        with clock_at(TUESDAY_MORNING), CaptureQueriesContext(connection) as captured:
            response = visitor.get(book_url(book))
        assert response.status_code == 200
        return len(captured), len(response.context["offers"])

    (for_one, one), (for_five, five) = queries(few), queries(many)
    assert (one, five) == (1, 5)
    assert for_one == for_five


# --- Generated shops ------------------------------------------------------------------------


def test_generated_shops_get_a_realistic_week_the_same_for_the_same_seed():
    scale = datagen.Scale(drives=3, shops=12, books=10, listings=20)

    datagen.generate(scale=scale, seed=5)
    first = sorted(OpeningPeriod.objects.values_list("shop__siret", "weekday", "opens", "closes"))
    datagen.generated_data_delete()
    datagen.generate(scale=scale, seed=5)
    again = sorted(OpeningPeriod.objects.values_list("shop__siret", "weekday", "opens", "closes"))

    assert again == first
    for shop in datagen.generated_shops().prefetch_related("opening_periods"):
        periods = list(shop.opening_periods.all())
        days = {period.weekday for period in periods}
        assert {Weekday.TUESDAY, Weekday.SATURDAY} <= days  # open Tuesday to Saturday
        for period in periods:
            period.full_clean()
            assert time(9) <= period.opens < period.closes <= time(19, 30)
        by_day = {}
        for period in periods:
            by_day.setdefault(period.weekday, []).append((period.opens, period.closes))
        for ranges in by_day.values():
            ranges.sort()
            assert all(earlier[1] < later[0] for earlier, later in itertools.pairwise(ranges))


# --- In a browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_bookseller_gives_a_week_with_a_lunch_break_in_the_admin_and_customers_see_it(
    page, live_server, localities
):
    shop = ShopFactory(trade_name="Librairie du Port")
    owner = BooksellerFactory(email="yann@librairie-du-port.fr")
    Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    bookseller_logs_in(page, live_server.url, email=owner.email)

    page.goto(f"{live_server.url}{change_url(shop)}")
    hours = page.locator("#opening_periods-group")
    hours.locator("select[name='opening_periods-0-weekday']").select_option(label="Tuesday")
    hours.locator("input[name='opening_periods-0-opens']").fill("9h30")
    hours.locator("input[name='opening_periods-0-closes']").fill("12:30")
    hours.get_by_role("button", name="Add another time range").click()
    hours.locator("select[name='opening_periods-1-weekday']").select_option(label="Tuesday")
    hours.locator("input[name='opening_periods-1-opens']").fill("14:00")
    hours.locator("input[name='opening_periods-1-closes']").fill("19:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.goto(f"{live_server.url}{en('shop', shop.slug)}")
    week = page.locator(".opening-hours__week")
    expect(week.locator("dt", has_text="Tuesday").locator("+ dd")).to_have_text("9:30–12:30, 14:00–19:00")
    expect(week.locator("dt", has_text="Monday").locator("+ dd")).to_have_text("Closed")
