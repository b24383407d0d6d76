"""'Order it for me' (commande client): a book no shop near the drive holds is asked from a
bookshop that takes such orders; the shop accepts it with an expected date, orders it from
its distributor, marks it ready when it comes, and hands it over like any order."""

import functools
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Listing
from marketplace.email_context import render as render_email
from marketplace.models import OutgoingEmail
from orders import distributor_jobs
from orders.models import Order
from orders.services import (
    DistributorOrderRefused,
    OrderStatusError,
    distributor_order_place,
    order_accept,
    order_cancel,
    order_collect,
    order_mark_ordered,
    order_mark_ready,
)
from tests.factories import (
    BookFactory,
    DriveFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    customer_details,
)
from tests.race import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    """The Lorient drive; Port (orders books, 5 days) at the drive, Phare (orders books,
    10 days) 5 km away, Mots (does not order) 1.5 km away; Brest (orders) out of reach.
    The book: in the catalogue, in stock nowhere around."""
    drive = DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.75, longitude=-3.37)
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37, takes_orders=True,
                       order_days=5)  # fmt: skip
    mots = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.76, longitude=-3.355)
    phare = ShopFactory(
        trade_name="Le Phare", latitude=47.79, longitude=-3.33, takes_orders=True, order_days=10
    )
    brest = ShopFactory(trade_name="Dialogues Brest", latitude=48.39, longitude=-4.49, takes_orders=True)
    book = BookFactory(title="Les Années", list_price=Decimal("9.20"))
    return {"drive": drive, "port": port, "mots": mots, "phare": phare, "brest": brest, "book": book}


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def place(town, shop="port", key="k1", quantity=1, **customer) -> Order:
    checkout = distributor_order_place(
        key=key, shop_id=town[shop].pk, book_id=town["book"].pk, quantity=quantity,
        customer=customer_details(**({"language": "en"} | customer)), client="", drive_id=town["drive"].pk,
    )  # fmt: skip
    return checkout.orders.get()


def emails_to(address: str) -> list[OutgoingEmail]:
    emails = list(OutgoingEmail.objects.filter(to=address).order_by("pk"))
    for email in emails:
        render_email(email)
    return emails


# --- Where customers find it -----------------------------------------------------------------


def test_the_book_page_offers_the_shops_around_that_order_books(town, client):
    page = client.get(en("book", town["book"].ean) + "?drive=lorient").content.decode()
    assert "Order it from a bookshop near you" in page
    assert page.index("Librairie du Port") < page.index("Le Phare")
    assert "Usually within 5 days" in page
    assert "Usually within 10 days" in page
    assert "Les Mots Voyageurs" not in page  # does not order books
    assert "Dialogues Brest" not in page  # out of reach
    assert en("distributor_order", town["book"].ean, town["port"].slug) in page


def test_a_book_in_stock_around_is_reserved_not_ordered(town, client):
    ListingFactory(shop=town["mots"], book=town["book"])
    page = client.get(en("book", town["book"].ean) + "?drive=lorient").content.decode()
    assert "Order it from a bookshop near you" not in page


def test_only_books_with_a_publishers_price_are_ordered(town, client):
    game = BookFactory(kind_id="board-game", title="Mysterium", list_price=Decimal("39.90"))
    page = client.get(en("book", game.ean) + "?drive=lorient").content.decode()
    assert "Order it" not in page
    with pytest.raises(DistributorOrderRefused):
        distributor_order_place(key="g", shop_id=town["port"].pk, book_id=game.pk, quantity=1,
                                customer=customer_details(), client="")  # fmt: skip


def test_a_search_with_nothing_in_stock_around_offers_the_books_to_order(town, client):
    from catalog.search_index import search_index_refresh, search_vocabulary_refresh

    search_index_refresh()
    search_vocabulary_refresh()
    page = client.get(en("search") + "?drive=lorient&q=annees").content.decode()
    assert (
        "No shop near Drive Lorient has it in stock: order it from a bookshop around, usually within 5 days"
        in page
    )
    assert "Les Années" in page
    assert en("book", town["book"].ean) in page
    by_isbn = client.get(en("search") + f"?drive=lorient&q={town['book'].ean}").content.decode()
    assert "Les Années" in by_isbn


# --- Asking for it ---------------------------------------------------------------------------------


def form_token(page: str) -> str:
    """The form's key, or a fresh one where the page shows no form (a forged request)."""
    found = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    return found.group(1) if found else uuid.uuid4().hex


def ask(client, town, shop="port", **overrides):
    url = en("distributor_order", town["book"].ean, town[shop].slug) + "?drive=lorient"
    page = client.get(url).content.decode()
    data = {"token": form_token(page), "quantity": "1", "name": "Annick Le Goff", "email": "annick@example.fr",
            "phone": "06 12 34 56 78", "accept_terms": "on"} | overrides  # fmt: skip
    return client.post(url, data)


def test_a_customer_asks_a_bookshop_to_order_a_book(town, client, capture_on_commit):
    with capture_on_commit():
        response = ask(client, town)
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == order.checkout.customer_url()
    assert (order.shop, order.from_distributor, order.status) == (town["port"], True, Order.Status.PLACED)
    [line] = order.lines.all()
    assert (line.listing, line.ean, line.title, line.unit_price, line.quantity) == (
        None, town["book"].ean, "Les Années", Decimal("9.20"), 1
    )  # fmt: skip
    assert order.answer_by is not None  # the shop answers in time, as for any order
    assert order.checkout.drive == town["drive"]

    [shop_email] = emails_to(town["port"].email)
    # The shop reads its emails in French (its setting).
    assert "Un client vous demande de commander à votre distributeur" in shop_email.body_text
    assert "Accepter et marquer comme prête" not in shop_email.body_text  # no "set aside" before it comes
    [customer_email] = emails_to("annick@example.fr")
    assert (
        "You asked Librairie du Port to order this book for you: it usually takes 5 days"
        in customer_email.body_text
    )


def test_the_same_form_sent_twice_asks_once(town, client):
    url = en("distributor_order", town["book"].ean, town["port"].slug)
    page = client.get(url).content.decode()
    data = {"token": form_token(page), "quantity": "1", "name": "A", "email": "a@example.fr", "phone": "0612345678",
            "accept_terms": "on"}  # fmt: skip
    assert client.post(url, data)["Location"] == client.post(url, data)["Location"]
    assert Order.objects.count() == 1


def test_a_shop_that_does_not_take_orders_never_receives_one(town, client):
    assert (
        "Ask Les Mots Voyageurs"
        not in client.get(en("distributor_order", town["book"].ean, town["mots"].slug)).text
    )
    response = ask(client, town, shop="mots")
    assert response.status_code == 200
    assert "Les Mots Voyageurs does not order books for customers." in response.content.decode()
    with pytest.raises(DistributorOrderRefused):
        place(town, shop="mots")
    # Nor one that stopped taking them after the customer opened the page.
    url = en("distributor_order", town["book"].ean, town["phare"].slug)
    token = form_token(client.get(url).content.decode())
    type(town["phare"]).objects.filter(pk=town["phare"].pk).update(takes_orders=False)
    client.post(url, {"token": token, "quantity": "1", "name": "A", "email": "a@example.fr", "phone": "0612345678",
                      "accept_terms": "on"})  # fmt: skip
    assert not Order.objects.exists()


def test_the_reservation_limits_count_ordered_books(town, settings):
    settings.RESERVATION_MAX_HELD_PER_SHOP = 2
    place(town, quantity=2)
    from orders.limits import ReservationLimitReached

    with pytest.raises(ReservationLimitReached):
        place(town, key="k2", quantity=1)
    with pytest.raises(DistributorOrderRefused):
        place(town, key="k3", quantity=99)


# --- The shop's side: accepted with a date, ordered, ready, collected ------------------------------


def test_the_whole_life_of_an_ordered_book(town, capture_on_commit):
    bookseller = MembershipFactory(shop=town["port"]).user
    order = place(town)
    expected = timezone.localdate() + timedelta(days=4)
    with capture_on_commit():
        order_accept(order=order, by=bookseller, expected_on=expected)
    order.refresh_from_db()
    assert (order.status, order.expected_on) == (Order.Status.ACCEPTED, expected)

    later = expected + timedelta(days=2)
    with capture_on_commit():
        order_mark_ordered(order=order, by=bookseller, expected_on=later)
    order.refresh_from_db()
    assert (order.status, order.expected_on) == (Order.Status.ORDERED, later)

    with capture_on_commit():
        order_mark_ready(order=order, by=bookseller)
    order.refresh_from_db()
    assert order.status == Order.Status.READY
    assert order.pickup_code
    assert order.collect_by > timezone.now()
    order_collect(order=order, by=bookseller)
    assert Order.objects.get(pk=order.pk).status == Order.Status.COLLECTED
    assert not Listing.objects.exists()  # no stock was ever touched

    bodies = [email.body_text for email in emails_to("annick@example.fr")]
    assert any("will order the book of your order" in body for body in bodies)
    assert any("has ordered the book of your order" in body and "It is expected in the shop on" in body
               for body in bodies)  # fmt: skip
    assert any("pickup code" in body.lower() for body in bodies)


def test_the_emails_are_in_the_customers_language(town, capture_on_commit):
    order = place(town, key="fr", email="fr@example.fr", language="fr")
    with capture_on_commit():
        order_accept(order=order, by=None)
        order_mark_ordered(order=order, by=None)
    bodies = " ".join(email.body_text for email in emails_to("fr@example.fr"))
    assert "commandera le livre" in bodies
    assert "a commandé le livre" in bodies


def test_accepting_without_a_date_takes_the_shops_usual_time(town):
    order = order_accept(order=place(town), by=None)
    assert order.expected_on == timezone.localdate() + timedelta(days=5)


def test_a_date_in_the_past_or_absurdly_far_is_refused(town):
    order = place(town)
    with pytest.raises(OrderStatusError):
        order_accept(order=order, by=None, expected_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(OrderStatusError):
        order_accept(order=order, by=None, expected_on=timezone.localdate() + timedelta(days=400))
    assert Order.objects.get(pk=order.pk).status == Order.Status.PLACED


def test_an_order_of_books_in_stock_is_never_marked_ordered(town):
    listing = ListingFactory(shop=town["port"])
    from tests.factories import reserve

    order = reserve(listing).orders.get()
    order_accept(order=order, by=None)
    with pytest.raises(OrderStatusError):
        order_mark_ordered(order=order, by=None)


def test_the_customer_may_cancel_until_the_book_is_in(town):
    order = place(town)
    order_accept(order=order, by=None)
    order_mark_ordered(order=order, by=None)
    assert order_cancel(order=order).status == Order.Status.CANCELLED


def test_the_bookseller_accepts_with_a_date_and_marks_it_ordered_in_the_admin(town, client):
    bookseller = MembershipFactory(shop=town["port"]).user
    client.force_login(bookseller)
    order = place(town)
    page = client.get(en("admin:orders_order_change", order.pk)).content.decode()
    assert "To order from your distributor" in page
    assert "Ordered from the distributor" not in page  # not before it is accepted

    accept_page = client.get(en("admin:orders_order_move", order.pk, "accept")).content.decode()
    assert "Expected in the shop on" in accept_page
    expected = timezone.localdate() + timedelta(days=6)
    client.post(en("admin:orders_order_move", order.pk, "accept"), {"expected_on": expected.isoformat()})
    order.refresh_from_db()
    assert (order.status, order.expected_on) == (Order.Status.ACCEPTED, expected)

    client.post(en("admin:orders_order_move", order.pk, "ordered"), {"expected_on": expected.isoformat()})
    assert Order.objects.get(pk=order.pk).status == Order.Status.ORDERED
    bad = client.post(en("admin:orders_order_move", order.pk, "ready"), {})
    assert bad.status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY


def test_an_order_from_stock_shows_no_distributor_button(town, client):
    from tests.factories import reserve

    bookseller = MembershipFactory(shop=town["port"]).user
    client.force_login(bookseller)
    order = reserve(ListingFactory(shop=town["port"])).orders.get()
    order_accept(order=order, by=bookseller)
    page = client.get(en("admin:orders_order_change", order.pk)).content.decode()
    assert "Ordered from the distributor" not in page
    assert client.post(en("admin:orders_order_move", order.pk, "ordered"), {}).status_code == 302
    assert Order.objects.get(pk=order.pk).status == Order.Status.ACCEPTED


# --- Deadlines: a late book is reminded once, a book that never comes ends the order -------


def accepted_for(town, expected_on, key) -> Order:
    order = place(town, key=key, email=f"{key}@example.fr", phone=f"+336000000{len(key):02d}")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.ACCEPTED, expected_on=expected_on)
    return Order.objects.get(pk=order.pk)


def test_the_shop_is_reminded_once_the_day_after_the_expected_date(town, capture_on_commit):
    today = timezone.localdate()
    due = accepted_for(town, today - timedelta(days=1), "late")
    on_time = accepted_for(town, today, "today")
    with capture_on_commit():
        assert distributor_jobs.orders_remind_shops_of_late_books(today=today) == 1
        assert distributor_jobs.orders_remind_shops_of_late_books(today=today) == 0
    [reminder] = OutgoingEmail.objects.filter(event_key=f"order:{due.pk}:book-late")
    assert reminder.to == town["port"].email
    assert not OutgoingEmail.objects.filter(event_key=f"order:{on_time.pk}:book-late").exists()


def test_a_book_that_never_comes_ends_the_order_and_the_customer_is_told(town, capture_on_commit, settings):
    settings.ORDER_BOOK_LATE_CANCEL_DAYS = 21
    today = timezone.localdate()
    never = accepted_for(town, today - timedelta(days=22), "never")
    Order.objects.filter(pk=never.pk).update(status=Order.Status.ORDERED)
    late = accepted_for(town, today - timedelta(days=21), "late")
    with capture_on_commit():
        assert distributor_jobs.orders_cancel_books_never_in(today=today) == 1
    never.refresh_from_db()
    late.refresh_from_db()
    assert (never.status, late.status) == (Order.Status.CANCELLED, Order.Status.ACCEPTED)
    assert never.events.get(to_status=Order.Status.CANCELLED).actor_kind == "system"
    [told] = emails_to("never@example.fr")[-1:]
    assert "The book did not come from the distributor in time." in told.body_text


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_and_cancel_each_order_once(town, monkeypatch):
    monkeypatch.setattr(distributor_jobs, "REMINDER_BATCH_SIZE", 2)
    today = timezone.localdate()
    orders = [accepted_for(town, today - timedelta(days=30), f"o{number}") for number in range(6)]
    reminded = at_once(
        *[functools.partial(distributor_jobs.orders_remind_shops_of_late_books, today=today)] * 2
    )
    cancelled = at_once(*[functools.partial(distributor_jobs.orders_cancel_books_never_in, today=today)] * 2)
    assert (sum(reminded), sum(cancelled)) == (6, 6)
    assert OutgoingEmail.objects.filter(event_key__endswith=":book-late").count() == 6
    assert (
        Order.objects.filter(pk__in=[order.pk for order in orders], status=Order.Status.CANCELLED).count()
        == 6
    )


def test_the_beat_schedule_runs_both_jobs():
    from django.conf import settings as django_settings

    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "orders.tasks.remind_shops_of_late_books",
        "orders.tasks.cancel_orders_of_books_never_in",
    } <= tasks


def test_the_api_offers_the_same_shops(town, client):
    answer = client.get(f"/api/v1/books/{town['book'].ean}/availability/?drive=lorient").json()
    assert answer["offers"] == []
    assert [(option["shop"]["name"], option["order_days"]) for option in answer["order_from"]] == [
        ("Librairie du Port", 5), ("Le Phare", 10)
    ]  # fmt: skip
    assert answer["order_from"][0]["url"].endswith(
        f"/reservation/order/{town['book'].ean}/{town['port'].slug}/"
    )
    ListingFactory(shop=town["mots"], book=town["book"])
    in_stock = client.get(f"/api/v1/books/{town['book'].ean}/availability/?drive=lorient&radius=20").json()
    assert in_stock["order_from"] == []


def test_an_order_from_the_distributor_reads_as_such_in_the_api(town, client):
    order = order_accept(order=place(town), by=None)
    answer = client.get(f"/api/v1/orders/{order.token}/").json()
    assert (answer["from_distributor"], answer["expected_on"]) == (True, order.expected_on.isoformat())
    assert answer["lines"][0]["listing"] is None
