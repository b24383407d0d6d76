"""Drive staff review the shops of their drives, and only those. Three actors: staff of
the drive in Lorient (X), staff of the drive in Vannes (Y), head office."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from shops import services
from shops.models import Shop
from tests.factories import ChainStaffFactory, DriveFactory, DriveStaffFactory, MembershipFactory, ShopFactory

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def drive_x():
    return DriveFactory(name="Drive Lorient", slug="lorient")


@pytest.fixture
def drive_y():
    return DriveFactory(name="Drive Vannes", slug="vannes", postcode="56000", town="Vannes")


@pytest.fixture
def shop_x(drive_x):
    shop = ShopFactory(trade_name="Librairie Xavier", status=Shop.Status.PENDING, language="en")
    shop.drives.add(drive_x)
    return shop


@pytest.fixture
def shop_y(drive_y):
    shop = ShopFactory(trade_name="Librairie Yvonne", status=Shop.Status.PENDING, language="en")
    shop.drives.add(drive_y)
    return shop


@pytest.fixture
def staff_x(drive_x):
    return DriveStaffFactory(drives=[drive_x])


@pytest.fixture
def staff_y(drive_y):
    return DriveStaffFactory(drives=[drive_y])


@pytest.fixture
def head_office():
    return ChainStaffFactory()


def pages_of(shop):
    """Every back-office address that shows or decides something about one shop."""
    return {
        "change": en("admin:shops_shop_change", shop.pk),
        "history": en("admin:shops_shop_history", shop.pk),
        "queue row": en("admin:shops_shopapplication_change", shop.pk),
        "approve": en("admin:shops_shop_decide", shop.pk, "approve"),
        "reject": en("admin:shops_shop_decide", shop.pk, "reject"),
        "suspend": en("admin:shops_shop_decide", shop.pk, "suspend"),
    }


def test_drive_staff_see_only_their_drives_shops_in_the_shop_list_and_the_queue(
    client, staff_x, shop_x, shop_y
):
    client.force_login(staff_x)

    for name in ("admin:shops_shop_changelist", "admin:shops_shopapplication_changelist"):
        page = client.get(en(name))
        assert page.status_code == 200
        assert "Librairie Xavier" in page.text
        assert "Librairie Yvonne" not in page.text


def test_drive_staff_are_offered_only_their_drives_as_filters(client, staff_x, shop_x, shop_y):
    client.force_login(staff_x)

    for name in ("admin:shops_shop_changelist", "admin:shops_shopapplication_changelist"):
        page = client.get(en(name))
        assert "Drive Lorient" in page.text
        assert "Drive Vannes" not in page.text


@pytest.mark.parametrize("page", ["change", "history", "queue row", "approve", "reject", "suspend"])
def test_every_page_of_another_drives_shop_is_not_found(client, staff_x, shop_y, page):
    client.force_login(staff_x)
    url = pages_of(shop_y)[page]

    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Not in my drive.", "open_orders": "honour"}).status_code in (403, 404)

    shop_y.refresh_from_db()
    assert shop_y.status == Shop.Status.PENDING
    assert not shop_y.status_changes.exclude(to_status=Shop.Status.PENDING).exists()


@pytest.mark.parametrize(
    "changelist", ["admin:shops_shop_changelist", "admin:shops_shopapplication_changelist"]
)
def test_a_bulk_approval_with_a_forged_id_of_another_drives_shop_does_nothing(
    client, staff_x, shop_x, shop_y, changelist
):
    client.force_login(staff_x)

    client.post(en(changelist), {"action": "approve_selected", "_selected_action": [shop_y.pk]})

    shop_y.refresh_from_db()
    shop_x.refresh_from_db()
    assert (shop_x.status, shop_y.status) == (Shop.Status.PENDING, Shop.Status.PENDING)


def test_a_bulk_rejection_with_a_forged_id_of_another_drives_shop_does_nothing(
    client, staff_x, shop_x, shop_y, mailoutbox
):
    client.force_login(staff_x)

    confirmation = client.post(
        en("admin:shops_shopapplication_changelist"),
        {"action": "reject_selected", "_selected_action": [shop_x.pk, shop_y.pk]},
    )
    client.post(
        en("admin:shops_shopapplication_changelist"),
        {
            "action": "reject_selected",
            "_selected_action": [shop_x.pk, shop_y.pk],
            "confirm": "1",
            "reason": "Incomplete.",
        },
    )

    assert "Librairie Yvonne" not in confirmation.text
    shop_x.refresh_from_db()
    shop_y.refresh_from_db()
    assert (shop_x.status, shop_y.status) == (Shop.Status.REJECTED, Shop.Status.PENDING)


@pytest.mark.parametrize(
    ("status", "decide"),
    [
        (Shop.Status.PENDING, lambda shop, by: services.shop_approve(shop=shop, by=by)),
        (Shop.Status.PENDING, lambda shop, by: services.shop_reject(shop=shop, by=by, reason="No.")),
        (Shop.Status.APPROVED, lambda shop, by: services.shop_suspend(shop=shop, by=by, reason="No.")),
        (Shop.Status.SUSPENDED, lambda shop, by: services.shop_reinstate(shop=shop, by=by)),
    ],
)
def test_the_services_refuse_a_reviewer_of_another_drive(staff_x, shop_y, status, decide):
    Shop.objects.filter(pk=shop_y.pk).update(status=status)
    shop_y.refresh_from_db()

    with pytest.raises(PermissionDenied):
        decide(shop_y, staff_x)

    shop_y.refresh_from_db()
    assert shop_y.status == status
    assert not shop_y.status_changes.exists()


def test_drive_staff_decide_on_their_drives_shops_from_a_read_only_page(
    client, staff_x, shop_x, capture_on_commit, mailoutbox
):
    client.force_login(staff_x)
    url = pages_of(shop_x)["change"]

    page = client.get(url)
    refused_edit = client.post(url, {"trade_name": "Renamed"})
    with capture_on_commit():
        approved = client.post(pages_of(shop_x)["approve"], {"reason": ""})

    assert page.status_code == 200
    assert 'name="trade_name"' not in page.text
    assert pages_of(shop_x)["approve"] in page.text
    assert refused_edit.status_code == 403
    assert approved.status_code == 302
    shop_x.refresh_from_db()
    assert shop_x.trade_name == "Librairie Xavier"
    assert shop_x.status == Shop.Status.APPROVED
    assert shop_x.status_changes.last().actor == staff_x
    assert len(mailoutbox) == 1


def test_staff_of_the_other_drive_see_and_decide_on_their_own_shop_only(client, staff_y, shop_x, shop_y):
    client.force_login(staff_y)

    queue = client.get(en("admin:shops_shopapplication_changelist"))
    client.post(pages_of(shop_x)["reject"], {"reason": "Not mine."})
    client.post(pages_of(shop_y)["reject"], {"reason": "Incomplete."})

    assert "Librairie Yvonne" in queue.text
    assert "Librairie Xavier" not in queue.text
    shop_x.refresh_from_db()
    shop_y.refresh_from_db()
    assert (shop_x.status, shop_y.status) == (Shop.Status.PENDING, Shop.Status.REJECTED)


def test_head_office_sees_and_decides_on_every_drives_shops(client, head_office, shop_x, shop_y):
    client.force_login(head_office)

    queue = client.get(en("admin:shops_shopapplication_changelist"))
    client.post(
        en("admin:shops_shopapplication_changelist"),
        {"action": "approve_selected", "_selected_action": [shop_x.pk, shop_y.pk]},
    )

    assert "Librairie Xavier" in queue.text
    assert "Librairie Yvonne" in queue.text
    assert "Drive Lorient" in queue.text
    assert "Drive Vannes" in queue.text
    assert set(Shop.objects.values_list("status", flat=True)) == {Shop.Status.APPROVED}


def test_a_shop_on_both_drives_is_seen_by_the_staff_of_each(client, staff_x, staff_y, drive_x, drive_y):
    shared = ShopFactory(trade_name="Librairie Partagée", status=Shop.Status.PENDING)
    shared.drives.add(drive_x, drive_y)

    for staff in (staff_x, staff_y):
        client.force_login(staff)
        queue = client.get(en("admin:shops_shopapplication_changelist"))
        assert [shop.trade_name for shop in queue.context["cl"].result_list] == ["Librairie Partagée"]


def test_a_bookseller_cannot_reach_the_queue_nor_drive_staff(client, shop_x):
    owner = MembershipFactory(shop=shop_x).user
    client.force_login(owner)

    assert client.get(en("admin:shops_shopapplication_changelist")).status_code == 403
    assert client.get(en("admin:shops_driveassignment_changelist")).status_code == 403
    assert client.get(en("admin:shops_shopapplication_change", shop_x.pk)).status_code == 403


def test_drive_staff_see_their_drive_but_not_who_works_where(client, staff_x, drive_x, drive_y, head_office):
    client.force_login(staff_x)

    drives = client.get(en("admin:shops_drive_changelist"))
    assignments = client.get(en("admin:shops_driveassignment_changelist"))
    other_drive = client.get(en("admin:shops_drive_change", drive_y.pk))

    assert "Drive Lorient" in drives.text
    assert "Drive Vannes" not in drives.text
    assert assignments.status_code == 403
    assert other_drive.status_code in (302, 404)


def test_head_office_assigns_staff_to_a_drive_from_the_drive_page(client, head_office, drive_x, shop_x):
    colleague = ChainStaffFactory(email="nouvelle@chain.example")
    colleague.groups.clear()
    client.force_login(head_office)
    url = en("admin:shops_drive_change", drive_x.pk)
    page = client.get(url)
    form = page.context["adminform"].form

    response = client.post(
        url,
        {
            **{name: form[name].value() or "" for name in form.fields},
            "staff_assignments-TOTAL_FORMS": "1",
            "staff_assignments-INITIAL_FORMS": "0",
            "staff_assignments-0-user": colleague.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(drive_x.staff_assignments.values_list("user", flat=True)) == [colleague.pk]
    client.force_login(colleague)
    queue = client.get(en("admin:shops_shopapplication_changelist"))
    assert queue.status_code == 200
    assert "Librairie Xavier" in queue.text
