"""Privacy in real Chromium: after a whole reservation the browser holds only the cookies
the site cannot work without (scripts' cookies included, which the test client of
tests/privacy/test_cookies.py cannot see), and the privacy page reads on a phone."""

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tests.test_browser_reservation import PHONE_SIZE, reservation_scene, reserve_two_books_as_guest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Wider than the window: the page scrolls sideways, its end cut off on a phone.
SCROLLS_SIDEWAYS = "document.documentElement.scrollWidth > window.innerWidth"
# The narrowest cell of the register's table, in pixels.
NARROWEST_CELL = """[...document.querySelectorAll('.privacy-register td')]
  .reduce((narrowest, cell) => Math.min(narrowest, cell.getBoundingClientRect().width), Infinity)"""


def strictly_necessary() -> set[str]:
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME}


def test_after_a_reservation_the_browser_holds_only_strictly_necessary_cookies(live_server, page, localities):
    reservation_scene()

    reserve_two_books_as_guest(page, live_server.url)
    page.locator(".order-card").filter(has_text="Librairie du Port").get_by_role(
        "link", name="Follow or cancel this order"
    ).click()
    expect(page.get_by_role("heading", name=re.compile("Order"))).to_be_visible()

    cookies = page.context.cookies()  # every cookie of every site, scripts' ones included
    assert {cookie["name"] for cookie in cookies} <= strictly_necessary(), cookies
    assert {cookie["domain"] for cookie in cookies} == {"localhost"}  # nothing from another site
    session = next(cookie for cookie in cookies if cookie["name"] == settings.SESSION_COOKIE_NAME)
    assert session["httpOnly"]
    assert all(cookie["sameSite"] == "Lax" for cookie in cookies), cookies
    assert settings.SESSION_COOKIE_NAME not in page.evaluate("document.cookie")


@pytest.mark.parametrize("address", ["/privacy/", "/en/privacy/"])
def test_the_privacy_page_reads_on_a_phone_without_scrolling_sideways(live_server, page: Page, address):
    page.set_viewport_size(PHONE_SIZE)

    page.goto(live_server.url + address)

    expect(page.locator(".privacy-register")).to_be_visible()
    assert not page.evaluate(SCROLLS_SIDEWAYS)
    table = page.locator(".privacy-register").bounding_box()
    assert table["x"] >= 0
    assert table["x"] + table["width"] <= PHONE_SIZE["width"]
    # One kind of data after the other, each cell the screen's width: three columns of a
    # third of a phone each would break nearly every word.
    assert page.evaluate(NARROWEST_CELL) >= PHONE_SIZE["width"] / 2
    expect(page.locator("#kept-orders td").nth(2)).to_contain_text(re.compile(r"\b365\b"))
