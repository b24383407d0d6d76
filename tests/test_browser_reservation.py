"""A customer on a phone, in real Chromium: two books from two bookshops, one checkout
as a guest, two orders.

`reservation_scene()` and `reserve_two_books_as_guest()` are meant to be reused by
later stories (the bookseller accepting the order in the admin, pickup): the scene's
shops have owners who can log in with `PASSWORD`.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from marketplace.models import OutgoingEmail
from orders.models import Order
from shops.models import Membership, Shop
from tests.factories import BookFactory, BooksellerFactory, DriveFactory, ListingFactory, ShopFactory
from tests.orders.admin_helpers import bookseller_logs_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # the factories' password
PHONE_SIZE = {"width": 390, "height": 844}


@dataclass
class ReservationScene:
    port: Shop  # Librairie du Port, has "L'Étranger"
    mots: Shop  # Les Mots Voyageurs, has "Germinal"
    port_owner_email: str
    mots_owner_email: str


def reservation_scene() -> ReservationScene:
    """The Lorient drive, two bookshops around it with an owner each, one book in each."""
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37, phone="+33297640001")
    mots = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.77, longitude=-3.32, phone="+33297640002")
    owners = {}
    for shop, email in ((port, "yann@librairie-du-port.fr"), (mots, "nolwenn@motsvoyageurs.fr")):
        owners[shop] = BooksellerFactory(email=email)
        Membership.objects.create(user=owners[shop], shop=shop, role=Membership.Role.OWNER)
    etranger = BookFactory(title="L'Étranger", contributors=[{"name": "Albert Camus", "role": "author"}],
                           list_price=Decimal("7.50"))  # fmt: skip
    germinal = BookFactory(title="Germinal", contributors=[{"name": "Émile Zola", "role": "author"}],
                           list_price=Decimal("9.90"))  # fmt: skip
    ListingFactory(shop=port, book=etranger, price=Decimal("7.50"), quantity=2)
    ListingFactory(shop=mots, book=etranger, price=Decimal("7.50"), quantity=1)
    ListingFactory(shop=mots, book=germinal, price=Decimal("9.90"), quantity=1)
    search_index_refresh()
    search_vocabulary_refresh()
    return ReservationScene(port, mots, owners[port].email, owners[mots].email)


def reserve_at(page: Page, *, search: str, title: str, shop: str) -> None:
    """From any page with the search bar: find the book, reserve it at `shop`."""
    page.get_by_role("searchbox", name="Search a product").fill(search)
    page.get_by_role("searchbox", name="Search a product").press("Enter")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    page.locator(".offer").filter(has_text=shop).get_by_role("link", name="Reserve").click()

    expect(page.get_by_role("heading", name="Add to my reservation")).to_be_visible()
    expect(page.get_by_text(re.compile(r"km from Drive Lorient Keryado"))).to_be_visible()
    page.get_by_label("Copies").select_option("1")
    page.get_by_role("button", name="Add to my reservation").click()
    expect(page.get_by_text(f"“{title}” ({shop}) is in your reservation.")).to_be_visible()


def confirm_as_guest(page: Page) -> None:
    """On the checkout page: Annick's details, the phone typed the French way, confirmed."""
    expect(page.get_by_role("heading", name="Confirm my reservation")).to_be_visible()
    page.get_by_label("Your name").fill("Annick Le Goff")
    page.get_by_label("Email", exact=True).fill("annick@example.fr")
    page.get_by_label("Phone").fill("06 12 34 56 78")
    page.get_by_label("I accept the reservation terms.").check()
    page.get_by_role("button", name="Reserve, pay in the shop").click()
    expect(page.get_by_role("heading", name="Your items are reserved")).to_be_visible()


def reserve_two_books_as_guest(page: Page, base_url: str) -> list[str]:
    """The whole customer journey on the scene; returns the two orders' references."""
    # The drive, found by its town.
    page.goto(base_url + "/en/")
    page.get_by_label("Town or postcode").fill("Lorient")
    page.get_by_role("button", name="Find my drive").click()
    page.get_by_role("button", name="Choose Drive Lorient Keryado").click()

    # Two books, in two bookshops.
    reserve_at(page, search="etranger", title="L'Étranger", shop="Librairie du Port")
    reserve_at(page, search="germinal", title="Germinal", shop="Les Mots Voyageurs")

    # The cart: one block per bookshop, each with what to pay there.
    expect(page.locator(".cart-link__count")).to_have_text("2 items")
    expect(page.locator(".cart-shop h2")).to_have_text(["Les Mots Voyageurs", "Librairie du Port"])
    expect(page.locator(".cart-shop__subtotal")).to_have_text(
        [re.compile(r"9\.90\s€"), re.compile(r"7\.50\s€")]
    )
    page.get_by_role("link", name="Continue").click()

    confirm_as_guest(page)
    references = page.locator(".order-card .reference")
    expect(references).to_have_count(2)
    return references.all_inner_texts()


def test_a_guest_on_a_phone_reserves_two_books_in_two_bookshops(live_server, page, localities):
    scene = reservation_scene()
    page.set_viewport_size(PHONE_SIZE)

    references = reserve_two_books_as_guest(page, live_server.url)

    # The confirmation lists both orders, with each shop's address and phone.
    for shop in (scene.port, scene.mots):
        card = page.locator(".order-card").filter(has_text=shop.trade_name)
        expect(card).to_contain_text(shop.address)
        expect(card).to_contain_text(shop.phone.as_national)
    orders = Order.objects.filter(reference__in=references)
    assert sorted(order.shop.trade_name for order in orders) == ["Les Mots Voyageurs", "Librairie du Port"]
    assert {order.customer_phone.as_e164 for order in orders} == {"+33612345678"}
    expect(page.locator(".cart-link__count")).to_have_count(0)  # the cart is empty

    # Each order has its own page, to follow it or cancel it.
    page.locator(".order-card").filter(has_text="Librairie du Port").get_by_role(
        "link", name="Follow or cancel this order"
    ).click()
    expect(page.get_by_role("heading", name=re.compile("Order"))).to_contain_text(
        orders.get(shop=scene.port).reference
    )
    expect(page.get_by_text("Placed", exact=True)).to_be_visible()

    # Cancelling asks first, then tells (a real browser posts with its Origin header).
    page.get_by_role("link", name="Cancel this order").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.get_by_text(re.compile(r"Order \w+ is cancelled\."))).to_be_visible()
    assert orders.get(shop=scene.port).status == Order.Status.CANCELLED


def test_each_bookseller_gets_the_order_by_email_and_accepts_it_in_the_admin(live_server, page, localities):
    scene = reservation_scene()
    # The booksellers read their emails in English: the link then opens the English admin.
    Shop.objects.filter(pk__in=[scene.port.pk, scene.mots.pk]).update(language="en")
    references = reserve_two_books_as_guest(page, live_server.url)
    page.context.clear_cookies()  # the customer leaves; each bookseller takes over

    for shop, owner_email in ((scene.port, scene.port_owner_email), (scene.mots, scene.mots_owner_email)):
        order = Order.objects.get(reference__in=references, shop=shop)
        # The shop's email names the order and links to it in the bookseller space.
        email = OutgoingEmail.objects.get(event_key=f"order:{order.pk}:shop-new")
        assert email.to == shop.email
        assert order.reference in email.subject
        link = re.search(r"https?://\S+/en/admin/orders/order/\d+/change/", email.body_text).group(0)

        bookseller_logs_in(page, live_server.url, email=owner_email)
        page.goto(live_server.url + urlsplit(link).path)
        expect(page.get_by_role("heading", name=f"Order {order.reference}")).to_be_visible()
        page.get_by_role("button", name="Accept", exact=True).click()
        expect(
            page.get_by_text(f"Order {order.reference} is accepted; the customer has been told.")
        ).to_be_visible()
        page.context.clear_cookies()

        order.refresh_from_db()
        assert order.status == Order.Status.ACCEPTED
        assert (
            OutgoingEmail.objects.filter(to=order.customer_email, subject__contains=order.reference).count()
            == 1
        )
