"""When a shop does not serve a line, the customer is offered the same item at the other
shops around their drive, and reserves it there with one button (orders/elsewhere.py)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from marketplace.models import OutgoingEmail
from orders.elsewhere import elsewhere_for_order
from orders.models import Checkout, Order, OrderEvent
from orders.services import (
    CartLine,
    checkout_place,
    order_accept,
    order_cancel,
    order_expire,
    order_line_mark_unavailable,
    order_mark_ready,
    order_mark_unanswered,
    order_refuse,
)
from tests.factories import (
    BookFactory,
    DriveFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    customer_details,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    """The Lorient drive; the customer's shop (Port) and, around the drive, Mots at about
    1.5 km, Phare at about 5 km; Brest, 130 km away, is out of reach."""
    drive = DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.75, longitude=-3.37)
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    mots = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.76, longitude=-3.355)
    phare = ShopFactory(trade_name="Le Phare", latitude=47.79, longitude=-3.33)
    brest = ShopFactory(trade_name="Dialogues Brest", latitude=48.39, longitude=-4.49)
    etranger = BookFactory(title="L'Étranger", list_price=Decimal("7.50"))
    germinal = BookFactory(title="Germinal", list_price=Decimal("9.90"))
    listings = {
        "port-etranger": ListingFactory(shop=port, book=etranger, quantity=2),
        "port-germinal": ListingFactory(shop=port, book=germinal, quantity=2),
        "mots-etranger": ListingFactory(shop=mots, book=etranger, quantity=1),
        "phare-etranger": ListingFactory(shop=phare, book=etranger, quantity=4, price=Decimal("6.00"),
                                         condition="used_good"),
        "brest-etranger": ListingFactory(shop=brest, book=etranger, quantity=9),
        "phare-germinal": ListingFactory(shop=phare, book=germinal, quantity=1),
    }  # fmt: skip
    return {"drive": drive, "port": port, "mots": mots, "phare": phare, "listings": listings}


def reserve_at_port(town, *items, language="en", **customer) -> Order:
    lines = [CartLine(town["listings"][name].pk, quantity) for name, quantity in items]
    checkout = checkout_place(
        key=f"k-{len(Checkout.objects.all())}",
        lines=lines,
        customer=customer_details(language=language, **customer),
        client="",
        drive_id=town["drive"].pk,
    )
    return checkout.orders.get()


def bookseller_of(shop):
    """The shop's owner (a bookseller of the admin; the factory's password)."""
    return MembershipFactory(shop=shop).user


def last_customer_email() -> OutgoingEmail:
    return OutgoingEmail.objects.filter(to="annick@example.fr").order_by("-pk").first()


def rendered(email: OutgoingEmail) -> OutgoingEmail:
    email.refresh_from_db()
    from marketplace.email_context import render

    render(email)
    return email


def shops_in(text: str) -> list[str]:
    return re.findall(r"(Les Mots Voyageurs|Le Phare|Dialogues Brest|Librairie du Port) \(", text)


# --- Which lines, which shops --------------------------------------------------------------


def test_a_refused_order_lists_the_other_shops_around_the_drive_nearest_first(town, capture_on_commit):
    order = reserve_at_port(town, ("port-etranger", 1))
    with capture_on_commit():
        order_refuse(order=order, by=bookseller_of(town["port"]), reason="Le livre est abîmé.")

    email = rendered(last_customer_email())
    body = email.body_text
    assert shops_in(body) == ["Les Mots Voyageurs", "Le Phare"]  # not Port itself, not Brest (130 km)
    assert "Reserve it there:" in body
    assert "7.50 €" in body
    assert "6.00 €" in body
    links = re.findall(r"https?://\S+/en/orders/\S+/elsewhere/(\d+)/", body)
    assert links == [str(town["listings"]["mots-etranger"].pk), str(town["listings"]["phare-etranger"].pk)]
    assert "Reserve it there" in email.body_html

    found = elsewhere_for_order(Order.objects.get(pk=order.pk)).lines
    assert [offer.shop.trade_name for offer in found[0].offers] == ["Les Mots Voyageurs", "Le Phare"]


def test_the_email_is_in_the_customers_language(town, capture_on_commit):
    order = reserve_at_port(town, ("port-etranger", 1), language="fr")
    with capture_on_commit():
        order_refuse(order=order, by=bookseller_of(town["port"]), reason="Abîmé.")
    body = rendered(last_customer_email()).body_text
    assert "En stock dans une autre boutique près de votre drive" in body
    assert "La réserver là-bas\u00a0:" in body
    assert "/orders/" in body
    assert "/en/" not in body


def test_a_line_marked_unavailable_lists_only_that_item(town, capture_on_commit):
    order = reserve_at_port(town, ("port-etranger", 1), ("port-germinal", 1))
    line = order.lines.get(title="Germinal")
    with capture_on_commit():
        order_line_mark_unavailable(line=line, by=bookseller_of(town["port"]), reason="Vendu au comptoir")
    body = rendered(last_customer_email()).body_text
    assert shops_in(body) == ["Le Phare"]
    assert "Germinal — Le Phare" in body
    assert "L'Étranger — " not in body

    found = elsewhere_for_order(Order.objects.get(pk=order.pk)).lines
    assert [(item.line.title, [offer.shop.trade_name for offer in item.offers]) for item in found] == [
        ("Germinal", ["Le Phare"])
    ]


@pytest.mark.parametrize("ending", ["expired", "unanswered", "cancelled by Drive Solidaire"])
def test_other_endings_the_shop_did_not_serve_list_them_too(town, capture_on_commit, ending):
    order = reserve_at_port(town, ("port-etranger", 1))
    with capture_on_commit():
        if ending == "expired":
            order_accept(order=order, by=None)
            order_mark_ready(order=order, by=None)
            order_expire(order=order)
        elif ending == "unanswered":
            order_mark_unanswered(order=order)
        else:
            order_cancel(order=order, actor_kind=OrderEvent.Actor.SYSTEM, note="Boutique suspendue.")
    assert shops_in(rendered(last_customer_email()).body_text) == ["Les Mots Voyageurs", "Le Phare"]
    assert elsewhere_for_order(Order.objects.get(pk=order.pk)).lines != []


def test_a_customer_who_cancels_or_an_order_still_open_is_offered_nothing(town, capture_on_commit):
    open_order = reserve_at_port(town, ("port-etranger", 1))
    assert elsewhere_for_order(open_order).lines == []
    cancelled = reserve_at_port(town, ("port-germinal", 1))
    with capture_on_commit():
        order_cancel(order=cancelled)
    assert "Reserve it there" not in rendered(last_customer_email()).body_text
    assert elsewhere_for_order(Order.objects.get(pk=cancelled.pk)).lines == []


def test_nothing_in_stock_around_means_no_list(town, capture_on_commit):
    for name in ("mots-etranger", "phare-etranger"):
        town["listings"][name].delete()
    order = reserve_at_port(town, ("port-etranger", 1))
    with capture_on_commit():
        order_refuse(order=order, by=None, reason="Abîmé.")
    body = rendered(last_customer_email()).body_text
    assert "Reserve it there" not in body
    assert "In stock at another shop" not in body


# --- One button on the order page -------------------------------------------------------------


def refused(town, *items, **customer) -> Order:
    order = reserve_at_port(town, *(items or [("port-etranger", 1)]), **customer)
    order_refuse(order=order, by=None, reason="Abîmé.")
    return order


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def button_token(page: str) -> str:
    return re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)


def test_the_order_page_reserves_at_the_next_shop_with_the_customers_details(town, client):
    order = refused(town, ("port-etranger", 2), name="Annick Le Goff", phone="+33698765432")
    page = client.get(en("order", order.token)).content.decode()
    assert "In stock at another shop near your drive" in page
    assert page.index("Les Mots Voyageurs") < page.index("Le Phare")
    mots = town["listings"]["mots-etranger"]

    response = client.post(en("order_elsewhere", order.token, mots.pk), {"token": button_token(page)})

    placed = Checkout.objects.get(instead_of=order)
    assert response.status_code == 302
    assert response["Location"] == placed.customer_url()
    other = placed.orders.get()
    assert other.shop == town["mots"]
    assert (other.customer_name, other.customer_email, other.customer_phone.as_e164) == (
        "Annick Le Goff", "annick@example.fr", "+33698765432"
    )  # fmt: skip
    # Mots has one copy left of the two asked: it reserves that one.
    assert [(line.title, line.quantity, line.unit_price) for line in other.lines.all()] == [
        ("L'Étranger", 1, Decimal("7.50"))
    ]
    assert placed.drive == town["drive"]
    assert placed.language == "en"
    mots.refresh_from_db()
    assert mots.reserved == 1

    # The first order's page now points to the new one, and no longer offers that item.
    page = client.get(en("order", order.token)).content.decode()
    assert "Reserved instead at Les Mots Voyageurs" in page
    assert other.reference in page
    assert "In stock at another shop near your drive" not in page


def test_a_double_click_reserves_once(town, client):
    order = refused(town)
    page = client.get(en("order", order.token)).content.decode()
    url = en("order_elsewhere", order.token, town["listings"]["phare-etranger"].pk)
    first = client.post(url, {"token": button_token(page)})
    second = client.post(url, {"token": button_token(page)})
    assert first["Location"] == second["Location"]
    assert Order.objects.filter(checkout__instead_of=order).count() == 1


def test_the_emails_link_shows_the_reservation_and_reserves_only_on_the_button(town, client):
    order = refused(town)
    url = en("order_elsewhere", order.token, town["listings"]["phare-etranger"].pk)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Reserve at Le Phare" in text
    assert "6.00" in text
    assert "Annick Le Goff" in text
    assert not Checkout.objects.filter(instead_of=order).exists()  # a link never reserves

    client.post(url, {"token": button_token(text)})
    assert Checkout.objects.get(instead_of=order).orders.get().shop == town["phare"]


def test_an_offer_gone_meanwhile_reserves_nothing_and_says_so(town, client):
    order = refused(town)
    page = client.get(en("order", order.token)).content.decode()
    mots = town["listings"]["mots-etranger"]
    reserve_at_port_like_someone_else = checkout_place(
        key="someone", lines=[CartLine(mots.pk, 1)], customer=customer_details(email="x@example.fr",
        phone="+33600000001"), client=""
    )  # fmt: skip
    assert reserve_at_port_like_someone_else.orders.count() == 1

    response = client.post(
        en("order_elsewhere", order.token, mots.pk), {"token": button_token(page)}, follow=True
    )
    assert "This offer is no longer available" in response.content.decode()
    assert not Checkout.objects.filter(instead_of=order).exists()


@pytest.mark.parametrize("which", ["the same shop", "a shop out of reach", "another book", "no such listing"])
def test_only_the_orders_alternatives_can_be_reserved_this_way(town, client, which):
    order = refused(town)
    listing_id = {
        "the same shop": town["listings"]["port-etranger"].pk,
        "a shop out of reach": town["listings"]["brest-etranger"].pk,
        "another book": town["listings"]["phare-germinal"].pk,
        "no such listing": 999_999_999,
    }[which]
    page = client.get(en("order", order.token)).content.decode()
    response = client.post(en("order_elsewhere", order.token, listing_id), {"token": button_token(page)})
    assert response.status_code == 302
    assert response["Location"] == en("order", order.token)
    assert not Checkout.objects.filter(instead_of=order).exists()


def test_the_reservation_limits_still_hold(town, client, settings):
    order = reserve_at_port(town, ("port-etranger", 1), ("port-germinal", 1))
    settings.RESERVATION_MAX_HELD_IN_NETWORK = 1
    order_line_mark_unavailable(line=order.lines.get(title="Germinal"), by=None)  # Étranger still held
    page = client.get(en("order", order.token)).content.decode()
    response = client.post(
        en("order_elsewhere", order.token, town["listings"]["phare-germinal"].pk),
        {"token": button_token(page)},
    )
    assert response.status_code == 200
    assert "one person can hold up to 1 items at a time" in response.content.decode()
    assert not Checkout.objects.filter(instead_of=order).exists()


def test_a_forged_or_missing_button_key_reserves_nothing(town, client):
    order = refused(town)
    url = en("order_elsewhere", order.token, town["listings"]["phare-etranger"].pk)
    for body in ({}, {"token": "x" * 64}, {"token": "'; DROP TABLE orders_order; --"}):
        response = client.post(url, body)
        assert response.status_code == 200
    assert not Checkout.objects.filter(instead_of=order).exists()


def test_the_order_page_costs_the_same_queries_for_one_line_or_five(town, client):
    def queries_for(order) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(en("order", order.token)).status_code == 200
        return len(queries)

    one = refused(town, ("port-etranger", 1), email="one@example.fr", phone="+33600000002")
    books = [BookFactory() for _ in range(4)]
    for book in books:
        ListingFactory(shop=town["port"], book=book)
        ListingFactory(shop=town["mots"], book=book)
    lines = [CartLine(town["listings"]["port-etranger"].pk, 1)] + [
        CartLine(listing.pk, 1) for listing in town["port"].listings.filter(book__in=books)
    ]
    five = checkout_place(key="five", lines=lines, customer=customer_details(email="five@example.fr",
                          phone="+33600000003"), client="", drive_id=town["drive"].pk).orders.get()  # fmt: skip
    order_refuse(order=five, by=None, reason="Fermé.")
    queries_for(one)  # warm the drive's shops cache
    assert queries_for(five) == queries_for(one)


# --- The bookseller about to refuse ------------------------------------------------------------


def test_the_bookseller_sees_which_colleagues_nearby_have_it(town, client):
    order = reserve_at_port(town, ("port-etranger", 1), ("port-germinal", 1))
    client.force_login(bookseller_of(town["port"]))
    refuse_page = client.get(en("admin:orders_order_move", order.pk, "refuse")).content.decode()
    assert "Colleagues nearby who have it in stock" in refuse_page
    assert "Les Mots Voyageurs" in refuse_page
    assert "Le Phare" in refuse_page
    assert "Dialogues Brest" not in refuse_page

    line = order.lines.get(title="Germinal")
    line_page = client.get(en("admin:orders_order_line_unavailable", order.pk, line.pk)).content.decode()
    assert "Le Phare" in line_page
    assert "Les Mots Voyageurs" not in line_page
