"""Drive staff moderate the listings of their drives' shops only: staff of drive X never
see nor decide on drive Y's listings (queue, filters, pages, decision addresses, bulk
actions with forged ids, services); head office sees both; booksellers moderate nothing."""

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.utils import translation

from catalog import moderation_services
from catalog.models import Listing
from tests.catalog.moderation_helpers import en, held_listing, reported_listing, two_drives

pytestmark = pytest.mark.django_db

QUEUE = "admin:catalog_listingtomoderate_changelist"


@pytest.fixture
def world():
    return two_drives()


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def listings(world):
    """A held and a reported listing in each drive."""
    return {
        "x": [held_listing(world.shop_x, title="Germinal"), reported_listing(world.shop_x, title="Nana")],
        "y": [held_listing(world.shop_y, title="Bel-Ami"), reported_listing(world.shop_y, title="Le Horla")],
    }


def queue(client) -> set[Listing]:
    return set(client.get(en(QUEUE)).context["cl"].result_list)


def test_drive_staff_see_their_drives_listings_only_and_head_office_sees_all(client, world, listings):
    client.force_login(world.staff_x)
    assert queue(client) == set(listings["x"])

    client.force_login(world.staff_y)
    assert queue(client) == set(listings["y"])

    client.force_login(world.head_office)
    assert queue(client) == set(listings["x"] + listings["y"])


def test_drive_staff_do_not_see_another_drive_in_the_queues_page(client, world, listings):
    client.force_login(world.staff_x)

    page = client.get(en(QUEUE)).text

    assert "Drive Lorient" in page
    assert "Librairie du Port" in page
    assert "Drive Vannes" not in page  # neither in a row nor in the drive filter
    assert "Les Mots Voyageurs" not in page  # nor in the shop filter
    assert "Bel-Ami" not in page


def test_another_drives_listing_page_and_decisions_are_404(client, world, listings):
    theirs = listings["y"][0]
    client.force_login(world.staff_x)

    assert client.get(en("admin:catalog_listingtomoderate_change", theirs.pk)).status_code == 404
    for decision in ("approve", "reject", "dismiss"):
        assert (
            client.post(en("admin:catalog_listingtomoderate_decide", theirs.pk, decision)).status_code == 404
        )
    assert client.get(en("admin:catalog_listingtomoderate_decide", theirs.pk, "reject")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Listing.Status.PENDING


def test_head_office_opens_any_drives_listing(client, world, listings):
    client.force_login(world.head_office)

    assert client.get(en("admin:catalog_listingtomoderate_change", listings["y"][0].pk)).status_code == 200
    assert client.get(en("admin:catalog_listingtomoderate_change", listings["x"][0].pk)).status_code == 200


def test_forged_ids_in_a_bulk_action_do_nothing(client, world, listings):
    mine, theirs = listings["x"][0], listings["y"][0]
    client.force_login(world.staff_x)

    client.post(
        en(QUEUE),
        {"action": "approve_selected", helpers.ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk], "index": 0},
    )
    rejection_page = client.post(
        en(QUEUE),
        {
            "action": "reject_selected",
            helpers.ACTION_CHECKBOX_NAME: [theirs.pk, listings["x"][1].pk],
            "index": 0,
        },
    )
    client.post(
        en(QUEUE),
        {
            "action": "reject_selected",
            helpers.ACTION_CHECKBOX_NAME: [theirs.pk],
            "apply": "1",
            "reason": "No.",
        },
    )

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Listing.Status.PUBLISHED
    assert theirs.status == Listing.Status.PENDING
    assert rejection_page.context["listings"] == [listings["x"][1]]


def test_the_services_refuse_another_drives_listing(world, listings):
    theirs = listings["y"][0]

    with pytest.raises(PermissionDenied):
        moderation_services.listing_reject(listing=theirs, by=world.staff_x, reason="No.")
    with pytest.raises(PermissionDenied):
        moderation_services.listing_approve(listing=theirs, by=world.staff_x)
    with pytest.raises(PermissionDenied):
        moderation_services.listing_reports_dismiss(listing=listings["y"][1], by=world.staff_x)
    result = moderation_services.listings_reject(
        listings=Listing.objects.filter(pk__in=[item.pk for item in listings["y"]]),
        by=world.staff_x,
        reason="No.",
    )

    assert (result.changed, result.unchanged, result.refused) == (0, 0, [])
    assert not Listing.objects.filter(status=Listing.Status.REJECTED).exists()


def test_staff_of_a_drive_lose_its_listings_when_they_leave_it(client, world, listings):
    world.staff_x.drive_assignments.all().delete()
    client.force_login(world.staff_x)

    assert queue(client) == set()
    assert client.get(en("admin:catalog_listingtomoderate_change", listings["x"][0].pk)).status_code == 404


def test_a_bookseller_has_no_access_to_the_queue(client, world, listings):
    own = listings["x"][0]
    client.force_login(world.owner_x)

    assert client.get(en(QUEUE)).status_code == 403
    assert client.get(en("admin:catalog_listingtomoderate_change", own.pk)).status_code == 403
    assert client.post(en("admin:catalog_listingtomoderate_decide", own.pk, "approve")).status_code == 403
    assert "Listings to moderate" not in client.get(en("admin:index")).text
    own.refresh_from_db()
    assert own.status == Listing.Status.PENDING
