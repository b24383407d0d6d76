"""Moderation in real Chromium: a drive's moderator rejects a listing held by a rule, with
a ready-made reason and words of their own; the bookseller reads the reason on the
listing, lowers the price and resubmits it; the listing is back in the queue."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Listing
from catalog.moderation_selectors import listings_to_moderate_for_user
from tests.catalog.moderation_helpers import held_listing, ready_made_reason, two_drives
from tests.orders.admin_helpers import bookseller_logs_in as logs_in  # the admin's login, whoever it is

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_rejects_a_listing_and_the_bookseller_corrects_and_resubmits_it(live_server, page):
    world = two_drives()
    listing = held_listing(world.shop_x, title="Germinal", price=Decimal("12.00"), list_price=Decimal("9.90"))
    held_listing(world.shop_y, title="Nana")  # in Vannes: not this moderator's town
    ready_made_reason()

    # The moderator of the Lorient drive: the queue, the listing, Reject with a reason.
    logs_in(page, live_server.url, email="camille@lorient.example")
    page.locator("#content-main").get_by_role("link", name=re.compile(r"^Listings to moderate")).click()
    expect(page.locator("#result_list")).to_contain_text("Librairie du Port")
    expect(page.locator("#result_list")).not_to_contain_text("Nana")
    expect(page.locator("#result_list")).not_to_contain_text("Les Mots Voyageurs")
    page.get_by_role("link", name=re.compile(r"Germinal")).click()
    expect(page.get_by_text("Used copy priced above the new book")).to_be_visible()
    page.get_by_role("button", name="Reject", exact=True).click()
    page.get_by_label("Ready-made reason").select_option(label="Price above the new book")
    page.get_by_label("Your words").fill("The new book costs 9.90 €.")
    page.get_by_role("button", name="Reject this listing").click()
    expect(page.get_by_text("“Germinal” is rejected; the shop has been told why.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The bookseller: the reason in the stock list and on the listing's page.
    logs_in(page, live_server.url, email="yann@port.example")
    page.locator("#content-main").get_by_role("link", name="Listings", exact=True).click()
    row = page.locator("#result_list tbody tr", has_text="Germinal")
    expect(row).to_contain_text("Rejected by the moderators: A used copy cannot cost more than the new book.")
    row.get_by_role("link", name="Germinal").click()
    expect(page.locator(".listing-rejected")).to_contain_text("The new book costs 9.90 €.")
    expect(page.get_by_role("heading", name="History of moderation decisions")).to_be_visible()

    # Lower the price, save, resubmit.
    page.locator("#id_price").fill("6.00")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator("#id_price")).to_have_value("6.00")
    page.get_by_role("button", name="Resubmit for moderation").click()
    expect(page.get_by_text("“Germinal” is back in the moderators' queue.")).to_be_visible()

    listing.refresh_from_db()
    assert (listing.status, listing.price) == (Listing.Status.PENDING, Decimal("6.00"))
    assert list(listings_to_moderate_for_user(world.staff_x)) == [listing]
    assert list(listing.status_changes.values_list("to_status", flat=True)) == ["rejected", "pending"]


def test_head_office_opens_the_whole_network_s_dashboard_from_the_admin_home(live_server, page):
    world = two_drives()

    logs_in(page, live_server.url, email=world.head_office.email)
    page.get_by_role("link", name=re.compile(r"^Dashboard")).click()

    expect(page.get_by_role("heading", name="Dashboard — whole network")).to_be_visible()
    expect(page.get_by_role("link", name="Drive Lorient")).to_be_visible()
    expect(page.get_by_role("link", name="Drive Vannes")).to_be_visible()
    expect(page.locator("svg").first).to_be_visible()  # the weekly charts
