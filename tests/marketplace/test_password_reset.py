"""The "forgotten password" form cannot flood an inbox nor tell who has an account: a few
links an hour per account, a few requests an hour per client address."""

from datetime import datetime

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import Client
from django.urls import reverse

from marketplace.models import OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask(client, email: str):
    return client.post(reverse("admin_password_reset"), {"email": email})


def test_an_account_gets_at_most_three_links_an_hour(monkeypatch):
    account = UserFactory(email="yann@librairie-du-port.fr")
    # A new link each time (a link's token changes with the second it is drawn).
    seconds = iter(range(60))
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: datetime(2026, 12, 1, 10, 0, next(seconds))
    )

    statuses = [
        ask(Client(REMOTE_ADDR=f"198.51.100.{number}"), account.email).status_code for number in range(6)
    ]

    assert statuses == [302] * 6  # every answer the same: the form says nothing about the account
    assert OutgoingEmail.objects.filter(to=account.email).count() == 3


def test_a_known_and_an_unknown_address_get_the_same_answer():
    UserFactory(email="yann@librairie-du-port.fr")

    known = ask(Client(), "yann@librairie-du-port.fr")
    unknown = ask(Client(), "nobody@example.fr")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])


def test_one_client_asks_at_most_ten_times_an_hour():
    client = Client(REMOTE_ADDR="203.0.113.5")
    targets = [UserFactory(email=f"person{number}@example.fr") for number in range(12)]

    statuses = [ask(client, target.email).status_code for target in targets]

    assert statuses == [302] * 10 + [429] * 2
    assert OutgoingEmail.objects.count() == 10
    refused = ask(client, "x@example.fr")
    assert "Beaucoup de nouveaux mots de passe" in refused.text or "Many new passwords" in refused.text
