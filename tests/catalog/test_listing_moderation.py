"""Moderation decisions on listings: publish, reject with a reason the shop reads,
resubmit after a correction; the history stays; the automatic rules and the decisions
of people work together."""

import io
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.utils import translation

from catalog import moderation_services, services
from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.models import Book, Listing, ListingReport, ListingStatusChange
from marketplace.models import OutgoingEmail
from shops.models import Shop
from tests.catalog.moderation_helpers import en, held_listing, report, reported_listing, two_drives
from tests.factories import BookFactory, ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_drives()


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


# --- Publishing ---------------------------------------------------------------------------


def test_a_moderator_publishes_a_held_listing_and_its_flags_stay(world):
    listing = held_listing(world.shop_x)

    moderation_services.listing_approve(listing=listing, by=world.staff_x, note="Rare first edition.")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert listing.moderation_flags == [Listing.Flag.USED_ABOVE_NEW_PRICE]
    [change] = listing.status_changes.all()
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "pending",
        "published",
        world.staff_x,
        "Rare first edition.",
    )


def test_a_published_listing_is_not_held_again_by_the_rule_a_moderator_accepted(world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_approve(listing=listing, by=world.staff_x)

    services.listing_update_stock(listing=listing, price=Decimal("13.00"))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED


def test_publishing_dismisses_the_open_reports(world):
    listing = held_listing(world.shop_x)
    report(listing)

    moderation_services.listing_approve(listing=listing, by=world.staff_x)

    settled = listing.reports.get()
    assert (settled.status, settled.resolved_by) == (ListingReport.Status.DISMISSED, world.staff_x)
    assert settled.resolved_at is not None


def test_approving_a_listing_already_online_only_dismisses_its_reports(world):
    listing = reported_listing(world.shop_x)

    moderation_services.listing_approve(listing=listing, by=world.staff_x)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED
    assert not listing.status_changes.exists()
    assert listing.reports.get().status == ListingReport.Status.DISMISSED


def test_a_listing_of_a_shop_not_approved_yet_is_not_published(world):
    world.shop_x.status = Shop.Status.PENDING
    world.shop_x.save(update_fields=["status"])
    listing = held_listing(world.shop_x)

    with pytest.raises(moderation_services.ListingModerationError, match="has not been approved"):
        moderation_services.listing_approve(listing=listing, by=world.staff_x)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING


# --- Rejecting ----------------------------------------------------------------------------


def test_the_shop_reads_the_reason_of_a_rejection_by_email(world, capture_on_commit, mailoutbox):
    listing = held_listing(world.shop_x, title="Germinal")

    with capture_on_commit():
        moderation_services.listing_reject(
            listing=listing, by=world.staff_x, reason="A used copy cannot cost more than the new book."
        )

    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED
    [email] = mailoutbox
    assert email.to == ["port@example.org"]
    assert email.subject == "One of your listings was rejected"  # no shop-written text in a subject
    assert "Germinal" in email.body
    assert "A used copy cannot cost more than the new book." in email.body
    assert "Germinal" in email.body
    assert f"/en/admin/catalog/listing/{listing.pk}/change/" in email.body
    html = email.alternatives[0][0]
    assert "A used copy cannot cost more than the new book." in html
    assert f"/en/admin/catalog/listing/{listing.pk}/change/" in html


def test_the_email_is_written_in_the_shops_language(world, capture_on_commit):
    world.shop_x.language = "fr"
    world.shop_x.save(update_fields=["language"])
    listing = held_listing(world.shop_x)

    with capture_on_commit():
        moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Prix trop élevé.")

    email = OutgoingEmail.objects.get()
    assert email.language == "fr"
    assert f"/admin/catalog/listing/{listing.pk}/change/" in email.body_text
    assert "/en/admin/" not in email.body_text


def test_rejecting_twice_records_one_decision_and_sends_one_email(world, capture_on_commit, mailoutbox):
    listing = held_listing(world.shop_x)

    with capture_on_commit():
        moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
        moderation_services.listing_reject(
            listing=listing, by=world.head_office, reason="Still too expensive."
        )

    assert listing.status_changes.count() == 1
    assert len(mailoutbox) == 1


def test_a_rejection_needs_a_reason(world):
    listing = held_listing(world.shop_x)

    with pytest.raises(moderation_services.ListingModerationError, match="reason"):
        moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="   ")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING


def test_rejecting_a_reported_listing_takes_it_offline_and_upholds_its_reports(world):
    listing = reported_listing(world.shop_x)

    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Not this edition.")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED
    assert listing.reports.get().status == ListingReport.Status.UPHELD


def test_a_draft_listing_cannot_be_rejected(world):
    listing = ListingFactory(shop=world.shop_x, status=Listing.Status.DRAFT)

    with pytest.raises(moderation_services.ListingModerationError, match="is draft: it cannot be moved"):
        moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="No.")


def test_rejecting_several_listings_of_a_shop_sends_it_one_email(world, capture_on_commit, mailoutbox):
    first, second = held_listing(world.shop_x, title="Germinal"), held_listing(world.shop_x, title="Nana")
    elsewhere = held_listing(world.shop_y, title="La Bête humaine")

    with capture_on_commit():
        result = moderation_services.listings_reject(
            listings=Listing.objects.filter(pk__in=[first.pk, second.pk, elsewhere.pk]),
            by=world.head_office,
            reason="Prices above the new books.",
        )

    assert result.changed == 3
    assert sorted(email.to[0] for email in mailoutbox) == ["mots@example.org", "port@example.org"]
    [to_port] = [email for email in mailoutbox if email.to == ["port@example.org"]]
    assert to_port.subject == "2 of your listings were rejected"
    assert "Germinal" in to_port.body
    assert "Nana" in to_port.body
    assert "Bête" not in to_port.body


# --- Who may decide -----------------------------------------------------------------------


def test_a_bookseller_cannot_moderate_even_their_own_listing(world):
    listing = held_listing(world.shop_x)

    with pytest.raises(PermissionDenied):
        moderation_services.listing_approve(listing=listing, by=world.owner_x)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING


# --- Resubmitting -------------------------------------------------------------------------


def test_the_bookseller_corrects_and_resubmits_a_rejected_listing_and_the_history_stays(world):
    listing = held_listing(world.shop_x, price=Decimal("12.00"), list_price=Decimal("9.90"))
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
    services.listing_update_stock(listing=listing, price=Decimal("6.00"))

    moderation_services.listing_resubmit(listing=listing, by=world.owner_x, note="Price lowered.")

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert listing.moderation_flags == []  # the rules were run again on the new price
    history = list(listing.status_changes.values_list("from_status", "to_status", "actor", "reason"))
    assert history == [
        ("pending", "rejected", world.staff_x.pk, "Too expensive."),
        ("rejected", "pending", world.owner_x.pk, "Price lowered."),
    ]


def test_a_rejected_listing_stays_rejected_while_its_price_is_corrected(world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")

    services.listing_update_stock(listing=listing, price=Decimal("6.00"))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED


def test_a_resubmitted_listing_waits_for_a_moderator_even_when_no_rule_holds_it_any_more(world):
    listing = held_listing(world.shop_x, price=Decimal("12.00"), list_price=Decimal("9.90"))
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Wrong edition.")
    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)

    services.listing_update_stock(listing=listing, price=Decimal("6.00"))  # the rule no longer applies

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING


def test_a_stock_file_that_no_longer_trips_the_rule_leaves_a_resubmitted_listing_to_the_moderator(world):
    book = BookFactory(title="Germinal", list_price=Decimal("9.90"))
    listing = services.listing_create(
        shop=world.shop_x, book=book, condition=Listing.Condition.NEW, price=Decimal("9.90"), quantity=800
    )
    assert listing.status == Listing.Status.PENDING  # "unusually large quantity"
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="800 copies?")
    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)

    stock_import_apply(
        shop=world.shop_x,
        rows=read_csv(io.BytesIO(f"EAN;Quantité;Prix TTC\n{book.ean};8;9,90\n".encode())),
        full_sync=False,
        source=Book.Source.STOCK_FILE,
    )

    listing.refresh_from_db()
    assert (listing.quantity, listing.moderation_flags) == (8, [])
    assert listing.status == Listing.Status.PENDING


def test_a_listing_held_by_a_rule_alone_goes_online_once_the_rule_no_longer_applies(world):
    listing = held_listing(world.shop_x, price=Decimal("12.00"), list_price=Decimal("9.90"))

    services.listing_update_stock(listing=listing, price=Decimal("6.00"))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED


def test_resubmitting_checks_the_price_law_again(world):
    book = BookFactory(list_price=Decimal("20.00"))
    listing = ListingFactory(
        shop=world.shop_x, book=book, price=Decimal("20.00"), status=Listing.Status.PENDING
    )
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Check the price.")
    book.list_price = Decimal("15.00")  # the publisher lowered it: 20 € is now too much
    book.save(update_fields=["list_price"])

    with pytest.raises(moderation_services.ListingModerationError, match="fixed book price law"):
        moderation_services.listing_resubmit(listing=listing, by=world.owner_x)

    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED


@pytest.mark.parametrize("who", ["staff_x", "head_office", "owner_y"])
def test_only_a_member_of_the_shop_resubmits_its_listing(world, who):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")

    with pytest.raises(PermissionDenied):
        moderation_services.listing_resubmit(listing=listing, by=getattr(world, who))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED


def test_only_a_rejected_listing_can_be_resubmitted(world):
    listing = ListingFactory(shop=world.shop_x, status=Listing.Status.HIDDEN)

    with pytest.raises(moderation_services.ListingModerationError, match="only a rejected listing"):
        moderation_services.listing_resubmit(listing=listing, by=world.owner_x)


def test_resubmitting_twice_records_one_decision(world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")

    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)
    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)

    assert ListingStatusChange.objects.filter(listing=listing, to_status=Listing.Status.PENDING).count() == 1


def test_a_resubmitted_then_published_listing_is_released_by_the_rules_again(world):
    listing = held_listing(world.shop_x, price=Decimal("12.00"), list_price=Decimal("9.90"))
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
    services.listing_update_stock(listing=listing, price=Decimal("6.00"))
    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)
    moderation_services.listing_approve(listing=listing, by=world.staff_x)
    services.listing_update_stock(listing=listing, price=Decimal("12.00"))  # held again: a new flag
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING

    services.listing_update_stock(listing=listing, price=Decimal("6.00"))

    listing.refresh_from_db()
    assert listing.status == Listing.Status.PUBLISHED


# --- The shop's side, in the admin --------------------------------------------------------


def test_the_stock_list_says_why_a_listing_was_rejected(client, world):
    listing = held_listing(world.shop_x, title="Germinal")
    ListingFactory(shop=world.shop_x)  # online: its status says so
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Wrong edition.")
    client.force_login(world.owner_x)

    page = client.get(en("admin:catalog_listing_changelist"))

    assert "Rejected by the moderators: Wrong edition." in page.text
    assert page.text.count("Rejected by the moderators") == 1


def test_the_listings_page_shows_the_latest_reason_and_the_whole_history(client, world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
    moderation_services.listing_resubmit(listing=listing, by=world.owner_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Still too expensive.")
    client.force_login(world.owner_x)

    page = client.get(en("admin:catalog_listing_change", listing.pk)).text

    assert "Rejected by the moderators:" in page
    assert "Still too expensive." in page
    assert "Too expensive." in page  # the first decision, in the history
    assert "History of moderation decisions" in page
    assert ">Resubmit for moderation</button>" in page


def test_the_bookseller_resubmits_from_the_listings_page(client, world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
    client.force_login(world.owner_x)

    response = client.post(en("admin:catalog_listing_resubmit", listing.pk))

    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PENDING
    assert (
        ">Resubmit for moderation</button>"
        not in client.get(en("admin:catalog_listing_change", listing.pk)).text
    )


def test_another_shop_cannot_resubmit_the_listing(client, world):
    listing = held_listing(world.shop_x)
    moderation_services.listing_reject(listing=listing, by=world.staff_x, reason="Too expensive.")
    client.force_login(world.owner_y)

    response = client.post(en("admin:catalog_listing_resubmit", listing.pk))

    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.status == Listing.Status.REJECTED


def test_the_resubmit_action_applies_to_exactly_the_selected_rejected_listings(client, world):
    first, second, third = (held_listing(world.shop_x, title=title) for title in ("Un", "Deux", "Trois"))
    online = ListingFactory(shop=world.shop_x)
    moderation_services.listings_reject(
        listings=Listing.objects.filter(pk__in=[first.pk, second.pk, third.pk]),
        by=world.staff_x,
        reason="No.",
    )
    client.force_login(world.owner_x)

    client.post(
        en("admin:catalog_listing_changelist"),
        {
            "action": "resubmit_selected",
            helpers.ACTION_CHECKBOX_NAME: [first.pk, third.pk, online.pk],
            "index": 0,
        },
    )

    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert [statuses[item.pk] for item in (first, second, third, online)] == [
        "pending",
        "rejected",
        "pending",
        "published",
    ]
