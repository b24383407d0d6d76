"""Anyone reports an offer that looks wrong: from the book page to a small form (no
JavaScript needed), once per person while their report is open, at most ten an hour,
online offers only; the report lands in the moderators' queue and the offer stays
online until they decide."""

import functools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from catalog import moderation_services
from catalog.models import Listing, ListingReport
from catalog.moderation_selectors import listings_to_moderate_for_user
from shops.models import Shop
from tests.catalog.moderation_helpers import en, two_drives
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory, UserFactory
from tests.race import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_drives()


@pytest.fixture
def listing(world):
    return ListingFactory(
        shop=world.shop_x,
        book=BookFactory(title="Germinal", list_price=Decimal("9.90")),
        price=Decimal("9.90"),
    )


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def send_report(client, listing, *, request_meta=None, **data):
    form = {"reason": "wrong_item", "message": "", "email": "", "website": ""} | data
    return client.post(en("listing_report", listing.pk), form, **(request_meta or {}))


# --- From the book page to the form ---------------------------------------------------------


def test_each_offer_on_the_book_page_has_a_report_link(client, listing):
    drive = DriveFactory(slug="lorient-keryado", latitude=47.754, longitude=-3.39)
    client.post(en("drive_choose", drive.slug))

    page = client.get(en("book", listing.book.ean), follow=True)

    assert f'href="{en("listing_report", listing.pk)}"' in page.text
    assert "Report a problem" in page.text


def test_the_report_links_cost_the_book_page_no_query(client):
    drive = DriveFactory(slug="lorient-keryado", latitude=47.754, longitude=-3.39)
    client.post(en("drive_choose", drive.slug))
    few, many = BookFactory(), BookFactory()
    ListingFactory(book=few, shop=ShopFactory(latitude=47.75, longitude=-3.37))
    for number in range(8):
        ListingFactory(book=many, shop=ShopFactory(latitude=47.75 + number / 1000, longitude=-3.37))
    client.get(en("search"), follow=True)  # the drive's details are cached after the first page

    def queries(book):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(en("book", book.ean), follow=True)
        assert page.text.count("Report a problem<") == len(page.context["offers"])
        return len(captured)

    assert queries(few) == queries(many)


def test_the_form_names_the_offer_and_asks_what_is_wrong(client, listing):
    page = client.get(en("listing_report", listing.pk))

    assert page.status_code == 200
    assert "Germinal" in page.text
    assert "Librairie du Port" in page.text
    for label in (
        "Not the book described",
        "Price looks wrong",
        "Inappropriate or illegal content",
        "Something else",
    ):
        assert label in page.text
    assert "<div hidden>" in page.text  # the robots' field
    assert "csrfmiddlewaretoken" in page.text


# --- Sending a report --------------------------------------------------------------------------


def test_a_report_lands_in_the_queue_and_the_offer_stays_online(client, world, listing):
    response = send_report(
        client, listing, reason="wrong_price", message="Printed 7.50 €.", email="ana@example.fr"
    )

    assert response.status_code == 302
    assert response["Location"] == en("listing_report_done", listing.pk)
    report = ListingReport.objects.get()
    assert (report.listing, report.reason, report.message, report.reporter_email, report.status) == (
        listing,
        "wrong_price",
        "Printed 7.50 €.",
        "ana@example.fr",
        ListingReport.Status.OPEN,
    )
    assert len(report.reporter_fingerprint) == 64
    assert "127.0.0.1" not in report.reporter_fingerprint
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert list(listings_to_moderate_for_user(world.staff_x)) == [listing]
    assert "Thank you for your report" in client.get(response["Location"]).text


def test_something_else_needs_details(client, listing):
    response = send_report(client, listing, reason="other", message="  ")

    assert response.status_code == 200
    assert "Please tell the moderators what is wrong." in response.text
    assert not ListingReport.objects.exists()


def test_a_robot_filling_the_hidden_field_is_thanked_and_ignored(client, listing):
    response = send_report(client, listing, website="http://cheap-pills.example")

    assert response.status_code == 302
    assert not ListingReport.objects.exists()


def test_the_form_needs_its_csrf_token(listing):
    browser = Client(enforce_csrf_checks=True)

    response = send_report(browser, listing)

    assert response.status_code == 403
    assert not ListingReport.objects.exists()


def test_a_person_reports_an_offer_once_while_their_report_is_open(client, listing):
    send_report(client, listing)

    again = send_report(client, listing, reason="inappropriate")

    assert again.status_code == 200
    assert "You already reported this offer, thank you" in again.text
    assert ListingReport.objects.count() == 1


def test_another_person_may_report_the_same_offer(client, listing):
    send_report(client, listing, request_meta={"REMOTE_ADDR": "192.0.2.1"})
    send_report(client, listing, request_meta={"REMOTE_ADDR": "192.0.2.2"})

    assert ListingReport.objects.count() == 2


def test_behind_the_proxy_people_are_told_apart_by_their_forwarded_address(client, listing, settings):
    settings.TRUSTED_PROXIES = "127.0.0.0/8"  # the test client's REMOTE_ADDR is 127.0.0.1

    send_report(client, listing, request_meta={"HTTP_X_FORWARDED_FOR": "198.51.100.7"})
    send_report(client, listing, request_meta={"HTTP_X_FORWARDED_FOR": "198.51.100.8"})
    send_report(client, listing, request_meta={"HTTP_X_FORWARDED_FOR": "198.51.100.8"})

    assert ListingReport.objects.count() == 2


def test_a_logged_in_person_is_one_person_whatever_their_address(client, listing):
    client.force_login(UserFactory())
    send_report(client, listing, request_meta={"REMOTE_ADDR": "192.0.2.1"})

    send_report(client, listing, request_meta={"REMOTE_ADDR": "192.0.2.2"})

    assert ListingReport.objects.count() == 1
    assert ListingReport.objects.get().reporter is not None


def test_once_their_report_is_settled_a_person_may_report_the_offer_again(client, world, listing):
    send_report(client, listing)
    moderation_services.listing_reports_dismiss(listing=listing, by=world.staff_x)

    send_report(client, listing, reason="wrong_price")

    assert ListingReport.objects.filter(status=ListingReport.Status.OPEN).count() == 1


def test_a_person_sends_at_most_ten_reports_an_hour(client, world):
    offers = [ListingFactory(shop=world.shop_x) for _ in range(11)]
    for offer in offers[:10]:
        assert send_report(client, offer).status_code == 302

    eleventh = send_report(client, offers[10])

    assert eleventh.status_code == 200
    assert "You have sent many reports in the last hour" in eleventh.text
    assert ListingReport.objects.count() == 10

    ListingReport.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert send_report(client, offers[10]).status_code == 302


@pytest.mark.parametrize(
    "status", [Listing.Status.DRAFT, Listing.Status.PENDING, Listing.Status.REJECTED, Listing.Status.HIDDEN]
)
def test_an_offer_that_is_not_online_cannot_be_reported(client, world, status):
    offline = ListingFactory(shop=world.shop_x, status=status)

    assert client.get(en("listing_report", offline.pk)).status_code == 404
    assert send_report(client, offline).status_code == 404
    assert not ListingReport.objects.exists()


def test_an_offer_of_a_suspended_shop_cannot_be_reported(client, world, listing):
    Shop.objects.filter(pk=world.shop_x.pk).update(status=Shop.Status.SUSPENDED)

    assert client.get(en("listing_report", listing.pk)).status_code == 404
    assert send_report(client, listing).status_code == 404


def test_an_unknown_offer_is_a_404(client):
    assert client.get(en("listing_report", 999_999)).status_code == 404


# --- What the moderators do with it ---------------------------------------------------------


def test_rejecting_a_reported_offer_upholds_the_report_and_takes_the_offer_offline(client, world, listing):
    send_report(client, listing, reason="wrong_item", message="It is the abridged edition.")

    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Not the edition described.")

    assert ListingReport.objects.get().status == ListingReport.Status.UPHELD
    assert list(listings_to_moderate_for_user(world.staff_x)) == []
    assert client.get(en("listing_report", listing.pk)).status_code == 404


def test_dismissing_a_report_keeps_the_offer_online_and_out_of_the_queue(client, world, listing):
    send_report(client, listing)

    moderation_services.listing_reports_dismiss(listing=listing, by=world.staff_x)

    assert ListingReport.objects.get().status == ListingReport.Status.DISMISSED
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert list(listings_to_moderate_for_user(world.staff_x)) == []


@pytest.mark.django_db(transaction=True)
def test_reports_sent_at_once_never_pass_the_hourly_limit(world):
    offers = [ListingFactory(shop=world.shop_x) for _ in range(moderation_services.REPORTS_PER_HOUR * 2)]

    results = at_once(*[
        functools.partial(moderation_services.listing_report, listing=offer, reason="wrong_price",
                          fingerprint="the same person")
        for offer in offers
    ])  # fmt: skip

    assert ListingReport.objects.count() == moderation_services.REPORTS_PER_HOUR
    assert (
        sum(isinstance(result, moderation_services.TooManyReports) for result in results) == len(offers) // 2
    )
