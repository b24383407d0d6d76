"""The admin's "view on site" shortcut (admin/r/<content type>/<id>/) never hands out a
customer's secret link, and never redirects anyone to an object they cannot see."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from orders.models import Checkout, Order
from tests.factories import ChainStaffFactory, DriveFactory, DriveStaffFactory, ListingFactory, reserve

pytestmark = pytest.mark.django_db


def shortcut(obj) -> str:
    content_type = ContentType.objects.get_for_model(type(obj))
    return reverse("admin:view_on_site", args=[content_type.pk, obj.pk])


@pytest.fixture
def order(shop_a):
    return reserve(ListingFactory(shop=shop_a)).orders.get()


@pytest.mark.parametrize("who", ["owner_a", "outsider", "head_office", "other_drive_staff"])
def test_no_account_gets_an_orders_secret_link_from_the_shortcut(client, request, order, who):
    if who == "head_office":
        user = ChainStaffFactory()
    elif who == "other_drive_staff":
        user = DriveStaffFactory(drives=[DriveFactory()])
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)

    for obj in (order, order.checkout):
        response = client.get(shortcut(obj))

        assert response.status_code == 404
        assert obj.token not in response.get("Location", "")
        assert obj.token not in response.content.decode()


def test_enumerating_order_ids_reveals_no_token(client, outsider, shop_a):
    orders = [reserve(ListingFactory(shop=shop_a)).orders.get() for _ in range(5)]
    client.force_login(outsider)
    content_type = ContentType.objects.get_for_model(Order)

    answers = [
        client.get(reverse("admin:view_on_site", args=[content_type.pk, order.pk])) for order in orders
    ]

    assert {answer.status_code for answer in answers} == {404}
    assert not any(order.token in answer.get("Location", "") for order in orders for answer in answers)


def test_orders_and_checkouts_have_no_public_address_for_generic_code():
    assert not hasattr(Order, "get_absolute_url")
    assert not hasattr(Checkout, "get_absolute_url")


def test_the_shortcut_still_opens_a_public_page_the_person_may_see(client, owner_a, shop_a):
    client.force_login(owner_a)

    response = client.get(shortcut(shop_a))

    assert response.status_code == 302
    assert response["Location"] == shop_a.get_absolute_url()


def test_the_shortcut_is_not_found_for_another_shops_objects(client, outsider, shop_a):
    listing = ListingFactory(shop=shop_a)
    client.force_login(outsider)

    for obj in (shop_a, listing):
        assert client.get(shortcut(obj)).status_code == 404


@pytest.mark.parametrize("bad", [("abc", "1"), ("999999", "1"), ("1", "not-a-number")])
def test_a_malformed_shortcut_is_not_found(client, owner_a, bad):
    client.force_login(owner_a)

    assert client.get(reverse("admin:view_on_site", args=list(bad))).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, shop_a):
    response = client.get(shortcut(shop_a))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
