"""The queue of shop applications in the back office: pending ones only, the longest
waiting first, filters with counts, decisions one by one or in bulk with one reason."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.models import ModerationReason
from shops import services
from shops.models import Shop
from tests.factories import ChainStaffFactory, DriveFactory, ShopFactory

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


QUEUE = "admin:shops_shopapplication_changelist"


def waiting_since(shop, days: float):
    Shop.objects.filter(pk=shop.pk).update(status_changed_at=timezone.now() - timedelta(days=days))


def pending(name, *, days: float, drive=None):
    shop = ShopFactory(trade_name=name, status=Shop.Status.PENDING, language="en")
    if drive is not None:
        shop.drives.add(drive)
    waiting_since(shop, days)
    return shop


def rows(response) -> list[str]:
    return [shop.trade_name for shop in response.context["cl"].result_list]


@pytest.fixture
def head_office(client):
    staff = ChainStaffFactory()
    client.force_login(staff)
    return staff


@pytest.fixture
def lorient():
    return DriveFactory(name="Drive Lorient", slug="lorient")


@pytest.fixture
def vannes():
    return DriveFactory(name="Drive Vannes", slug="vannes")


def test_the_queue_shows_pending_applications_only_the_longest_waiting_first(client, head_office):
    pending("Librairie Récente", days=0.5)
    pending("Librairie Ancienne", days=12)
    pending("Librairie Moyenne", days=4)
    for status in (Shop.Status.APPROVED, Shop.Status.REJECTED, Shop.Status.SUSPENDED):
        ShopFactory(trade_name=f"Librairie {status}", status=status)

    response = client.get(en(QUEUE))

    assert response.status_code == 200
    assert rows(response) == ["Librairie Ancienne", "Librairie Moyenne", "Librairie Récente"]


def test_each_row_says_how_long_the_application_has_waited_and_where_it_leads(client, head_office, lorient):
    shop = pending("Librairie du Port", days=3.2, drive=lorient)

    response = client.get(en(QUEUE))

    assert "3\xa0days" in response.text
    assert "Drive Lorient" in response.text
    assert en("admin:shops_shop_change", shop.pk) in response.text
    assert en("admin:shops_shop_decide", shop.pk, "approve") in response.text
    assert en("admin:shops_shop_decide", shop.pk, "reject") in response.text


@pytest.mark.parametrize(
    ("waiting", "expected"),
    [
        ("under-2-days", ["Librairie Récente"]),
        ("2-to-7-days", ["Librairie Moyenne"]),
        ("over-a-week", ["Librairie Ancienne"]),
    ],
)
def test_the_age_filter(client, head_office, waiting, expected):
    pending("Librairie Récente", days=0.5)
    pending("Librairie Moyenne", days=4)
    pending("Librairie Ancienne", days=12)

    response = client.get(en(QUEUE), {"waiting": waiting})

    assert rows(response) == expected


def test_the_drive_filter_and_its_counts(client, head_office, lorient, vannes):
    pending("Librairie Alpha", days=1, drive=lorient)
    pending("Librairie Bravo", days=3, drive=lorient)
    pending("Librairie Charlie", days=9, drive=vannes)

    everything = client.get(en(QUEUE))
    in_lorient = client.get(en(QUEUE), {"drives__id__exact": lorient.pk})

    assert "Drive Lorient (2)" in everything.text
    assert "Drive Vannes (1)" in everything.text
    assert "less than 2 days (1)" in everything.text
    assert "2 to 7 days (1)" in everything.text
    assert "over a week (1)" in everything.text
    assert "3 shop applications" in everything.text
    assert rows(in_lorient) == ["Librairie Bravo", "Librairie Alpha"]
    # The other filters count within the chosen drive.
    assert "over a week (0)" in in_lorient.text


def test_an_application_sent_again_after_a_rejection_is_marked(client, head_office):
    first_time = pending("Librairie Nouvelle", days=1)
    again = ShopFactory(trade_name="Librairie Revenue", status=Shop.Status.PENDING, language="en")
    services.shop_reject(shop=again, by=head_office, reason="Kbis missing.")
    Shop.objects.filter(pk=again.pk).update(status=Shop.Status.PENDING)

    response = client.get(en(QUEUE))

    marked = {shop.trade_name: shop.was_rejected for shop in response.context["cl"].result_list}
    assert marked == {first_time.trade_name: False, "Librairie Revenue": True}


def test_bulk_approval_applies_to_exactly_the_selected_rows(
    client, head_office, capture_on_commit, mailoutbox
):
    alpha, bravo = pending("Librairie Alpha", days=1), pending("Librairie Bravo", days=2)
    not_selected = pending("Librairie Charlie", days=3)

    with capture_on_commit():
        response = client.post(
            en(QUEUE), {"action": "approve_selected", "_selected_action": [alpha.pk, bravo.pk]}, follow=True
        )

    statuses = dict(Shop.objects.values_list("trade_name", "status"))
    assert statuses == {
        "Librairie Alpha": "approved",
        "Librairie Bravo": "approved",
        "Librairie Charlie": "pending",
    }
    assert sorted(email.to[0] for email in mailoutbox) == sorted([alpha.contact_email, bravo.contact_email])
    assert "2 shops approved." in response.text
    assert rows(response) == [not_selected.trade_name]


def test_bulk_approval_skips_rows_decided_in_the_meantime_and_says_how_many(client, head_office):
    alpha, bravo = pending("Librairie Alpha", days=1), pending("Librairie Bravo", days=2)
    services.shop_reject(shop=bravo, by=ChainStaffFactory(), reason="Not a bookshop.")

    response = client.post(
        en(QUEUE), {"action": "approve_selected", "_selected_action": [alpha.pk, bravo.pk]}, follow=True
    )

    bravo.refresh_from_db()
    assert bravo.status == Shop.Status.REJECTED
    assert "1 shop approved." in response.text
    assert "1 selected shop was not awaiting review and was left as it was." in response.text


def test_bulk_rejection_asks_one_reason_on_a_page_listing_exactly_the_selection(client, head_office):
    alpha, bravo = pending("Librairie Alpha", days=1), pending("Librairie Bravo", days=2)
    pending("Librairie Charlie", days=3)

    confirmation = client.post(
        en(QUEUE), {"action": "reject_selected", "_selected_action": [alpha.pk, bravo.pk]}
    )

    assert confirmation.status_code == 200
    assert [shop.trade_name for shop in confirmation.context["applications"]] == [
        "Librairie Bravo",
        "Librairie Alpha",
    ]
    assert "Librairie Charlie" not in confirmation.text
    assert set(Shop.objects.values_list("status", flat=True)) == {Shop.Status.PENDING}


def test_bulk_rejection_sends_the_reason_to_exactly_the_selected_shops(
    client, head_office, capture_on_commit, mailoutbox
):
    alpha, bravo = pending("Librairie Alpha", days=1), pending("Librairie Bravo", days=2)
    already_approved = ShopFactory(trade_name="Librairie Delta", status=Shop.Status.APPROVED)
    pending("Librairie Charlie", days=3)
    kbis = ModerationReason.objects.create(
        applies_to=ModerationReason.AppliesTo.SHOP,
        label="Kbis",
        text="Please send a Kbis extract under 3 months.",
    )

    with capture_on_commit():
        response = client.post(
            en(QUEUE),
            {
                "action": "reject_selected",
                "_selected_action": [alpha.pk, bravo.pk, already_approved.pk],
                "confirm": "1",
                "template": kbis.pk,
                "reason": "Your website is also unreachable.",
            },
            follow=True,
        )

    statuses = dict(Shop.objects.values_list("trade_name", "status"))
    assert statuses == {
        "Librairie Alpha": "rejected",
        "Librairie Bravo": "rejected",
        "Librairie Charlie": "pending",
        "Librairie Delta": "approved",
    }
    assert sorted(email.to[0] for email in mailoutbox) == sorted([alpha.contact_email, bravo.contact_email])
    for email in mailoutbox:
        assert "Please send a Kbis extract under 3 months.\n\nYour website is also unreachable." in email.body
    assert alpha.status_changes.last().reason == (
        "Please send a Kbis extract under 3 months.\n\nYour website is also unreachable."
    )
    assert "2 applications rejected; each applicant has been told why." in response.text
    assert "1 selected shop was not awaiting review and was left as it was." in response.text


def test_bulk_rejection_without_a_reason_rejects_nothing(client, head_office, mailoutbox):
    alpha = pending("Librairie Alpha", days=1)

    response = client.post(
        en(QUEUE),
        {"action": "reject_selected", "_selected_action": [alpha.pk], "confirm": "1", "reason": " "},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    alpha.refresh_from_db()
    assert alpha.status == Shop.Status.PENDING
    assert mailoutbox == []


def test_a_ready_made_reason_reaches_the_shop_from_its_decision_page(
    client, head_office, capture_on_commit, mailoutbox
):
    shop = pending("Librairie Alpha", days=1)
    reason = ModerationReason.objects.create(
        applies_to=ModerationReason.AppliesTo.SHOP,
        label="Not a bookshop",
        text="Books are not your main trade.",
    )
    ModerationReason.objects.create(
        applies_to=ModerationReason.AppliesTo.LISTING, label="Blurry cover", text="The cover is blurry."
    )
    url = en("admin:shops_shop_decide", shop.pk, "reject")

    page = client.get(url)
    with capture_on_commit():
        client.post(url, {"template": reason.pk, "reason": ""})

    assert "Not a bookshop" in page.text
    assert "Blurry cover" not in page.text
    shop.refresh_from_db()
    assert shop.status == Shop.Status.REJECTED
    [email] = mailoutbox
    assert "Books are not your main trade." in email.body


def test_a_decision_from_the_queue_leads_back_to_the_queue_as_filtered(client, head_office, lorient):
    shop = pending("Librairie Alpha", days=1, drive=lorient)
    queue = en(QUEUE) + f"?drives__id__exact={lorient.pk}&waiting=under-2-days"
    page = client.get(queue)
    [approve_link] = re.findall(r'href="([^"]+)" class="decision-link decision-link--approve"', page.text)

    response = client.post(html.unescape(approve_link), {"reason": ""})

    assert response.status_code == 302
    assert response["Location"] == queue
    shop.refresh_from_db()
    assert shop.status == Shop.Status.APPROVED


def test_a_decision_never_leads_to_another_site(client, head_office):
    shop = pending("Librairie Alpha", days=1)

    response = client.post(
        en("admin:shops_shop_decide", shop.pk, "approve"), {"reason": "", "next": "https://evil.example/"}
    )

    assert response["Location"] == en("admin:shops_shop_change", shop.pk)


def test_the_queue_adds_and_deletes_nothing(client, head_office):
    shop = pending("Librairie Alpha", days=1)

    assert client.get(en("admin:shops_shopapplication_add")).status_code == 403
    assert client.get(en("admin:shops_shopapplication_delete", shop.pk)).status_code == 403
    assert client.get(en("admin:shops_shopapplication_change", shop.pk))["Location"] == en(
        "admin:shops_shop_change", shop.pk
    )
