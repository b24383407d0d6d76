"""A rejected applicant reads the reason, corrects the application and sends it again,
from the signed link in the rejection email; the history keeps every step."""

import re
import time

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import translation

from marketplace.models import OutgoingEmail
from shops import services
from shops.models import Shop
from tests.factories import ChainStaffFactory, DriveFactory, ShopFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^\s]+/shops/apply/again/[^\s]+/")


@pytest.fixture
def staff():
    return ChainStaffFactory()


@pytest.fixture
def lorient():
    return DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.754, longitude=-3.39)


@pytest.fixture
def shop(lorient):
    shop = ShopFactory(
        trade_name="Librairie du Prt",
        legal_name="SARL Librairie du Port",
        siret="73282932000074",
        address="12 rue du Port",
        postcode="56100",
        town="Lorient",
        status=Shop.Status.PENDING,
        contact_first_name="Yann",
        contact_email="yann@librairie-du-port.fr",
        language="en",
    )
    shop.drives.add(lorient)
    return shop


def reject(shop, staff, reason="The shop name is misspelt.") -> str:
    """Reject `shop` and return the link of the rejection email (a site-relative path)."""
    services.shop_reject(shop=shop, by=staff, reason=reason)
    body = OutgoingEmail.objects.filter(to=shop.contact_email).latest("pk").body_text
    return LINK.search(body).group(0).removeprefix("http://127.0.0.1:8000")


def corrected(form_page, **changes) -> dict:
    """What the applicant sends: the form as shown, with their corrections."""
    form = form_page.context["form"]
    data = {name: form[name].value() or "" for name in form.fields if name != "logo"}
    data["drives"] = list(form.selected_drive_ids)
    return {**data, **changes}


def test_the_rejection_email_gives_the_reason_and_a_link_to_correct_the_application(
    staff, shop, capture_on_commit, mailoutbox
):
    with capture_on_commit():
        services.shop_reject(shop=shop, by=staff, reason="The shop name is misspelt.")

    [email] = mailoutbox
    assert "The shop name is misspelt." in email.body
    link = LINK.search(email.body).group(0)
    assert link.startswith("http://127.0.0.1:8000/en/shops/apply/again/")
    assert link in email.alternatives[0][0]
    assert "for 60 days" in email.body


def test_the_applicant_reads_the_reason_and_finds_the_application_as_sent(client, staff, shop, lorient):
    link = reject(shop, staff)

    page = client.get(link)

    assert page.status_code == 200
    assert "The shop name is misspelt." in page.text
    form = page.context["form"]
    assert form["trade_name"].value() == "Librairie du Prt"
    assert form["contact_email"].value() == "yann@librairie-du-port.fr"
    assert form.selected_drive_ids == {lorient.pk}
    assert "siret" not in form.fields
    assert "73282932000074" in page.text
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_applicant_corrects_and_sends_again(client, settings, staff, shop, capture_on_commit, mailoutbox):
    settings.STAFF_NOTIFICATION_EMAIL = "moderation@chain.example"
    link = reject(shop, staff)
    form_page = client.get(link)

    with capture_on_commit():
        response = client.post(
            link,
            corrected(
                form_page,
                trade_name="Librairie du Port",
                note="Name corrected.",
                siret="11111111111111",
            ),
        )

    assert response.status_code == 302
    with translation.override("en"):
        assert response["Location"] == reverse("shops:apply_done")
    shop.refresh_from_db()
    assert shop.status == Shop.Status.PENDING
    assert shop.trade_name == "Librairie du Port"
    assert shop.siret == "73282932000074"
    history = list(shop.status_changes.values_list("from_status", "to_status", "actor", "reason"))
    assert history == [
        ("pending", "rejected", staff.pk, "The shop name is misspelt."),
        ("rejected", "pending", None, "Name corrected."),
    ]
    acknowledgement, to_staff = sorted(mailoutbox, key=lambda email: email.to[0] != shop.contact_email)
    assert acknowledgement.to == ["yann@librairie-du-port.fr"]
    assert "corrected application" in acknowledgement.subject
    assert to_staff.to == ["moderation@chain.example"]
    assert str(shop.pk) in to_staff.subject


def test_the_corrected_application_is_checked_like_a_new_one(client, staff, shop):
    link = reject(shop, staff)
    form_page = client.get(link)

    response = client.post(link, corrected(form_page, postcode="99999"))

    assert response.status_code == 200
    assert response.context["form"].errors["postcode"]
    shop.refresh_from_db()
    assert shop.status == Shop.Status.REJECTED


def test_the_shop_page_keeps_the_whole_history(client, staff, shop):
    link = reject(shop, staff, reason="First reason.")
    client.post(link, corrected(client.get(link)))
    reject(shop, staff, reason="Second reason.")
    client.force_login(staff)

    with translation.override("en"):
        page = client.get(reverse("admin:shops_shop_change", args=[shop.pk]))

    assert list(shop.status_changes.values_list("to_status", flat=True)) == [
        "rejected",
        "pending",
        "rejected",
    ]
    assert "First reason." in page.text
    assert "Second reason." in page.text


def test_a_link_used_once_says_the_application_was_sent_again(client, staff, shop, mailoutbox):
    link = reject(shop, staff)
    form_page = client.get(link)
    client.post(link, corrected(form_page))
    changes = shop.status_changes.count()

    again = client.get(link)
    posted_again = client.post(link, corrected(form_page, trade_name="Another name"))

    for response in (again, posted_again):
        assert response.status_code == 200
        assert "already been sent again" in response.text
        assert "form" not in response.context or response.context.get("form") is None
    shop.refresh_from_db()
    assert shop.trade_name == "Librairie du Prt"
    assert shop.status_changes.count() == changes


def test_the_link_of_an_older_rejection_stops_working_after_a_newer_decision(client, staff, shop):
    first_link = reject(shop, staff, reason="First reason.")
    client.post(first_link, corrected(client.get(first_link)))
    second_link = reject(shop, staff, reason="Second reason.")

    old = client.get(first_link)
    new = client.get(second_link)

    assert "already been sent again" in old.text
    assert new.status_code == 200
    assert "Second reason." in new.text


def test_a_tampered_link_is_refused(client, staff, shop):
    link = reject(shop, staff)
    other = ShopFactory(status=Shop.Status.REJECTED)
    signed = link.rstrip("/").rsplit("/", 1)[1]
    payload = signing.loads(signed, salt=services.RESUBMISSION_SALT)
    forged_payload = signing.dumps({**payload, "s": other.pk}, salt="another salt")

    for forged in (signed[:-2] + "xx", forged_payload, "nothing"):
        with translation.override("en"):
            response = client.get(reverse("shops:resubmit", args=[forged]))
        assert response.status_code == 400
        assert "This link is damaged or incomplete." in response.text


def test_an_expired_link_says_so(client, staff, shop, monkeypatch):
    sixty_one_days_ago = time.time() - 61 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: sixty_one_days_ago)
    link = reject(shop, staff)
    monkeypatch.undo()

    response = client.get(link)

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert "60 days" in response.text


def test_the_page_speaks_french_by_default(client, staff, shop):
    shop.language = "fr"
    shop.save(update_fields=["language"])
    link = reject(shop, staff)

    response = client.get(link)

    assert not link.startswith("/en/")
    assert '<html lang="fr">' in response.text
