"""Sign-up never says who has an account: the same page whether the email is new or
taken, the difference told by email to the address's owner; the password is chosen on
the emailed link's page (nobody sets one for an address they do not read), and a sign-up
nobody confirms is deleted after a few days — and no other account ever is."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as accounts
from accounts.tasks import delete_unconfirmed_accounts
from marketplace.models import OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "une phrase de passe"


def en(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def sign_up(client, email: str = "annick@example.fr", **overrides):
    data = {"first_name": "Annick", "last_name": "Le Goff", "email": email} | overrides
    return client.post(en("customer_signup"), data)


def choose_password(client, link: str, password: str = PASSWORD):
    return client.post(link, {"new_password1": password, "new_password2": password})


def confirmation_link(email: str) -> str:
    message = OutgoingEmail.objects.filter(to=email).latest("created_at")
    return (
        re.search(r"https?://\S+/accounts/signup/confirm/\S+/", message.body_text)
        .group(0)
        .removeprefix(settings.SITE_URL)
    )


def test_a_new_customer_confirms_the_link_and_is_logged_in(client):
    response = sign_up(client)

    assert response["Location"] == en("customer_signup_sent")
    assert "annick@example.fr" in client.get(response["Location"]).text
    user = User.objects.get(email="annick@example.fr")
    assert not user.is_active  # nobody logs in before the address is proven
    assert not user.has_usable_password()  # chosen on the link's page
    link = confirmation_link("annick@example.fr")
    assert client.get(link).status_code == 200  # a mail scanner opening it confirms nothing
    user.refresh_from_db()
    assert not user.is_active

    confirmed = choose_password(client, link)

    user.refresh_from_db()
    assert user.is_active
    assert user.check_password(PASSWORD)
    assert user.awaiting_confirmation_since is None
    assert confirmed["Location"] == en("my_orders")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_taken_email_gets_the_same_page_and_its_owner_an_email(client):
    owner = UserFactory(email="annick@example.fr")
    stranger = Client()

    taken = sign_up(stranger, email="Annick@Example.fr")
    new = sign_up(Client(), email="someone-new@example.fr")

    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"]
    owner.refresh_from_db()
    assert owner.is_active
    assert owner.check_password("correct horse battery staple")  # untouched
    [told] = OutgoingEmail.objects.filter(to="annick@example.fr")
    assert "already has one" in told.body_text or "déjà" in told.body_text
    assert en("customer_login") in told.body_text


def test_a_pending_sign_up_asked_again_gets_a_fresh_link_and_nothing_else_changes():
    sign_up(Client())
    first = User.objects.get(email="annick@example.fr")
    sign_up(Client(), first_name="Mallory")

    user = User.objects.get(email="annick@example.fr")
    assert (user.first_name, user.awaiting_confirmation_since) == (
        "Annick",
        first.awaiting_confirmation_since,
    )
    assert OutgoingEmail.objects.filter(to="annick@example.fr").count() == 2


@pytest.mark.parametrize("staff", [False, True])
def test_a_deactivated_account_is_told_and_left_alone(staff):
    dormant = UserFactory(email="former@example.fr", is_active=False, is_staff=staff)
    password = dormant.password

    sign_up(Client(), email="former@example.fr")

    dormant.refresh_from_db()
    assert (dormant.is_active, dormant.password, dormant.awaiting_confirmation_since) == (
        False,
        password,
        None,
    )
    [told] = OutgoingEmail.objects.filter(to="former@example.fr")
    assert "already has one" in told.body_text or "déjà" in told.body_text
    later = timezone.now() + timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS + 1)
    assert accounts.accounts_delete_unconfirmed(now=later) == 0
    assert User.objects.filter(pk=dormant.pk).exists()


def test_the_link_works_once_and_not_after_its_days(client):
    sign_up(client)
    link = confirmation_link("annick@example.fr")
    choose_password(client, link)

    again = Client().get(link)
    assert again.status_code == 410

    sign_up(Client(), email="late@example.fr")
    late = confirmation_link("late@example.fr")
    with pytest.MonkeyPatch.context() as patch:
        later = timezone.now() + timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS, seconds=5)
        patch.setattr("django.core.signing.time.time", lambda: later.timestamp())
        assert Client().get(late).status_code == 410


def test_a_damaged_link_is_refused_clearly(client):
    response = client.get(en("customer_signup_confirm", "not-a-signed-value"))

    assert response.status_code == 410
    assert "damaged" in response.text or "abîmé" in response.text


def test_unconfirmed_accounts_are_deleted_after_their_days_and_no_other():
    sign_up(Client())
    sign_up(Client(), email="recent@example.fr")
    inactive_bookseller = UserFactory(is_active=False)  # deactivated by head office: not a sign-up
    old = timezone.now() - timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS, minutes=1)
    User.objects.filter(email="annick@example.fr").update(awaiting_confirmation_since=old)
    User.objects.filter(pk=inactive_bookseller.pk).update(date_joined=old)

    assert delete_unconfirmed_accounts.apply().get() == 1
    assert accounts.accounts_delete_unconfirmed() == 0
    assert set(User.objects.values_list("email", flat=True)) == {
        "recent@example.fr",
        inactive_bookseller.email,
    }


def test_one_address_may_sign_up_a_few_times_an_hour(settings):
    settings.SIGNUPS_PER_ADDRESS_PER_HOUR = 2
    bot = Client(REMOTE_ADDR="203.0.113.7")

    statuses = [sign_up(bot, email=f"target{number}@example.fr").status_code for number in range(3)]

    assert statuses == [302, 302, 429]
    assert OutgoingEmail.objects.count() == 2


def test_one_email_address_gets_a_few_sign_up_emails_an_hour(settings):
    settings.SIGNUP_EMAILS_PER_RECIPIENT_PER_HOUR = 2

    for number in range(4):
        assert sign_up(Client(REMOTE_ADDR=f"203.0.113.{number}")).status_code == 302

    assert OutgoingEmail.objects.filter(to="annick@example.fr").count() == 2


def test_a_weak_password_is_refused_on_the_links_page(client):
    sign_up(client)
    link = confirmation_link("annick@example.fr")

    response = choose_password(client, link, password="annick")

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert not User.objects.get(email="annick@example.fr").is_active


def test_an_email_too_long_for_the_database_is_refused_with_a_message(client):
    response = sign_up(client, email="a" * 250 + "@example.fr")

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not User.objects.exists()
