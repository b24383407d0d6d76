"""Who may see and do what about shops in the admin: the owner and a colleague of
shop A, the owner of shop B (the outsider), and the chain's staff."""

import pytest
from django.urls import reverse
from django.utils import translation

from shops.models import Membership, Shop
from tests.factories import BooksellerFactory, ChainStaffFactory, ShopFactory

pytestmark = pytest.mark.django_db


def shop_pages(shop):
    """Every admin address that shows or changes something about one shop."""
    return {
        "change": reverse("admin:shops_shop_change", args=[shop.pk]),
        "history": reverse("admin:shops_shop_history", args=[shop.pk]),
        "delete": reverse("admin:shops_shop_delete", args=[shop.pk]),
        "approve": reverse("admin:shops_shop_decide", args=[shop.pk, "approve"]),
        "suspend": reverse("admin:shops_shop_decide", args=[shop.pk, "suspend"]),
    }


def refused(response, secret: str) -> bool:
    """Refused: an error status or a redirect, and nothing of the shop in the page."""
    return response.status_code in (302, 403, 404) and secret not in response.content.decode()


@pytest.mark.parametrize("who", ["owner_a", "colleague_a"])
def test_booksellers_see_only_their_own_shop_in_the_list(client, request, who, shop_a, shop_b):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("admin:shops_shop_changelist"))

    assert response.status_code == 200
    assert "Librairie Alpha" in response.text
    assert "Librairie Bravo" not in response.text


@pytest.mark.parametrize("page", ["change", "history", "delete", "approve", "suspend"])
def test_a_bookseller_is_refused_every_page_of_another_shop(client, outsider, shop_a, page):
    client.force_login(outsider)
    url = shop_pages(shop_a)[page]

    assert refused(client.get(url), "Librairie Alpha")
    assert refused(client.post(url, {"trade_name": "Hijacked", "reason": "x"}), "Librairie Alpha")

    shop_a.refresh_from_db()
    assert shop_a.trade_name == "Librairie Alpha"
    assert shop_a.status == Shop.Status.APPROVED


def test_a_bookseller_is_refused_another_shops_team_and_search_results(client, outsider, owner_a, shop_a):
    client.force_login(outsider)
    membership = Membership.objects.get(shop=shop_a)

    assert refused(client.get(reverse("admin:shops_membership_change", args=[membership.pk])), owner_a.email)
    listing = client.get(reverse("admin:shops_membership_changelist"))
    assert owner_a.email not in listing.text
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "shops", "model_name": "membership", "field_name": "shop", "term": "Alpha"},
    )
    assert "Librairie Alpha" not in autocomplete.content.decode()


def test_a_bookseller_edits_their_shop_but_never_its_status_or_identity(client, owner_a, shop_a):
    client.force_login(owner_a)
    url = reverse("admin:shops_shop_change", args=[shop_a.pk])
    form = client.get(url).context["adminform"].form

    response = client.post(
        url,
        {
            **{name: form.initial.get(name) or "" for name in form.fields},
            "trade_name": "Librairie Alpha & Cie",
            "phone": "02 97 00 00 01",
            "email": "bonjour@alpha.example",
            "status": Shop.Status.SUSPENDED,
            "siret": "44306184100047",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
            "opening_periods-TOTAL_FORMS": "0",
            "opening_periods-INITIAL_FORMS": "0",
            "closures-TOTAL_FORMS": "0",
            "closures-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    shop_a.refresh_from_db()
    assert shop_a.trade_name == "Librairie Alpha & Cie"
    assert shop_a.status == Shop.Status.APPROVED
    assert shop_a.siret == "73282932000074"
    assert "status" not in form.fields
    assert "siret" not in form.fields


def test_booksellers_cannot_reach_network_pages(client, owner_a):
    client.force_login(owner_a)

    for name in [
        "admin:shops_drive_changelist",
        "admin:shops_locality_changelist",
        "admin:marketplace_outgoingemail_changelist",
        "admin:marketplace_user_changelist",
    ]:
        assert client.get(reverse(name)).status_code == 403, name


def test_a_bookseller_has_no_decision_buttons_and_cannot_bulk_approve(client, owner_a, shop_a):
    pending = ShopFactory(status=Shop.Status.PENDING)
    Membership.objects.create(user=owner_a, shop=pending, role=Membership.Role.OWNER)
    client.force_login(owner_a)

    page = client.get(reverse("admin:shops_shop_change", args=[pending.pk]))
    assert "decision-link" not in page.text
    client.post(
        reverse("admin:shops_shop_changelist"),
        {"action": "approve_selected", "_selected_action": [pending.pk]},
    )

    pending.refresh_from_db()
    assert pending.status == Shop.Status.PENDING


def test_chain_staff_see_every_shop_and_approve_from_the_shop_page(
    client, shop_a, shop_b, capture_on_commit, mailoutbox
):
    staff = ChainStaffFactory()
    pending = ShopFactory(status=Shop.Status.PENDING, trade_name="Librairie Charlie", language="en")
    client.force_login(staff)

    listing = client.get(reverse("admin:shops_shop_changelist"))
    assert all(name in listing.text for name in ["Librairie Alpha", "Librairie Bravo", "Librairie Charlie"])
    page = client.get(reverse("admin:shops_shop_change", args=[pending.pk]))
    assert shop_pages(pending)["approve"] in page.text
    with capture_on_commit():
        response = client.post(shop_pages(pending)["approve"], {"reason": ""})

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Shop.Status.APPROVED
    assert len(mailoutbox) == 1


def test_staff_must_give_a_reason_to_reject(client):
    staff = ChainStaffFactory()
    pending = ShopFactory(status=Shop.Status.PENDING)
    client.force_login(staff)
    url = reverse("admin:shops_shop_decide", args=[pending.pk, "reject"])

    response = client.post(url, {"reason": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    pending.refresh_from_db()
    assert pending.status == Shop.Status.PENDING


def test_bulk_approval_applies_to_exactly_the_selected_pending_shops(client, capture_on_commit, mailoutbox):
    staff = ChainStaffFactory()
    chosen = ShopFactory.create_batch(2, status=Shop.Status.PENDING)
    not_chosen = ShopFactory(status=Shop.Status.PENDING)
    rejected = ShopFactory(status=Shop.Status.REJECTED)
    client.force_login(staff)

    with capture_on_commit():
        client.post(
            reverse("admin:shops_shop_changelist"),
            {"action": "approve_selected", "_selected_action": [shop.pk for shop in [*chosen, rejected]]},
        )

    assert [shop.status for shop in Shop.objects.filter(pk__in=[s.pk for s in chosen])] == ["approved"] * 2
    not_chosen.refresh_from_db()
    rejected.refresh_from_db()
    assert (not_chosen.status, rejected.status) == ("pending", "rejected")
    assert len(mailoutbox) == 2


def test_a_bookseller_without_a_shop_sees_no_shop(client):
    client.force_login(BooksellerFactory())
    ShopFactory(trade_name="Librairie Delta")

    response = client.get(reverse("admin:shops_shop_changelist"))

    assert "Librairie Delta" not in response.text


def test_the_admin_home_tells_reviewers_how_many_applications_wait(client, owner_a):
    ShopFactory.create_batch(2, status=Shop.Status.PENDING)

    with translation.override("en"):
        home = reverse("admin:index")

    client.force_login(ChainStaffFactory())
    staff_home = client.get(home)
    client.force_login(owner_a)
    bookseller_home = client.get(home)

    assert "2 shop applications are waiting for a decision." in staff_home.text
    assert "waiting for a decision" not in bookseller_home.text
