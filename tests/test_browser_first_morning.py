"""A bookseller's first morning in the bookseller space, in real Chromium and in French
(issue 19): log in and see the day's work, accept two orders, set one aside, hand over
another at the counter on a phone, fix a price — and no page on the way speaks the raw
admin's words (« Sélectionnez l'objet offre à changer », « Modification de », …)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Listing
from orders.models import Order
from orders.services import order_accept, order_mark_ready
from shops.models import Membership
from tests.factories import BookFactory, BooksellerFactory, ListingFactory, ShopFactory, reserve
from tests.test_browser_phone import overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BOOKSELLER = "yann@librairie-du-port.fr"
PASSWORD = "correct horse battery staple"  # the factories' password
PHONE_SIZE = {"width": 390, "height": 844}
# What Django's admin says when nobody chose better words for booksellers.
RAW_ADMIN_WORDING = re.compile(
    r"Sélectionnez l|l['’]objet|à changer|Modification de |Ajout de |Aucun\(e\)|Select \w+ to|\bChange \w+\b",
    re.IGNORECASE,
)


def speaks_plainly(page: Page) -> None:
    text = page.locator("body").inner_text()
    found = RAW_ADMIN_WORDING.search(text)
    assert found is None, f"{page.url}: « {found.group(0)} »"
    # What a screen reader says counts too: Django's search box icon said "Search".
    english = page.locator("img[alt='Search'], [aria-label='Search'], img[alt='True'], img[alt='False']")
    assert english.count() == 0, f"{page.url}: {english.first.evaluate('(element) => element.outerHTML')}"


@pytest.fixture
def morning():
    shop = ShopFactory(trade_name="Librairie du Port")
    owner = BooksellerFactory(email=BOOKSELLER, first_name="Yann")
    Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    books = [
        ListingFactory(
            shop=shop, price=Decimal(price), quantity=4, book=BookFactory(title=title, list_price=None)
        )
        for title, price in (("Le Horla", "3.50"), ("Germinal", "9.90"), ("Nadja", "8.20"), ("Zadig", "4.00"))
    ]
    to_accept = [reserve(books[0]).orders.get(), reserve((books[1], 2)).orders.get()]
    waiting = reserve(books[2]).orders.get()
    order_accept(order=waiting, by=owner)
    order_mark_ready(order=waiting, by=owner)
    waiting.refresh_from_db()
    return {"to_accept": to_accept, "waiting": waiting, "to_fix": books[3]}


def test_a_booksellers_first_morning(live_server, page, morning):
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_label("Adresse e-mail").fill(BOOKSELLER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # The day's work comes first.
    today = page.locator(".todays-work")
    expect(today).to_contain_text("2 commandes à accepter")
    expect(today).to_contain_text("1 commande mise de côté, qui attend son client")
    speaks_plainly(page)

    # Two orders accepted, one set aside.
    for order in morning["to_accept"]:
        page.goto(f"{base}/admin/")
        page.locator(".todays-work").get_by_role("link", name=order.reference).click()
        expect(page.get_by_role("heading", name=f"Commande {order.reference}", level=1)).to_be_visible()
        speaks_plainly(page)
        page.get_by_role("button", name="Accepter", exact=True).click()
        expect(page.get_by_text(f"La commande {order.reference} est acceptée")).to_be_visible()
    page.get_by_role("button", name="Marquer comme prête").click()
    expect(page.get_by_text(re.compile(f"{morning['to_accept'][-1].reference}.*prête"))).to_be_visible()
    speaks_plainly(page)

    # At the counter, on the phone: the customer who was waiting shows their code.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="Comptoir (remettre une commande)").click()
    page.get_by_label("Code de retrait").fill(morning["waiting"].pickup_code)
    page.get_by_role("button", name="Trouver la commande").click()
    page.locator(".counter-order").get_by_role("button", name="Remettre au client").click()
    expect(page.get_by_text(f"Remise au client : {morning['waiting'].reference}.")).to_be_visible()
    speaks_plainly(page)
    assert overflow(page) == []  # the counter fits the phone

    # Back at the desk: a price to fix in the stock list.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name="Offres", exact=True).first.click()
    expect(page.get_by_role("heading", name="Vos offres", level=1)).to_be_visible()
    speaks_plainly(page)
    row = page.locator("#result_list tr").filter(has_text="Zadig")
    price = row.locator("input[name$='-price']")
    expect(price).to_have_value("4,00")
    price.fill("4,50")
    page.get_by_role("button", name="Enregistrer").click()
    expect(
        page.locator("#result_list tr").filter(has_text="Zadig").locator("input[name$='-price']")
    ).to_have_value("4,50")
    speaks_plainly(page)

    assert Listing.objects.get(pk=morning["to_fix"].pk).price == Decimal("4.50")
    statuses = {order.reference: order.status for order in Order.objects.all()}
    assert statuses == {
        morning["to_accept"][0].reference: Order.Status.ACCEPTED,
        morning["to_accept"][1].reference: Order.Status.READY,
        morning["waiting"].reference: Order.Status.COLLECTED,
    }


LAPTOP_AND_TABLETS = {
    "laptop": {"width": 1366, "height": 900},
    "tablet-landscape": {"width": 1024, "height": 768},
    "tablet-portrait": {"width": 768, "height": 1024},
}


@pytest.mark.parametrize("size", LAPTOP_AND_TABLETS.values(), ids=LAPTOP_AND_TABLETS.keys())
def test_the_booksellers_tables_fit_a_laptop_and_a_tablet(live_server, page, morning, size):
    """The pages a bookseller works in all day are never wider than the screen: no column
    of the stock list or of the orders out of reach on a tablet."""
    page.set_viewport_size(size)
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_label("Adresse e-mail").fill(BOOKSELLER)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".todays-work")).to_be_visible()
    assert overflow(page) == [], "home"

    order = morning["to_accept"][0]
    for name, path in {
        "stock list": "/admin/catalog/listing/",
        "orders": "/admin/orders/order/",
        "an order": f"/admin/orders/order/{order.pk}/change/",
        "a listing": f"/admin/catalog/listing/{morning['to_fix'].pk}/change/",
        "imports": "/admin/catalog/stockimport/",
        "counter": "/counter/",
    }.items():
        page.goto(f"{base}{path}")
        speaks_plainly(page)
        assert overflow(page) == [], name
        assert cut_off(page) == [], name


def cut_off(page: Page) -> list[str]:
    """The boxes whose content is wider than they are: a table in a box that scrolls
    sideways fits the page, but its last columns are out of sight."""
    return page.evaluate(
        """() => [...document.querySelectorAll("#changelist-form, .results, #result_list, fieldset, .module")]
            .filter((box) => box.scrollWidth > box.clientWidth + 1)
            .map((box) => `${box.tagName.toLowerCase()}#${box.id}.${box.className}: `
                + `${box.scrollWidth} > ${box.clientWidth}`)"""
    )
