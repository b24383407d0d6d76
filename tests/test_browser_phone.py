"""The customer site on a phone, in real Chromium (issue 19): at 320 and 390 px wide,
no public page is wider than the screen, and after a search the first result is on
the first screen (the header and the filters do not push it down)."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from orders.services import order_accept
from shops.models import Membership
from tests.factories import BookFactory, BooksellerFactory, DriveFactory, ListingFactory, ShopFactory, reserve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONES = {"small phone": {"width": 320, "height": 568}, "phone": {"width": 390, "height": 844}}
PASSWORD = "correct horse battery staple"  # the factories' password
BOOKSELLER = "yann@librairie-du-port.fr"


@pytest.fixture
def scene(localities):
    """A drive, a bookshop with a long name and an owner, books with long titles, and an
    order accepted (its page shows the most)."""
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    shop = ShopFactory(trade_name="Librairie-Papeterie du Port de Pêche de Keroman", latitude=47.75,
                       longitude=-3.37)  # fmt: skip
    Membership.objects.create(user=BooksellerFactory(email=BOOKSELLER), shop=shop, role=Membership.Role.OWNER)
    listings = [
        ListingFactory(shop=shop, price=Decimal("12.90"), quantity=5, book=BookFactory(
            title=f"Les Aventures extraordinaires d'Adèle Blanc-Sec et du ptérodactyle du Jardin des Plantes {n}",
            contributors=[{"name": "Jacques Tardi", "role": "author"}], list_price=Decimal("12.90"),
        ))
        for n in range(12)
    ]  # fmt: skip
    search_index_refresh()
    search_vocabulary_refresh()
    order = reserve((listings[0], 2), listings[1]).orders.get()
    order_accept(order=order, by=None)
    return {"shop": shop, "listing": listings[2], "order": order}


def overflow(page: Page) -> list[str]:
    """What sticks out of the screen on the right: the elements wider than the page, by
    their tag and class."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            const clipped = (element) => element.parentElement.closest("[style*=overflow], .chosen-drive");
            return [...document.querySelectorAll("body *")]
                .filter((element) => element.getBoundingClientRect().right > width + 1 && !clipped(element))
                .slice(0, 8)
                .map((element) => `${element.tagName.toLowerCase()}.${element.className}`);
        }"""
    )


@pytest.mark.parametrize("size", PHONES.values(), ids=PHONES.keys())
def test_no_public_page_is_wider_than_a_phone(live_server, page, scene, size):
    page.set_viewport_size(size)
    base = live_server.url
    page.goto(f"{base}/")
    page.get_by_label("Ville ou code postal").fill("Lorient")
    page.get_by_role("button", name="Trouver mon drive").click()
    page.get_by_role("button", name="Choisir Drive Lorient Keryado").click()

    pages = {
        "home": "/",
        "drives": "/drives/",
        "drive": "/drives/lorient/",
        "search": "/search/?drive=lorient&q=aventures",
        "book": f"/books/{scene['listing'].book.ean}/?drive=lorient",
        "shop": f"/bookshops/{scene['shop'].slug}/",
        "reserve": f"/reservation/add/{scene['listing'].pk}/?drive=lorient",
        "order": f"/orders/{scene['order'].token}/",
        "terms": "/reservation/terms/",
        "apply": "/shops/apply/",
        "log in": "/accounts/login/",
        "sign up": "/accounts/signup/",
        "my orders": "/orders/",
    }
    wide = {}
    for name, path in pages.items():
        page.goto(base + path)
        if sticking_out := overflow(page):
            wide[name] = sticking_out
    # The cart and the checkout, with two lines.
    page.goto(f"{base}/reservation/add/{scene['listing'].pk}/?drive=lorient")
    page.get_by_role("button", name="Ajouter à ma réservation").click()
    for name, path in {"cart": "/reservation/", "checkout": "/reservation/confirm/"}.items():
        page.goto(base + path)
        if sticking_out := overflow(page):
            wide[name] = sticking_out

    assert wide == {}


@pytest.mark.parametrize("size", PHONES.values(), ids=PHONES.keys())
def test_after_a_search_the_first_result_is_on_the_first_screen(live_server, page, scene, size):
    page.set_viewport_size(size)
    page.goto(f"{live_server.url}/search/?drive=lorient&q=aventures")

    first = page.locator(".book-result").first
    expect(first).to_be_visible()
    box = first.bounding_box()
    assert box["y"] + 40 <= size["height"], f"the first result starts at {box['y']:.0f} px"
    # The filters are one tap away, and work without JavaScript.
    page.get_by_text("Filtrer", exact=True).click()
    expect(page.get_by_label("Trier par")).to_be_visible()


@pytest.mark.parametrize("size", PHONES.values(), ids=PHONES.keys())
def test_the_menu_opens_without_javascript(live_server, browser, scene, size):
    context = browser.new_context(java_script_enabled=False, viewport=size, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/")
        header = page.locator(".site-header")
        assert header.bounding_box()["height"] <= 140
        expect(page.get_by_role("link", name="Mes commandes")).to_be_hidden()
        page.locator(".site-menu summary").click()
        expect(page.get_by_role("link", name="Mes commandes")).to_be_visible()
        assert overflow(page) == []
    finally:
        context.close()


def test_a_products_offers_start_on_the_first_screen_of_a_phone(live_server, page, scene):
    page.set_viewport_size(PHONES["phone"])

    page.goto(f"{live_server.url}/books/{scene['listing'].book.ean}/?drive=lorient")

    assert page.locator(".offer").first.bounding_box()["y"] < PHONES["phone"]["height"]


def test_the_header_is_one_line_on_a_laptop_with_or_without_a_drive(live_server, page, scene):
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/")

    assert page.locator(".site-header").bounding_box()["height"] <= 64
