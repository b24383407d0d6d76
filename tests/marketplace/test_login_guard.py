"""Nobody guesses a password: both log-in forms lock an account for the client that keeps
failing, refuse an address trying many accounts, say so clearly, and count without a
race (twenty wrong passwords sent at once are checked one by one)."""

import functools
import threading
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from marketplace import login_guard
from marketplace.locking import advisory_xact_lock
from tests.factories import BooksellerFactory, ChainStaffFactory, UserFactory
from tests.race import at_once, held_in_another_transaction

PASSWORD = "correct horse battery staple"  # the factories'
LOGIN_PAGES = {"customer": "customer_login", "bookseller space": "admin:login"}


def en(name: str) -> str:
    with translation.override("en"):
        return reverse(name)


def log_in(client, page: str, email: str, password: str):
    return client.post(en(LOGIN_PAGES[page]), {"username": email, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def account():
    return BooksellerFactory(email="yann@librairie-du-port.fr")


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_five_wrong_passwords_lock_the_account_for_that_client_even_with_the_right_one(client, account, page):
    answers = [log_in(client, page, account.email, "wrong guess").status_code for _ in range(5)]

    locked = log_in(client, page, account.email, PASSWORD)

    assert answers == [200, 200, 200, 200, 429]  # the fifth says the account is now locked

    assert locked.status_code == 429
    assert not logged_in(client)
    assert "Too many wrong passwords." in locked.text
    assert "15 minutes" in locked.text
    assert en("admin_password_reset") in locked.text


@pytest.mark.django_db
def test_the_owner_elsewhere_is_not_locked_out(client, account):
    for _ in range(5):
        log_in(client, "customer", account.email, "wrong guess")

    owner = Client(REMOTE_ADDR="198.51.100.20")
    log_in(owner, "customer", account.email, PASSWORD)

    assert logged_in(owner)


@pytest.mark.django_db
def test_changing_the_case_of_the_email_counts_as_the_same_account(client, account):
    for variant in [
        "YANN@librairie-du-port.fr",
        "Yann@Librairie-du-Port.fr ",
        "yann@LIBRAIRIE-du-port.fr",
    ] * 2:
        log_in(client, "customer", variant, "wrong guess")

    assert log_in(client, "customer", account.email, PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().username == "yann@librairie-du-port.fr"


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off(client, account, settings):
    for _ in range(5):
        log_in(client, "customer", account.email, "wrong guess")

    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    log_in(client, "customer", account.email, PASSWORD)

    assert logged_in(client)
    assert not AccessAttempt.objects.exists()  # a success forgets the failures


@pytest.mark.django_db
def test_head_office_unlocks_an_account_in_the_admin(client, account):
    for _ in range(5):
        log_in(client, "customer", account.email, "wrong guess")
    attempt = AccessAttempt.objects.get()
    staff = Client()
    staff.force_login(ChainStaffFactory())

    listing = staff.get(reverse("admin:axes_accessattempt_changelist"))
    unlocked = staff.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
        follow=True,
    )

    assert account.email in listing.text
    assert "1 lockout lifted." in unlocked.text or "1 verrouillage levé." in unlocked.text
    log_in(client, "customer", account.email, PASSWORD)
    assert logged_in(client)


@pytest.mark.django_db
def test_booksellers_cannot_see_or_lift_lockouts(client, account):
    client.force_login(account)

    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


@pytest.mark.django_db
def test_an_address_trying_many_accounts_is_refused_for_the_hour(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS_PER_HOUR = 4
    stuffer = Client(REMOTE_ADDR="203.0.113.9")
    victims = [UserFactory(email=f"victim{number}@example.fr") for number in range(6)]

    answers = [log_in(stuffer, "customer", victim.email, "Summer2024!").status_code for victim in victims[:5]]
    right = log_in(stuffer, "customer", victims[5].email, PASSWORD)

    assert answers == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert not logged_in(stuffer)
    log_in(Client(REMOTE_ADDR="198.51.100.1"), "customer", victims[5].email, PASSWORD)  # others are fine


@pytest.mark.django_db
def test_the_lockout_page_speaks_french_at_the_french_address(client, account):
    for _ in range(6):
        response = client.post(reverse("customer_login"), {"username": account.email, "password": "x"})

    assert response.status_code == 429
    assert 'lang="fr"' in response.text
    assert "Too many wrong passwords." not in response.text


@pytest.mark.django_db
def test_expired_lockouts_are_forgotten_by_the_hourly_job(client, account, settings):
    for _ in range(5):
        log_in(client, "customer", account.email, "wrong guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(days=2))

    assert login_guard.login_failures_forget_expired() == 1
    assert login_guard.login_failures_forget_expired() == 0


# --- Sent all at once ----------------------------------------------------------------------------


def passwords_checked_when_sent_at_once(monkeypatch, *, page: str, email: str, count: int):
    """Send `count` wrong passwords at once; returns (passwords checked, statuses)."""
    checked, lock = [], threading.Lock()
    authenticate = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        with lock:
            checked.append(password)
        return authenticate(self, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    statuses = at_once(
        *[functools.partial(lambda: log_in(Client(), page, email, "guess").status_code)] * count
    )
    return checked, statuses


@pytest.mark.django_db(transaction=True)
def test_control_without_the_guards_lock_requests_in_flight_are_all_checked(account, monkeypatch):
    # The race the lock removes: axes checks the lockout before the password and counts
    # the failure after, so requests in flight together all reach the password check.
    monkeypatch.setattr(login_guard, "_wait_for_other_attempts", lambda *keys: None)

    checked, statuses = passwords_checked_when_sent_at_once(
        monkeypatch, page="customer", email=account.email, count=20
    )

    assert len(checked) > 5, statuses


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_twenty_wrong_passwords_at_once_are_checked_one_by_one(page, account, monkeypatch):
    checked, statuses = passwords_checked_when_sent_at_once(
        monkeypatch, page=page, email=account.email, count=20
    )

    # only the first five reached the password check; the others found the account locked
    assert len(checked) == 5, statuses
    assert sorted(statuses) == [200] * 4 + [429] * 16  # the fifth failure locks at once
    assert log_in(Client(), page, account.email, PASSWORD).status_code == 429


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
@pytest.mark.parametrize("username", ["yann\x00@librairie-du-port.fr", "x" * 10_000, ""])
def test_a_hostile_username_gets_the_form_again_not_an_error(client, page, username):
    response = log_in(client, page, username, "anything")

    assert response.status_code == 200
    assert not logged_in(client)


@pytest.mark.django_db
def test_someone_logged_in_who_tries_other_accounts_is_counted_too(settings):
    settings.LOGIN_FAILURES_PER_ADDRESS_PER_HOUR = 3
    stuffer = Client(REMOTE_ADDR="203.0.113.9")
    stuffer.force_login(UserFactory(email="throwaway@example.fr"))
    victims = [UserFactory(email=f"victim{number}@example.fr") for number in range(4)]

    answers = [log_in(stuffer, "customer", victim.email, "Summer2024!").status_code for victim in victims]

    assert answers == [200, 200, 200, 429]


@pytest.mark.django_db
def test_choosing_a_new_password_from_the_email_lifts_the_lockout(client, account):
    from accounts.forms import ChoosePasswordForm

    for _ in range(5):
        log_in(client, "customer", account.email.upper(), "wrong guess")
    assert AccessAttempt.objects.exists()

    form = ChoosePasswordForm(
        account, {"new_password1": "A-new-long-secret", "new_password2": "A-new-long-secret"}
    )
    assert form.is_valid()
    form.save()

    log_in(client, "customer", account.email, "A-new-long-secret")
    assert logged_in(client)


@pytest.mark.django_db(transaction=True)
def test_attempts_queued_too_long_behind_others_are_asked_to_retry(account, monkeypatch):
    monkeypatch.setattr(login_guard, "WAIT_FOR_OTHER_ATTEMPTS", "200ms")

    # someone else's attempt at the account, taking its time
    with held_in_another_transaction(lambda: advisory_xact_lock(f"login:account:{account.email}")):
        response = log_in(Client(), "customer", account.email, PASSWORD)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
