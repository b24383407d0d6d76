"""The Content-Security-Policy in real Chromium: one page of each kind, opened by the
person who uses it, comes with the policy, shows with its style sheets and pictures, and
the browser refuses nothing on it (the `page` fixture also fails any browser test during
which the policy refused something)."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import Page, expect

from catalog.services import book_set_cover
from tests.marketplace.page_helpers import en, small_site
from tests.orders.admin_helpers import bookseller_logs_in
from tests.pickup.counter_helpers import set_aside

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BRAND_GREEN = "rgb(11, 93, 87)"  # the site's header (static/css/site.css)

# Null for a style sheet the browser did not apply.
STYLE_SHEETS_APPLIED = "[...document.querySelectorAll('link[rel=stylesheet]')].every((link) => link.sheet)"


@pytest.fixture
def site():
    """The small site, with a cover for its book and a logo for its shop (uploads, served
    from MEDIA_URL), deleted afterwards."""
    site = small_site()
    book_set_cover(book=site.book, cover=picture("cover.png"))
    site.shop.logo.save("logo.png", picture("logo.png"))
    yield site
    for upload in (site.book.cover, site.book.cover_thumbnail, site.shop.logo):
        default_storage.delete(upload.name)


def picture(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 180), "#0b5d57").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def visit(page: Page, url: str, *, heading: str | re.Pattern | None, status: int = 200) -> None:
    """Open `url`: it comes with the policy and shows `heading` (level 1), styled."""
    response = page.goto(url)
    assert response.status == status, url
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
    if heading is not None:
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert page.evaluate(STYLE_SHEETS_APPLIED), url


def expect_picture_shown(image) -> None:
    assert image.evaluate("(img) => img.decode().then(() => img.naturalWidth > 0, () => false)")


def expect_nothing_refused(csp_violations: list[str], where: str) -> None:
    assert csp_violations == [], where


def test_a_customer_s_pages_from_the_home_page_to_the_order(live_server, page, csp_violations, site):
    base = live_server.url

    visit(page, f"{base}{en('home')}", heading="Your town's shops, at your drive")
    expect(page.locator(".site-header")).to_have_css("background-color", BRAND_GREEN)
    visit(page, f"{base}{en('drives')}", heading="Choose your drive")
    visit(page, f"{base}{en('drive', site.drive.slug)}", heading=site.drive.name)

    visit(page, f"{base}{en('search')}?drive={site.drive.slug}&q=etranger", heading=re.compile("etranger"))
    expect_picture_shown(page.locator(".book-result__cover img").first)
    page.get_by_role("link", name=site.book.title).first.click()
    expect(page.get_by_role("heading", name=site.book.title, level=1)).to_be_visible()
    expect_picture_shown(page.locator(".book__cover img"))
    expect_nothing_refused(csp_violations, "search results and book page")

    visit(page, f"{base}{en('shop', site.shop.slug)}", heading=site.shop.trade_name)
    expect_picture_shown(page.locator(".shop-profile__logo"))

    # Reserving: the book page's "Reserve", then the cart and the checkout.
    page.go_back()
    page.locator(".offer").get_by_role("link", name=re.compile("^Reserve")).click()
    page.get_by_label("Copies").select_option("1")
    page.get_by_role("button", name="Add to my reservation").click()
    expect(page.locator(".messages")).to_contain_text("is in your reservation")
    visit(page, f"{base}{en('cart')}", heading="My reservation")
    visit(page, f"{base}{en('checkout')}", heading="Confirm my reservation")
    visit(page, f"{base}{en('order', site.order.token)}", heading=re.compile(site.order.reference))

    visit(page, f"{base}{en('customer_login')}", heading="Log in")
    visit(page, f"{base}{en('customer_signup')}", heading="Create an account")
    visit(page, f"{base}{en('shops:apply')}", heading=re.compile("your shop", re.IGNORECASE))
    visit(page, f"{base}{en('home')}no-such-page/", heading="Not Found", status=404)
    expect_nothing_refused(csp_violations, "the customer's pages")


def test_a_bookseller_s_pages_the_counter_orders_and_api_keys(live_server, page, csp_violations, site):
    base = live_server.url
    bookseller_logs_in(page, base, email=site.bookseller.email)

    # The admin's home: the way to the counter, the count of new orders in the menu.
    visit(page, f"{base}{en('admin:index')}", heading="Back office")
    expect(page.get_by_role("link", name="Counter (hand over an order)")).to_have_css("font-size", "16px")
    expect(page.locator(".menu-count").first).to_have_css("background-color", "rgb(186, 33, 33)")

    visit(page, f"{base}{en('admin:orders_order_changelist')}", heading="Orders")
    expect(page.locator(".order-status").first).to_have_css("border-radius", "10px")
    order_page = f"{base}{en('admin:orders_order_change', site.order.pk)}"
    visit(page, order_page, heading=f"Order {site.order.reference}")
    visit(page, f"{base}{en('admin:catalog_listing_changelist')}", heading=re.compile("listing", re.I))

    order = set_aside(site.order, by=site.bookseller)
    visit(page, f"{base}{en('counter')}", heading="Counter")
    page.get_by_label("Pickup code").fill(order.pickup_code)
    page.get_by_role("button", name="Find the order").click()
    expect(page.locator(".counter-order")).to_contain_text(site.book.title)

    # A new API key is shown once; focusing it selects it all, ready to copy.
    page.goto(f"{base}{en('admin:shops_shopapitoken_add')}")
    page.get_by_label("Shop").select_option(label=str(site.shop))
    page.get_by_label("Name").fill("Till")
    page.get_by_role("button", name="Save", exact=True).click()
    key = page.get_by_label("API key")
    key.focus()
    assert key.evaluate("(field) => field.selectionStart === 0 && field.selectionEnd === field.value.length")
    expect(key).to_have_css("font-family", "monospace")
    expect_nothing_refused(csp_violations, "the bookseller's pages")


def test_head_office_s_pages_the_admin_s_widgets_and_the_dashboards(live_server, page, csp_violations, site):
    base = live_server.url
    visit(page, f"{base}{en('admin:login')}", heading=None)  # the site's name is its only title
    expect(page.get_by_role("link", name="Drive Solidaire — back office")).to_be_visible()
    bookseller_logs_in(page, base, email=site.head_office.email)

    # A change form with the admin's widgets at work.
    visit(
        page,
        f"{base}{en('admin:shops_shop_change', site.shop.pk)}",
        heading=re.compile(re.escape(site.shop.trade_name)),
    )
    expect(page.locator("#id_drives_from")).to_be_visible()  # the two-box drives selector
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.get_by_role("button", name="Add another Exceptional closure").click()
    expect(page.locator("#closures-0")).to_be_visible()
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    expect_nothing_refused(csp_violations, "the shop's change form")

    visit(page, f"{base}{en('dashboard_network')}", heading=re.compile("network", re.IGNORECASE))
    expect(page.locator(".dashboard-figures")).to_have_css("display", "grid")
    expect(page.locator(".dashboard-chart svg").first).to_be_visible()
    visit(page, f"{base}{en('dashboard_drive', site.drive.slug)}", heading=re.compile(site.drive.name))
    visit(page, f"{base}{en('dashboard_shop', site.shop.pk)}", heading=re.compile(site.shop.trade_name))
    expect_nothing_refused(csp_violations, "the dashboards")


def test_the_api_s_documentation_runs_a_request_and_its_pages_show(live_server, page, csp_violations, site):
    response = page.goto(f"{live_server.url}{en('api-docs')}")

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name=re.compile("Drive Solidaire API"))).to_be_visible()
    expect(page.locator("body")).to_have_css("background-color", "rgb(250, 250, 250)")
    operation = page.locator(".opblock").filter(has_text="/api/v1/drives/").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table .response .response-col_status")).to_have_text("200")
    expect_nothing_refused(csp_violations, "the API documentation")

    # An address of the API opened in a browser: Django REST framework's page.
    visit(page, f"{live_server.url}/api/v1/drives/", heading="Drive List")
    expect(page.locator(".response-info")).to_contain_text(site.drive.name)
