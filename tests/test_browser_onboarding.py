"""The onboarding loop in real Chromium: apply, be approved, set a password, log in."""

import re

import pytest
from playwright.sync_api import expect

from marketplace.models import OutgoingEmail
from shops.models import Shop
from tests.factories import ChainStaffFactory, DriveFactory, ShopFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def drives(localities):
    return [
        DriveFactory(name="Drive Lorient Keryado", slug="lorient", latitude=47.754, longitude=-3.39),
        DriveFactory(name="Drive Lanester", slug="lanester", latitude=47.766, longitude=-3.321),
    ]


def fill_in_the_application(page, base_url):
    page.goto(f"{base_url}/en/shops/apply/")
    page.get_by_label("Shop name").fill("Les Mots Voyageurs")
    page.get_by_label("Legal name").fill("SAS Les Mots Voyageurs")
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_role("checkbox", name="Bookshop").check()
    page.get_by_label("Address", exact=True).fill("4 place Delaune")
    page.get_by_label("Postcode").fill("56100")
    # As the postcode is typed, the nearest drives appear, the nearest one ticked.
    nearest = page.get_by_role("checkbox", name=re.compile("Drive Lorient Keryado"))
    expect(nearest).to_be_checked()
    page.get_by_role("checkbox", name=re.compile("Drive Lanester")).check()
    page.get_by_label("Town").fill("Lorient")
    page.get_by_label("Shop phone").fill("02 97 64 12 34")
    page.get_by_label("Shop email").fill("contact@mots-voyageurs.fr")
    page.get_by_label("Contact's first name").fill("Yann")
    page.get_by_label("Contact's last name").fill("Le Gall")
    page.get_by_label("Contact's email").fill("yann@mots-voyageurs.fr")
    page.get_by_role("button", name="Send my application").click()


def test_a_bookshop_fills_in_the_application_and_sees_the_confirmation(live_server, page, drives):
    fill_in_the_application(page, live_server.url)

    expect(page.get_by_role("heading", name="Thank you, your application has been received")).to_be_visible()
    expect(page.get_by_text("yann@mots-voyageurs.fr")).to_be_visible()
    shop = Shop.objects.get()
    assert shop.status == Shop.Status.PENDING
    assert {drive.name for drive in shop.drives.all()} == {"Drive Lorient Keryado", "Drive Lanester"}


def test_apply_then_approval_then_password_then_the_bookseller_sees_only_their_shop(
    live_server, page, drives
):
    ShopFactory(trade_name="Librairie Voisine", status=Shop.Status.APPROVED)
    ChainStaffFactory(email="camille@chain.example")
    fill_in_the_application(page, live_server.url)
    expect(page.get_by_role("heading", name="Thank you, your application has been received")).to_be_visible()

    # The chain's staff approve the application in the admin.
    page.goto(f"{live_server.url}/en/admin/")
    page.get_by_label("Email address").fill("camille@chain.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Shops", exact=True).click()
    page.get_by_role("link", name="Les Mots Voyageurs").click()
    page.get_by_role("link", name="Approve").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("is approved; its owner has been sent a link")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The new owner follows the link of the approval email and chooses a password.
    email = OutgoingEmail.objects.get(to="yann@mots-voyageurs.fr", subject__contains="now on Drive Solidaire")
    assert email.status == OutgoingEmail.Status.SENT
    link = re.search(r"http://\S+/set-password/\S+/", email.body_text).group(0)
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    page.get_by_label("New password", exact=True).fill("A-long-bookshop-secret")
    page.get_by_label("New password confirmation").fill("A-long-bookshop-secret")
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_text("Your password has been set")).to_be_visible()

    # They log in and find their own shop, and only theirs.
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill("yann@mots-voyageurs.fr")
    page.get_by_label("Password").fill("A-long-bookshop-secret")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Shops", exact=True).click()
    expect(page.get_by_role("link", name="Les Mots Voyageurs")).to_be_visible()
    expect(page.get_by_text("Librairie Voisine")).to_have_count(0)
