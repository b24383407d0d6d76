"""A bookseller keeps their stock in real Chromium: list a book by ISBN, change its quantity."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Listing
from shops.models import Membership
from tests.factories import BookFactory, BooksellerFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bookseller_lists_a_book_by_isbn_then_changes_its_quantity_in_the_list(live_server, page):
    shop = ShopFactory(trade_name="Librairie du Port")
    bookseller = BooksellerFactory(email="yann@librairie-du-port.fr")
    Membership.objects.create(user=bookseller, shop=shop, role=Membership.Role.OWNER)
    BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))

    page.goto(f"{live_server.url}/en/admin/")
    page.get_by_label("Email address").fill("yann@librairie-du-port.fr")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()

    # Scan (or type) the ISBN: the catalogue knows the book and its publisher's price.
    page.get_by_role("link", name="Listings").click()
    page.get_by_role("link", name="Add a product").click()
    page.get_by_label("ISBN or EAN").fill("2-07-036822-X")
    page.get_by_label("ISBN or EAN").press("Enter")
    expect(page.get_by_role("heading", name="L'Étranger")).to_be_visible()
    expect(page.get_by_label("Price (€, incl. tax)")).to_have_value("7.50")
    page.get_by_label("Copies in stock").fill("3")
    page.get_by_role("button", name="Add to my stock").click()
    expect(page.get_by_text("“L'Étranger” is listed with 3 copies (published).")).to_be_visible()

    # Change the quantity right in the stock list.
    quantity = page.locator("input[name='form-0-quantity']")
    expect(quantity).to_have_value("3")
    quantity.fill("7")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("input[name='form-0-quantity']")).to_have_value("7")

    listing = Listing.objects.get(shop=shop)
    assert (listing.quantity, listing.price, listing.status) == (7, Decimal("7.50"), Listing.Status.PUBLISHED)


def test_a_bookseller_loads_a_till_export_previews_it_and_applies_it(live_server, page, tmp_path):
    shop = ShopFactory(trade_name="Librairie du Port")
    bookseller = BooksellerFactory(email="yann@librairie-du-port.fr")
    Membership.objects.create(user=bookseller, shop=shop, role=Membership.Role.OWNER)
    BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))
    export = tmp_path / "stock.csv"  # what French Excel writes: semicolons, Windows-1252
    export.write_bytes(
        "EAN;Titre;Qté;Prix\r\n9782070368228;L'Étranger;4;7,50\r\n12345;Inconnu;1;3\r\n".encode("cp1252")
    )

    page.goto(f"{live_server.url}/en/admin/")
    page.get_by_label("Email address").fill("yann@librairie-du-port.fr")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Stock imports").click()
    page.get_by_role("link", name="Import a stock file").click()
    page.get_by_label("Stock file").set_input_files(export)
    page.get_by_role("button", name="Check the file").click()

    # The preview says what each line would do; nothing is applied yet.
    expect(page.get_by_role("heading", name="Ready to apply")).to_be_visible()
    expect(page.get_by_text("An ISBN has 10 or 13 characters")).to_be_visible()
    assert not Listing.objects.exists()
    page.get_by_role("button", name="Apply this import").click()

    expect(page.get_by_role("heading", name="Applied")).to_be_visible()
    assert Listing.objects.get(shop=shop).quantity == 4


def test_a_till_file_with_one_line_in_another_encoding_is_previewed_honestly(live_server, page, tmp_path):
    shop = ShopFactory(trade_name="Librairie du Port")
    bookseller = BooksellerFactory(email="yann@librairie-du-port.fr")
    Membership.objects.create(user=bookseller, shop=shop, role=Membership.Role.OWNER)
    BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))
    export = tmp_path / "stock.csv"  # UTF-8, but one line typed in another program (Latin-1)
    export.write_bytes(
        "EAN;Titre;Quantité;Prix;Prix public;État\n".encode()
        + "9782070368228;L'Étranger;4;7,50;7,50;neuf\n".encode()
        + b"9782070360024;La Peste;2;9,10;9,10;neuf\n"
        + "9782070408504;La Chute d'été;1;6,90;6,90;neuf\n".encode("latin-1")
    )

    page.goto(f"{live_server.url}/en/admin/")
    page.get_by_label("Email address").fill("yann@librairie-du-port.fr")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Stock imports").click()
    page.get_by_role("link", name="Import a stock file").click()
    page.get_by_label("Stock file").set_input_files(export)
    page.get_by_role("button", name="Check the file").click()

    # The preview names the encoding, the one line it could not read, and the listing
    # that will wait for moderation (La Peste: the catalogue has no publisher's price).
    expect(page.get_by_role("heading", name="Ready to apply")).to_be_visible()
    expect(page.get_by_text("UTF-8", exact=False).first).to_be_visible()
    expect(page.get_by_text("1 listing will wait for moderation", exact=False)).to_be_visible()
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    page.get_by_role("button", name="Apply this import").click()

    expect(page.get_by_role("heading", name="Applied")).to_be_visible()
    quantities = dict(Listing.objects.filter(shop=shop).values_list("book__ean", "quantity"))
    assert quantities == {"9782070368228": 4, "9782070360024": 2}  # line 4 refused alone
