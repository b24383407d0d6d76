"""The application form cannot be used to send mail to strangers: a few applications an
hour per client address, a trap field robots fill in, and no applicant-written text in
the subject of any email."""

import pytest
from django.test import Client
from django.urls import reverse

from marketplace.models import OutgoingEmail
from shops.models import Drive, Shop, ShopKind
from tests.factories import DriveFactory, valid_siret

pytestmark = pytest.mark.django_db


@pytest.fixture
def drive() -> Drive:
    return DriveFactory(postcode="56100", town="Lorient", latitude=47.75, longitude=-3.37)


def application(number: int, drive: Drive, **overrides) -> dict:
    return {
        "trade_name": f"VIAGRA CHEAP http://spam.example/{number}",
        "legal_name": "SARL Spam",
        "siret": valid_siret(9000 + number),
        "address": "12 rue du Port",
        "postcode": "56100",
        "town": "Lorient",
        "phone": "02 97 64 00 00",
        "email": f"victim{number}@example.org",
        "contact_first_name": "Win",
        "contact_last_name": "Prize",
        "contact_email": f"victim{number}@example.org",
        "drives": [drive.pk],
        "kinds": [ShopKind.objects.get(code=ShopKind.BOOKSHOP).pk],
    } | overrides


def test_one_address_sends_a_few_applications_an_hour(drive, settings):
    settings.SHOP_APPLICATIONS_PER_ADDRESS_PER_HOUR = 3
    sender = Client(REMOTE_ADDR="203.0.113.8")

    statuses = [
        sender.post(reverse("shops:apply"), application(number, drive)).status_code for number in range(5)
    ]

    assert statuses == [302, 302, 302, 429, 429]
    assert Shop.objects.count() == 3
    refused = sender.post(reverse("shops:apply"), application(9, drive))
    assert refused.status_code == 429
    assert refused.context["form"].non_field_errors()


def test_a_forged_forwarded_address_does_not_reset_the_count(drive, settings):
    settings.SHOP_APPLICATIONS_PER_ADDRESS_PER_HOUR = 1
    settings.TRUSTED_PROXIES = ""  # gunicorn reached directly: the header is the client's own

    first = Client(REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR="192.0.2.1")
    second = Client(REMOTE_ADDR="203.0.113.8", HTTP_X_FORWARDED_FOR="192.0.2.2")

    assert first.post(reverse("shops:apply"), application(1, drive)).status_code == 302
    assert second.post(reverse("shops:apply"), application(2, drive)).status_code == 429


def test_a_robot_filling_the_trap_field_saves_and_sends_nothing(client, drive):
    response = client.post(reverse("shops:apply"), application(1, drive, homepage="http://spam.example"))

    assert response.status_code == 302
    assert not Shop.objects.exists()
    assert not OutgoingEmail.objects.exists()


def test_the_trap_field_is_out_of_sight_and_of_the_keyboard(client):
    page = client.get(reverse("shops:apply")).text

    assert '<div class="honeypot" aria-hidden="true">' in page
    assert 'tabindex="-1"' in page


def test_no_email_subject_carries_what_the_applicant_wrote(client, drive, settings):
    settings.STAFF_NOTIFICATION_EMAIL = "moderation@chain.example"

    client.post(reverse("shops:apply"), application(1, drive))

    emails = list(OutgoingEmail.objects.all())
    assert len(emails) == 2  # the applicant's acknowledgement, the team's notice
    for email in emails:
        assert "VIAGRA" not in email.subject
        assert "spam.example" not in email.subject
        assert "Lorient" not in email.subject
