"""The "Listings to moderate" queue in the admin: what it lists and in which order, its
filters and their counts, the bulk actions (exactly the selected rows), a listing's page
and its decisions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from catalog.models import Listing, ListingReport
from marketplace.models import OutgoingEmail
from tests.catalog.moderation_helpers import (
    en,
    held_listing,
    ready_made_reason,
    report,
    reported_listing,
    two_drives,
)
from tests.factories import BookFactory, ListingFactory

pytestmark = pytest.mark.django_db

QUEUE = "admin:catalog_listingtomoderate_changelist"


@pytest.fixture
def world():
    return two_drives()


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def waiting_for(listing, days):
    Listing.objects.filter(pk=listing.pk).update(status_changed_at=timezone.now() - timedelta(days=days))


def rows(response) -> list[Listing]:
    return list(response.context["cl"].result_list)


def act(client, action, listings, **extra):
    return client.post(
        en(QUEUE),
        {
            "action": action,
            helpers.ACTION_CHECKBOX_NAME: [listing.pk for listing in listings],
            "index": 0,
            **extra,
        },
    )


# --- What the queue lists -------------------------------------------------------------------


def test_the_queue_lists_held_and_reported_listings_the_longest_waiting_first(client, world):
    recent = held_listing(world.shop_x, title="Recent")
    old = held_listing(world.shop_x, title="Old")
    waiting_for(old, 9)
    reported = reported_listing(world.shop_x, title="Reported")
    ListingReport.objects.filter(listing=reported).update(created_at=timezone.now() - timedelta(days=3))
    ListingFactory(shop=world.shop_x)  # online, nobody reported it
    ListingFactory(shop=world.shop_x, status=Listing.Status.REJECTED)
    ListingFactory(shop=world.shop_x, status=Listing.Status.DRAFT)
    client.force_login(world.staff_x)

    response = client.get(en(QUEUE))

    assert response.status_code == 200
    assert rows(response) == [old, reported, recent]


def test_a_settled_report_leaves_the_queue(client, world):
    listing = reported_listing(world.shop_x)
    ListingReport.objects.update(status=ListingReport.Status.DISMISSED)
    client.force_login(world.staff_x)

    assert rows(client.get(en(QUEUE))) == []
    assert listing.status == Listing.Status.PUBLISHED


def test_a_row_shows_the_book_the_prices_the_flags_and_the_reports(client, world):
    listing = held_listing(world.shop_x, title="Germinal", price=Decimal("12.00"), list_price=Decimal("9.90"))
    report(listing, reason=ListingReport.Reason.WRONG_PRICE, fingerprint="a")
    report(listing, reason=ListingReport.Reason.OTHER, fingerprint="b")
    client.force_login(world.staff_x)

    page = client.get(en(QUEUE)).text

    assert "Germinal" in page
    assert listing.book.isbn in page
    assert "Drive Lorient" in page
    assert '<strong class="price-above">€12.00</strong> / €9.90' in page
    assert "Used copy priced above the new book" in page
    assert "2 reports: Price looks wrong, Something else" in page


def test_the_menu_and_the_home_page_count_the_listings_waiting(client, world, rf):
    held_listing(world.shop_x)
    reported_listing(world.shop_x)
    client.force_login(world.staff_x)

    home = client.get(en("admin:index"))

    assert 'title="2 listings to moderate">2</span>' in home.text
    request = RequestFactory().get("/")
    request.user = world.staff_x
    tag = Template("{% load catalog_admin %}{% listings_to_moderate %}").render(Context({"request": request}))
    assert "2 listings are waiting for moderation." in tag
    assert en(QUEUE) in tag


# --- Filters and counts -------------------------------------------------------------------


def test_head_office_filters_the_queue_by_drive(client, world):
    in_x, in_y = held_listing(world.shop_x), held_listing(world.shop_y)
    client.force_login(world.head_office)

    response = client.get(en(QUEUE, query=f"drive={world.drive_y.pk}"))

    assert rows(response) == [in_y]
    assert in_x not in rows(response)
    assert "Drive Lorient (1)" in response.text  # the counts of the other choices
    assert "Drive Vannes (1)" in response.text


def test_the_queue_filters_by_how_long_listings_have_waited(client, world):
    today, days, weeks = (held_listing(world.shop_x) for _ in range(3))
    waiting_for(days, 3)
    waiting_for(weeks, 12)
    client.force_login(world.staff_x)

    def waiting(value):
        return rows(client.get(en(QUEUE, query=f"waiting={value}")))

    assert (waiting("under-2-days"), waiting("2-to-7-days"), waiting("over-a-week")) == (
        [today],
        [days],
        [weeks],
    )
    page = client.get(en(QUEUE)).text
    assert "less than 2 days (1)" in page
    assert "2 to 7 days (1)" in page
    assert "over a week (1)" in page


def test_the_queue_filters_by_flag_and_by_report_reason_with_their_counts(client, world):
    flagged = held_listing(world.shop_x)
    untitled = ListingFactory(
        shop=world.shop_x,
        book=BookFactory(title=""),
        status=Listing.Status.PENDING,
        moderation_flags=[Listing.Flag.MISSING_TITLE],
    )
    wrong_price = reported_listing(world.shop_x, reason=ListingReport.Reason.WRONG_PRICE)
    client.force_login(world.staff_x)

    by_flag = client.get(en(QUEUE, query="why=flag:used_above_new_price"))
    by_report = client.get(en(QUEUE, query="why=report:wrong_price"))

    assert rows(by_flag) == [flagged]
    assert rows(by_report) == [wrong_price]
    assert "The book has no title (1)" in by_flag.text
    assert "Reported: Price looks wrong (1)" in by_flag.text
    assert "Reported: Inappropriate or illegal content (0)" in by_flag.text
    assert untitled in rows(client.get(en(QUEUE, query="why=flag:missing_title")))


def test_a_shop_filter_lists_the_shops_in_the_queue(client, world):
    held_listing(world.shop_x)
    held_listing(world.shop_y)
    client.force_login(world.head_office)

    response = client.get(en(QUEUE, query=f"shop__id__exact={world.shop_y.pk}"))

    assert [listing.shop for listing in rows(response)] == [world.shop_y]


# --- Bulk actions ------------------------------------------------------------------------------


def test_publishing_applies_to_exactly_the_selected_listings(client, world):
    first, second, third = (held_listing(world.shop_x, title=title) for title in ("Un", "Deux", "Trois"))
    client.force_login(world.staff_x)

    response = act(client, "approve_selected", [first, third])

    assert response.status_code == 302
    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert (statuses[first.pk], statuses[second.pk], statuses[third.pk]) == (
        "published",
        "pending",
        "published",
    )
    assert rows(client.get(en(QUEUE))) == [second]


def test_rejecting_asks_a_reason_for_exactly_the_selected_listings(client, world):
    first, _second, third = (held_listing(world.shop_x, title=title) for title in ("Un", "Deux", "Trois"))
    client.force_login(world.staff_x)

    response = act(client, "reject_selected", [first, third])

    assert response.status_code == 200
    assert response.context["listings"] == [first, third]
    assert "Reject these 2 listings" in response.text
    assert not Listing.objects.filter(status=Listing.Status.REJECTED).exists()


def test_a_ready_made_reason_and_typed_words_reach_the_shop(client, world, capture_on_commit, mailoutbox):
    first, second, third = (held_listing(world.shop_x, title=title) for title in ("Un", "Deux", "Trois"))
    reason = ready_made_reason()
    client.force_login(world.staff_x)

    with capture_on_commit():
        response = act(
            client,
            "reject_selected",
            [first, third],
            apply="1",
            template=reason.pk,
            reason="Check the back cover.",
        )

    assert response.status_code == 302
    expected = "A used copy cannot cost more than the new book.\n\nCheck the back cover."
    for listing in (first, third):
        listing.refresh_from_db()
        assert listing.status == Listing.Status.REJECTED
        assert listing.status_changes.get().reason == expected
    second.refresh_from_db()
    assert second.status == Listing.Status.PENDING
    [email] = mailoutbox
    assert email.to == ["port@example.org"]
    assert expected in email.body
    assert "Un" in email.body
    assert "Trois" in email.body
    assert "Deux" not in email.body


def test_rejecting_without_a_reason_changes_nothing(client, world):
    listing = held_listing(world.shop_x)
    client.force_login(world.staff_x)

    response = act(client, "reject_selected", [listing], apply="1", reason="")

    assert response.status_code == 200
    assert "Pick a ready-made reason or write one" in response.text
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert not OutgoingEmail.objects.exists()


def test_dismissing_reports_keeps_exactly_the_selected_listings_online(client, world):
    first, second = reported_listing(world.shop_x, title="Un"), reported_listing(world.shop_x, title="Deux")
    client.force_login(world.staff_x)

    act(client, "dismiss_reports_selected", [first])

    assert first.reports.get().status == ListingReport.Status.DISMISSED
    assert second.reports.get().status == ListingReport.Status.OPEN
    assert Listing.objects.filter(status=Listing.Status.PUBLISHED).count() == 2
    assert rows(client.get(en(QUEUE))) == [second]


# --- A listing's page ------------------------------------------------------------------------


def test_a_listings_page_shows_its_book_flags_reports_and_history(client, world):
    listing = held_listing(world.shop_x, title="Germinal")
    report(listing, reason=ListingReport.Reason.WRONG_ITEM, message="It is the abridged edition.")
    client.force_login(world.staff_x)

    page = client.get(en("admin:catalog_listingtomoderate_change", listing.pk))

    assert page.status_code == 200
    assert "Germinal" in page.text
    assert "Used copy priced above the new book" in page.text
    assert "It is the abridged edition." in page.text
    assert "Nobody has reported" not in page.text
    assert [
        button
        for button in ("Approve", "Reject", "Dismiss the reports")
        if f">{button}</button>" in page.text
    ] == [
        "Approve",
        "Reject",
        "Dismiss the reports",
    ]


def test_approving_from_the_listings_page_publishes_it(client, world):
    listing = held_listing(world.shop_x)
    client.force_login(world.staff_x)

    response = client.post(en("admin:catalog_listingtomoderate_decide", listing.pk, "approve"))

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED


def test_approving_needs_a_post(client, world):
    listing = held_listing(world.shop_x)
    client.force_login(world.staff_x)

    client.get(en("admin:catalog_listingtomoderate_decide", listing.pk, "approve"))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING


def test_rejecting_from_the_listings_page_asks_the_reason_then_keeps_it_in_the_history(client, world):
    listing = held_listing(world.shop_x)
    reason = ready_made_reason()
    client.force_login(world.staff_x)
    url = en("admin:catalog_listingtomoderate_decide", listing.pk, "reject")

    form_page = client.get(url)
    done = client.post(url, {"template": reason.pk, "reason": ""})

    assert form_page.status_code == 200
    assert "Price above the new book" in form_page.text  # the ready-made reasons are offered
    assert done.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED
    page = client.get(en("admin:catalog_listingtomoderate_change", listing.pk)).text
    assert "A used copy cannot cost more than the new book." in page
    assert ">Approve</button>" not in page
    assert ">Reject</button>" not in page


def test_the_queue_costs_the_same_queries_for_two_or_ten_listings(client, world):
    world.shop_y.drives.add(world.drive_x)
    held_listing(world.shop_x)
    report(held_listing(world.shop_y), fingerprint="someone")
    client.force_login(world.staff_x)
    client.get(en(QUEUE))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(en(QUEUE))
        assert response.status_code == 200
        return len(captured), len(rows(response))

    two = queries()
    for number in range(8):
        listing = held_listing(world.shop_y if number % 2 else world.shop_x, title=f"Livre {number}")
        report(listing, fingerprint=f"person {number}")
    ten = queries()

    assert (ten[0], two[1], ten[1]) == (two[0], 2, 10)
