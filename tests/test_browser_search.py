"""A customer in real Chromium, in French: choose the drive, search, open a book, see the shops."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_finds_a_book_near_lorient_in_two_steps(live_server, page, localities):
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    lanester = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.77, longitude=-3.32)
    book = BookFactory(title="Le Château de ma mère", contributors=[{"name": "Marcel Pagnol", "role": "author"}],
                       list_price=Decimal("7.90"))  # fmt: skip
    ListingFactory(shop=port, book=book, price=Decimal("7.90"), quantity=2)
    ListingFactory(shop=lanester, book=book, price=Decimal("7.50"), quantity=1)
    search_index_refresh()
    search_vocabulary_refresh()

    # Step 1: the drive, found by its town.
    page.goto(live_server.url + "/")
    page.get_by_label("Ville ou code postal").fill("Lorient")
    page.get_by_role("button", name="Trouver mon drive").click()
    page.get_by_role("button", name="Choisir Drive Lorient Keryado").click()
    expect(page.get_by_text("Votre drive :")).to_be_visible()

    # Step 2: the book, typed without its accent.
    page.get_by_role("searchbox", name="Chercher un produit").fill("chateau")
    page.get_by_role("searchbox", name="Chercher un produit").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 produit")
    page.get_by_role("link", name="Le Château de ma mère").click()

    # The nearby shops that have it, nearest first.
    expect(page.get_by_role("heading", name="Le Château de ma mère")).to_be_visible()
    shops = page.locator(".offer__shop strong")
    expect(shops).to_have_text(["Librairie du Port", "Les Mots Voyageurs"])
    expect(page.get_by_text("Dernier exemplaire")).to_be_visible()
    expect(page.get_by_text(re.compile(r"7,50\s€"))).to_be_visible()
