"""Steps of browser tests on the bookseller's side of orders (the admin, in English).

bookseller_logs_in(page, live_server.url, email="yann@librairie-du-port.fr")
bookseller_accepts_the_order(page, live_server.url, reference=order.reference)
"""

import re

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"  # the factories' password


def bookseller_logs_in(page: Page, base_url: str, *, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/en/admin/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def bookseller_opens_the_order(page: Page, base_url: str, *, reference: str) -> None:
    """From the admin home: "Orders" (with the count of new ones), then the order's row."""
    page.goto(f"{base_url}/en/admin/")
    page.locator("#content-main tr.model-order").get_by_role("link", name=re.compile(r"^Orders\b")).click()
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", name=f"Order {reference}")).to_be_visible()


def bookseller_accepts_the_order(page: Page, base_url: str, *, reference: str) -> None:
    """The bookseller (logged in) opens the order and clicks Accept."""
    bookseller_opens_the_order(page, base_url, reference=reference)
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text(f"Order {reference} is accepted; the customer has been told.")).to_be_visible()


def bookseller_refuses_the_order(page: Page, base_url: str, *, reference: str, reason: str) -> None:
    """The bookseller (logged in) opens the order, clicks Refuse, gives the reason and confirms."""
    bookseller_opens_the_order(page, base_url, reference=reference)
    page.get_by_role("button", name="Refuse", exact=True).click()
    page.get_by_label("Why can you not serve this order?").fill(reason)
    page.get_by_role("button", name="Refuse", exact=True).click()
    expect(page.get_by_text(f"Order {reference} is refused; the customer has been told why.")).to_be_visible()
