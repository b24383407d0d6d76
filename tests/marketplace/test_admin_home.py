"""The admin home tells each person what waits for them: moderators the applications and
listings of their drives (head office: the network's), everyone with figures a link to
their dashboard."""

import pytest
from django.urls import reverse
from django.utils import translation

from shops.models import Shop
from tests.catalog.moderation_helpers import held_listing, two_drives
from tests.factories import ShopFactory, UserFactory

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    with translation.override("en"):
        return client.get(reverse("admin:index")).text


@pytest.fixture
def world():
    world = two_drives()
    for drive, count in [(world.drive_x, 1), (world.drive_y, 2)]:
        for _ in range(count):
            ShopFactory(status=Shop.Status.PENDING).drives.add(drive)
    held_listing(world.shop_y)
    return world


def test_drive_staff_are_told_about_their_drives_work_only(client, world):
    page = home(client, world.staff_x)

    assert "1 shop application is waiting for a decision." in page
    assert "waiting for moderation" not in page  # the held listing is in drive Y
    assert reverse("admin:shops_shopapplication_changelist") in page


def test_the_other_drives_staff_see_their_own_counts(client, world):
    page = home(client, world.staff_y)

    assert "2 shop applications are waiting for a decision." in page
    assert "1 listing is waiting for moderation." in page


def test_head_office_is_told_about_the_whole_network(client, world):
    page = home(client, world.head_office)

    assert "3 shop applications are waiting for a decision." in page
    assert "1 listing is waiting for moderation." in page
    assert reverse("dashboard") in page


def test_a_bookseller_gets_the_dashboard_link_and_no_moderation_counts(client, world):
    page = home(client, world.owner_x)

    assert "waiting for a decision" not in page
    assert "waiting for moderation" not in page
    assert reverse("dashboard") in page


def test_staff_with_neither_shop_nor_drive_get_no_dashboard_link(client, world):
    page = home(client, UserFactory(is_staff=True))

    assert reverse("dashboard") not in page


def test_people_read_the_groups_names_in_their_language(client, admin_user):
    """The groups keep identifiers as names ("Booksellers"); the user page says what each
    one is, in the reader's language (issue 19: English group names in the French admin)."""
    from shops import roles
    from tests.factories import BooksellerFactory

    bookseller = BooksellerFactory()
    bookseller.groups.add(roles.group(roles.BOOKSELLERS))
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:marketplace_user_change", args=[bookseller.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).text

    assert "Équipes des boutiques (le stock et les commandes de leur boutique)" in page
    assert ">Booksellers<" not in page
