"""Listing is free; head office may end a shop's free period and start a paid plan
(no payment on the marketplace). Staff see where each shop stands; only head office
changes it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from shops.admin import plan_summary
from shops.models import ListingPlan, Shop
from tests.factories import ChainStaffFactory, DriveFactory, DriveStaffFactory, MembershipFactory, ShopFactory

pytestmark = pytest.mark.django_db

TODAY = date(2027, 2, 15)


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def essentiel():
    return ListingPlan.objects.create(name="Essentiel", monthly_fee=Decimal("19.00"))


@pytest.fixture
def shop():
    return ShopFactory(trade_name="Librairie du Port", status=Shop.Status.APPROVED)


def change_form_data(page, **changes) -> dict:
    """The shop's admin form as shown (inlines left as they are), with `changes`."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = [str(item) for item in value] if isinstance(value, list | tuple) else value or ""
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.pop("logo", None)
    return {**data, **changes}


@pytest.mark.parametrize(
    ("free_until", "starts_on", "summary"),
    [
        (None, None, "Free"),
        (date(2027, 3, 31), None, "Free until 03/31/2027"),
        (date(2027, 1, 31), None, "Free period ended on 01/31/2027, no plan yet"),
        (date(2027, 3, 31), date(2027, 4, 1), "Essentiel from 04/01/2027"),
        (None, date(2027, 1, 1), "Essentiel from 01/01/2027"),
    ],
)
def test_the_plan_in_a_few_words(shop, essentiel, free_until, starts_on, summary):
    shop.free_until, shop.plan_starts_on = free_until, starts_on
    shop.plan = essentiel if starts_on else None

    with translation.override("en"):
        assert plan_summary(shop, TODAY) == summary


def test_the_plan_in_force_is_the_paid_one_from_its_first_day(shop, essentiel):
    shop.free_until, shop.plan, shop.plan_starts_on = date(2027, 3, 31), essentiel, date(2027, 4, 1)

    assert shop.plan_on(date(2027, 3, 31)) is None
    assert shop.plan_on(date(2027, 4, 1)) == essentiel


def test_staff_see_each_shops_plan_in_the_list(client, shop, essentiel):
    Shop.objects.filter(pk=shop.pk).update(
        free_until=date(2027, 3, 31), plan=essentiel, plan_starts_on=date(2027, 4, 1)
    )
    ShopFactory(trade_name="Librairie Bravo", status=Shop.Status.APPROVED)
    client.force_login(ChainStaffFactory())

    page = client.get(en("admin:shops_shop_changelist"))

    assert "Essentiel from 04/01/2027" in page.text
    assert '<td class="field-plan_label">Free</td>' in page.text


def test_head_office_ends_the_free_period_and_starts_a_plan(client, shop, essentiel):
    client.force_login(ChainStaffFactory())
    url = en("admin:shops_shop_change", shop.pk)

    response = client.post(
        url,
        change_form_data(
            client.get(url), free_until="2027-03-31", plan=essentiel.pk, plan_starts_on="2027-04-01"
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    shop.refresh_from_db()
    assert (shop.free_until, shop.plan, shop.plan_starts_on) == (
        date(2027, 3, 31),
        essentiel,
        date(2027, 4, 1),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"plan_starts_on": "2027-04-01"},
            "A paid plan needs the day it starts, and a start day needs a plan.",
        ),
        ({"plan": "essentiel"}, "A paid plan needs the day it starts, and a start day needs a plan."),
        (
            {"free_until": "2027-03-31", "plan": "essentiel", "plan_starts_on": "2027-03-31"},
            "The paid plan starts after the free period ends.",
        ),
    ],
)
def test_the_admin_form_says_what_is_wrong_with_the_dates(client, shop, essentiel, changes, message):
    client.force_login(ChainStaffFactory())
    url = en("admin:shops_shop_change", shop.pk)
    changes = {name: essentiel.pk if value == "essentiel" else value for name, value in changes.items()}

    response = client.post(url, change_form_data(client.get(url), **changes))

    assert response.status_code == 200
    assert message in response.text
    shop.refresh_from_db()
    assert (shop.free_until, shop.plan, shop.plan_starts_on) == (None, None, None)


def test_a_bookseller_sees_their_plan_but_cannot_change_it(client, shop, essentiel):
    Shop.objects.filter(pk=shop.pk).update(free_until=date(2099, 3, 31))
    owner = MembershipFactory(shop=shop).user
    client.force_login(owner)
    url = en("admin:shops_shop_change", shop.pk)
    page = client.get(url)

    response = client.post(
        url, change_form_data(page, free_until="", plan=essentiel.pk, plan_starts_on="2027-04-01")
    )

    form = page.context["adminform"].form
    assert not {"free_until", "plan", "plan_starts_on"} & set(form.fields)
    assert "Free until 03/31/2099" in page.text
    assert "Listing plan" in page.text
    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.free_until, shop.plan) == (date(2099, 3, 31), None)


def test_drive_staff_see_the_plan_read_only(client, shop, essentiel):
    drive = DriveFactory()
    shop.drives.add(drive)
    staff = DriveStaffFactory(drives=[drive])
    client.force_login(staff)
    url = en("admin:shops_shop_change", shop.pk)

    page = client.get(url)

    assert page.status_code == 200
    assert "Listing plan" in page.text
    assert '<div class="readonly">Free</div>' in page.text
    assert 'name="plan"' not in page.text
    assert (
        client.post(url, change_form_data(page, plan=essentiel.pk, plan_starts_on="2027-04-01")).status_code
        == 403
    )
    shop.refresh_from_db()
    assert shop.plan is None


def test_only_head_office_writes_the_plans(client, shop, essentiel):
    owner = MembershipFactory(shop=shop).user
    drive_staff = DriveStaffFactory(drives=[DriveFactory()])
    head_office = ChainStaffFactory()
    new_plan = {"name": "Premium", "monthly_fee": "39.00", "description": "", "is_active": "on"}

    for reader in (owner, drive_staff):
        client.force_login(reader)
        assert "Essentiel" in client.get(en("admin:shops_listingplan_changelist")).text
        assert client.post(en("admin:shops_listingplan_add"), new_plan).status_code == 403
        assert (
            client.post(
                en("admin:shops_listingplan_change", essentiel.pk), {**new_plan, "name": "Renamed"}
            ).status_code
            == 403
        )
    client.force_login(head_office)
    created = client.post(en("admin:shops_listingplan_add"), new_plan)

    assert created.status_code == 302
    assert list(ListingPlan.objects.values_list("name", flat=True)) == ["Essentiel", "Premium"]
