"""The audit trail: every status change of shops, listings and orders is recorded by the
database (who, when, before/after), bulk updates included; nobody can edit or delete it;
staff browse it in the admin, drive staff for their drives only."""

from datetime import timedelta

import pghistory
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from catalog.models import Listing
from marketplace.models import AuditEntry
from orders.models import Order
from pickup.tasks import expire_uncollected_orders
from shops.models import Shop
from tests.factories import (
    BooksellerFactory,
    ChainStaffFactory,
    DriveFactory,
    DriveStaffFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
)
from tests.pickup.holding_helpers import ready_order

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def entries(kind, object_id):
    return list(
        AuditEntry.objects.filter(kind=kind, object_id=object_id)
        .order_by("happened_at", "pk")
        .values_list("field", "before", "after")
    )


# --- What is recorded -------------------------------------------------------------------


def test_a_shop_is_recorded_when_it_applies_and_at_each_status_change():
    shop = ShopFactory(status=Shop.Status.PENDING)

    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.APPROVED)
    Shop.objects.filter(pk=shop.pk).update(status=Shop.Status.SUSPENDED)

    assert entries("shop", shop.pk) == [
        ("status", "", "pending"),
        ("status", "pending", "approved"),
        ("status", "approved", "suspended"),
    ]
    assert set(AuditEntry.objects.filter(kind="shop").values_list("shop_id", flat=True)) == {shop.pk}


def test_a_bulk_update_of_listings_records_one_entry_per_row_that_changed():
    shop = ShopFactory()
    published = ListingFactory.create_batch(3, shop=shop, status=Listing.Status.PUBLISHED)
    already_hidden = ListingFactory(shop=shop, status=Listing.Status.HIDDEN)

    changed = Listing.objects.filter(shop=shop).update(status=Listing.Status.HIDDEN)

    assert changed == 4
    assert sorted(AuditEntry.objects.filter(kind="listing").values_list("object_id", "before", "after")) == [
        (listing.pk, "published", "hidden") for listing in published
    ]
    assert entries("listing", already_hidden.pk) == []


def test_changing_a_listing_s_price_or_stock_is_not_a_status_change_and_creating_one_is_not_recorded():
    listing = ListingFactory(quantity=3)

    Listing.objects.filter(pk=listing.pk).update(quantity=5, price=listing.price + 1)

    assert entries("listing", listing.pk) == []


def test_status_changed_at_follows_every_status_change_bulk_ones_too():
    listing = ListingFactory(status=Listing.Status.PENDING)
    long_ago = timezone.now() - timedelta(days=10)
    # The stamp is the trigger's: setting it with the status would be overwritten.
    Listing.objects.filter(pk=listing.pk).update(status_changed_at=long_ago)
    listing.refresh_from_db()
    assert listing.status_changed_at == long_ago

    Listing.objects.filter(pk=listing.pk).update(quantity=9)
    listing.refresh_from_db()
    assert listing.status_changed_at == long_ago

    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PUBLISHED)
    listing.refresh_from_db()
    assert listing.status_changed_at > long_ago


def test_a_change_made_in_a_page_records_the_person_and_the_page(client, shop_a, owner_a):
    order = ready_order(ListingFactory(shop=shop_a))
    client.force_login(owner_a)

    response = client.post(en("admin:orders_order_move", order.pk, "collect"))

    assert response.status_code == 302
    entry = AuditEntry.objects.filter(kind="order", object_id=order.pk).latest("happened_at", "pk")
    assert (entry.before, entry.after, entry.shop_id) == ("ready", "collected", shop_a.pk)
    assert entry.actor == owner_a
    assert entry.context["url"] == en("admin:orders_order_move", order.pk, "collect")


def test_an_order_s_whole_life_is_recorded_placed_first():
    order = ready_order(ListingFactory())

    assert entries("order", order.pk) == [
        ("status", "", "placed"),
        ("status", "placed", "accepted"),
        ("status", "accepted", "ready"),
    ]


def test_a_change_made_by_a_job_names_the_job_and_no_person():
    order = ready_order(ListingFactory())
    Order.objects.filter(pk=order.pk).update(collect_by=timezone.now() - timedelta(minutes=1))

    expire_uncollected_orders.apply()

    entry = AuditEntry.objects.get(kind="order", object_id=order.pk, after="expired")
    assert entry.actor is None
    assert entry.context["job"] == "pickup.tasks.expire_uncollected_orders"


# --- Append-only --------------------------------------------------------------------------


def test_the_database_refuses_to_change_or_delete_an_entry():
    shop = ShopFactory(status=Shop.Status.PENDING)
    entry = AuditEntry.objects.get(kind="shop", object_id=shop.pk)

    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(after="approved")
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    entry.refresh_from_db()
    assert entry.after == "pending"


def test_the_admin_shows_entries_read_only_with_no_way_to_change_or_delete_them(client):
    shop = ShopFactory(status=Shop.Status.PENDING)
    entry = AuditEntry.objects.get(kind="shop", object_id=shop.pk)
    client.force_login(ChainStaffFactory())

    listing_page = client.get(en("admin:marketplace_auditentry_changelist"))
    page = client.get(en("admin:marketplace_auditentry_change", entry.pk))
    post = client.post(en("admin:marketplace_auditentry_change", entry.pk), {"after": "approved"})
    delete = client.post(en("admin:marketplace_auditentry_delete", entry.pk), {"post": "yes"})
    bulk_delete = client.post(
        en("admin:marketplace_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert listing_page.status_code == 200
    assert shop.trade_name in listing_page.text
    assert "delete_selected" not in listing_page.text
    assert page.status_code == 200
    assert 'type="submit"' not in page.text.split('id="content-main"')[1]
    assert post.status_code == 403
    assert delete.status_code == 403
    assert bulk_delete.status_code in (200, 302)
    assert AuditEntry.objects.filter(pk=entry.pk, after="pending").exists()


# --- Who sees what ---------------------------------------------------------------------------


def test_drive_staff_see_the_entries_of_their_drives_shops_only_and_head_office_sees_all(client):
    lorient, vannes = DriveFactory(name="Drive Lorient"), DriveFactory(name="Drive Vannes")
    in_lorient = ShopFactory(trade_name="Librairie du Port", status=Shop.Status.PENDING)
    in_lorient.drives.add(lorient)
    in_vannes = ShopFactory(trade_name="Librairie des Remparts", status=Shop.Status.PENDING)
    in_vannes.drives.add(vannes)
    vannes_entry = AuditEntry.objects.get(kind="shop", object_id=in_vannes.pk)
    list_url = en("admin:marketplace_auditentry_changelist")

    client.force_login(DriveStaffFactory(drives=[lorient]))
    lorient_staff_list = client.get(list_url)
    lorient_staff_other_entry = client.get(en("admin:marketplace_auditentry_change", vannes_entry.pk))
    client.force_login(DriveStaffFactory(drives=[vannes]))
    vannes_staff_list = client.get(list_url)
    client.force_login(ChainStaffFactory())
    head_office_list = client.get(list_url)

    assert "Librairie du Port" in lorient_staff_list.text
    assert "Librairie des Remparts" not in lorient_staff_list.text
    assert lorient_staff_other_entry.status_code == 302  # "not found", back to the list
    assert "Librairie des Remparts" in vannes_staff_list.text
    assert "Librairie du Port" not in vannes_staff_list.text
    assert "Librairie du Port" in head_office_list.text
    assert "Librairie des Remparts" in head_office_list.text


def test_booksellers_and_customers_cannot_open_the_audit_trail(client):
    bookseller = MembershipFactory(user=BooksellerFactory()).user
    list_url = en("admin:marketplace_auditentry_changelist")

    client.force_login(bookseller)
    as_bookseller = client.get(list_url)
    client.logout()
    as_anonymous = client.get(list_url)

    assert as_bookseller.status_code == 403
    assert as_anonymous.status_code == 302
    assert "/login/" in as_anonymous["Location"]


def test_the_list_costs_the_same_number_of_queries_for_5_or_50_entries(client):
    client.force_login(ChainStaffFactory())
    url = en("admin:marketplace_auditentry_changelist")
    ListingFactory.create_batch(5)
    Listing.objects.update(status=Listing.Status.HIDDEN)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    ListingFactory.create_batch(45)
    Listing.objects.exclude(status=Listing.Status.PENDING).update(status=Listing.Status.PENDING)

    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_drive_staff_see_that_a_customer_acted_not_who(client):
    """A customer's own move (cancelling their order) names their account to head office
    only; drive staff read "a customer" and cannot find it by the customer's email."""
    from orders.services import order_cancel
    from tests.factories import UserFactory, reserve

    drive = DriveFactory()
    listing = ListingFactory()
    listing.shop.drives.add(drive)
    customer = UserFactory(email="gwen.customer@example.fr")
    order = reserve(listing, email=customer.email).orders.get()
    Order.objects.filter(pk=order.pk).update(customer=customer)
    order.refresh_from_db()
    with pghistory.context(user=customer.pk):  # what the middleware sets for a logged-in person
        order_cancel(order=order, by=customer)
    entry = AuditEntry.objects.filter(kind="order", object_id=order.pk, actor=customer).get()
    list_url = en("admin:marketplace_auditentry_changelist")

    client.force_login(DriveStaffFactory(drives=[drive]))
    staff_list, staff_page = (
        client.get(list_url),
        client.get(en("admin:marketplace_auditentry_change", entry.pk)),
    )
    staff_search = client.get(list_url, {"q": customer.email})
    client.force_login(ChainStaffFactory())
    head_office_list = client.get(list_url)

    assert "A customer" in staff_list.text
    assert customer.email not in staff_list.text
    assert customer.email not in staff_page.text
    assert order.reference not in staff_search.text
    assert customer.email in head_office_list.text


def test_a_personal_data_request_is_listed_without_the_person(client):
    from privacy.models import DataRequest

    DataRequest.objects.create(kind=DataRequest.Kind.ERASURE, channel=DataRequest.Channel.HEAD_OFFICE)
    client.force_login(ChainStaffFactory())
    page = client.get(en("admin:marketplace_auditentry_changelist"), {"kind": "personal_data"})
    assert page.status_code == 200
    assert "Erasure of their data" in page.text


def test_drive_staff_read_which_page_a_customer_used_not_its_key(client):
    """The token in a customer's order address is their key to the order (its page shows
    their name): the trail shows drive staff the page, not the token."""
    from orders.services import order_cancel
    from tests.factories import reserve

    drive = DriveFactory()
    listing = ListingFactory()
    listing.shop.drives.add(drive)
    order = reserve(listing).orders.get()
    with pghistory.context(url=f"/orders/{order.token}/cancel/"):
        order_cancel(order=order, by=None)
    list_url = en("admin:marketplace_auditentry_changelist")

    client.force_login(DriveStaffFactory(drives=[drive]))
    staff_list = client.get(list_url).text
    client.force_login(ChainStaffFactory())
    head_office_list = client.get(list_url).text

    assert order.token not in staff_list
    assert "/orders/…/cancel/" in staff_list
    assert order.token in head_office_list
