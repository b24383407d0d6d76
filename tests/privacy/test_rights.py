"""A person downloads or erases their personal data: from their account, from a link emailed
to the address of an order, or through head office for a letter. The download holds what
the register lists; erasure leaves nothing in the database that names them, and the
dashboards' figures do not move."""

import json
import re
import time
from unittest import mock

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from marketplace.models import AuditEntry, OutgoingEmail, User
from marketplace.services import email_send
from orders import services as order_services
from orders.models import Order
from privacy import rights
from privacy.models import DataRequest
from privacy.register import REGISTER, Person
from tests.factories import BooksellerFactory, ChainStaffFactory, ListingFactory, reserve
from tests.privacy.world import EMAIL, MARKS, NAME, PHONE, customer_who_used_everything, every_figure
from tests.privacy.world import rows_naming_the_person as naming

pytestmark = pytest.mark.django_db

# Nothing in the database can lead back to a person without them: a code typed at a
# counter is tied to no customer (the nightly job deletes it after its period).
NOT_FOUND_BY_PERSON = {"counter_attempts"}


def test_the_download_holds_everything_the_register_lists():
    customer_who_used_everything()

    exported = rights.personal_data_export(
        person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT
    )

    for entry in REGISTER:
        if entry.key in NOT_FOUND_BY_PERSON:
            continue
        rows = exported["data"][entry.key]
        assert rows, f"the download has nothing of {entry.key}"
        downloaded = _keys(rows)
        for label, fields in entry.holds.items():
            for name in fields:
                field = apps.get_model(label)._meta.get_field(name)
                if field.is_relation or name in entry.not_downloaded:
                    continue  # a link to the account: the account is in the download
                assert name in downloaded, f"{label}.{name} is in the register, not in the download"
    text = json.dumps(exported, default=str, ensure_ascii=False)
    for detail in (NAME, EMAIL, PHONE, "Vendu au comptoir"):
        assert detail in text
    # Not the emails sent to the shop about their orders (erased with them): those carry
    # the shop's one-time links to accept the order.
    assert "shop-links" not in text
    assert DataRequest.objects.get().kind == DataRequest.Kind.EXPORT


def test_erasure_leaves_nothing_that_names_the_person_and_no_figure_moves():
    customer = customer_who_used_everything()
    assert naming()  # the test finds them before
    figures = every_figure()

    done = rights.personal_data_erase(person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT)

    assert naming() == {}
    assert every_figure() == figures
    assert not User.objects.filter(pk=customer.account.pk).exists()
    # The shop keeps its orders: what, when, how much; not who.
    collected = Order.objects.get(pk=customer.collected.pk)
    assert (collected.status, collected.lines.count(), collected.customer_name) == ("collected", 1, "")
    assert done.records["orders"] == 2
    # Recorded, in the audit trail too, without the person's details.
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.PERSONAL_DATA)
    assert entry.after == DataRequest.Kind.ERASURE


def test_erasure_waits_for_the_orders_in_progress():
    customer_who_used_everything()
    open_order = reserve(ListingFactory(), email=EMAIL).orders.get()

    with translation.override("en"), pytest.raises(rights.ErasureRefused, match="1 reservation in progress"):
        rights.personal_data_erase(person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT)

    open_order.refresh_from_db()
    assert open_order.customer_email == EMAIL
    assert User.objects.filter(email=EMAIL).exists()
    assert not DataRequest.objects.exists()


def test_other_customers_are_left_alone():
    customer_who_used_everything()
    someone_else = reserve(ListingFactory(), email="yann@example.fr", name="Yann Le Bihan").orders.get()

    rights.personal_data_erase(person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT)

    someone_else.refresh_from_db()
    assert (someone_else.customer_name, someone_else.customer_email) == ("Yann Le Bihan", "yann@example.fr")


def _keys(rows) -> set[str]:
    """Every key of the downloaded rows, nested lists of rows included."""
    keys = set()
    for row in rows:
        for key, value in row.items():
            keys.add(key)
            if isinstance(value, list) and value and isinstance(value[0], dict):
                keys |= _keys(value)
    return keys


# --- From the account ----------------------------------------------------------------


def test_an_account_holder_downloads_then_erases_their_data_from_my_account(client):
    customer = customer_who_used_everything()
    client.force_login(customer.account)
    with translation.override("en"):
        assert "My personal data" in client.get(reverse("my_data")).text
        page = client.get(reverse("my_data_download")).text
        download = client.get(reverse("my_data_download") + "?format=json")
        wrong = client.post(reverse("my_data_erase"), {"password": "guess", "confirm": "on"})
        unticked = client.post(reverse("my_data_erase"), {"password": "correct horse battery staple"})
        erased = client.post(
            reverse("my_data_erase"),
            {"password": "correct horse battery staple", "confirm": "on"},
            follow=True,
        )

    assert NAME in page
    assert "Vendu au comptoir" in page
    assert download["Content-Disposition"].startswith("attachment;")
    assert json.loads(download.content)["data"]["account"][0]["email"] == EMAIL
    assert (wrong.status_code, unticked.status_code) == (400, 400)
    assert "This is not your password." in wrong.text
    assert "Your account and your personal data have been erased." in erased.text
    assert not erased.wsgi_request.user.is_authenticated
    assert naming() == {}


def test_a_staff_account_is_sent_to_head_office(client):
    bookseller = BooksellerFactory()
    client.force_login(bookseller)
    with translation.override("en"):
        page = client.get(reverse("my_data")).text
        refused = client.post(reverse("my_data_erase"), {"password": "x", "confirm": "on"})
    assert "ask head office" in page
    assert refused.status_code == 404
    assert User.objects.filter(pk=bookseller.pk).exists()


# --- A guest, from an order's page -----------------------------------------------------


def _link_from_outbox() -> str:
    email = OutgoingEmail.objects.filter(template="emails/privacy/data_link").latest("pk")
    assert email.to == EMAIL.upper()  # the order's address, as the customer typed it
    return re.sub(r"^https?://[^/]+", "", email.context["link"])


def test_a_guest_gets_a_link_by_email_then_downloads_and_erases(client):
    customer = customer_who_used_everything(with_account=False)
    with translation.override("en"):
        order_page = reverse("order_data", args=[customer.refused.token])
        assert "we first send a link" in client.get(order_page).text
        sent = client.post(order_page)
        link = _link_from_outbox()
        page = client.get(link).text
        download = client.get(link + "download/?format=json")
        erased = client.post(link + "erase/", {"confirm": "on"})
        again = client.get(link)

    assert "We have sent a link" in sent.text
    assert EMAIL in page.lower()
    assert json.loads(download.content)["data"]["orders"]
    assert "Vos données personnelles ont été effacées" in erased.text  # the French order's link
    assert again.status_code == 410  # the order no longer names anyone
    assert naming() == {}
    assert DataRequest.objects.filter(channel=DataRequest.Channel.EMAIL_LINK).count() == 2


@pytest.mark.parametrize("signed", ["garbage", "a" * 500, "eyJvcmRlciI6MX0:1vDs:zzzz", "%00"])
def test_a_damaged_link_is_refused_with_a_page_never_an_error(client, signed):
    assert client.get(f"/my-data/{signed}/").status_code in (400, 410)
    assert client.post(f"/my-data/{signed}/erase/", {"confirm": "on"}).status_code in (400, 410)


def test_an_expired_link_is_refused(client, settings):
    customer = customer_who_used_everything(with_account=False)
    client.post(reverse("order_data", args=[customer.refused.token]))
    link = _link_from_outbox()
    later = time.time() + settings.PERSONAL_DATA_LINK_HOURS * 3600 + 60
    with translation.override("en"), mock.patch("django.core.signing.time.time", return_value=later):
        refused = client.get(link)
    assert refused.status_code == 410
    assert "Ce lien a expiré" in refused.text  # the link of a French order's email


def test_links_are_limited_per_client_and_per_order(client, settings):
    settings.PERSONAL_DATA_LINKS_PER_ADDRESS_PER_HOUR = 2
    order = reserve(ListingFactory(), email=EMAIL).orders.get()
    statuses = [client.post(reverse("order_data", args=[order.token])).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert OutgoingEmail.objects.filter(template="emails/privacy/data_link").count() == 2


def test_an_unknown_order_has_no_data_page(client):
    assert client.get(reverse("order_data", args=["nope"])).status_code == 404


# --- Head office, for a letter -------------------------------------------------------


def test_head_office_downloads_and_erases_for_a_request_received_by_post(client):
    customer_who_used_everything()
    staff = ChainStaffFactory()
    client.force_login(staff)
    add = reverse("admin:privacy_datarequest_add")

    assert client.get(add).status_code == 200
    download = client.post(add, {"email": EMAIL, "kind": "export"})
    erased = client.post(add, {"email": EMAIL, "kind": "erasure"})

    assert NAME in download.content.decode()
    assert erased.status_code == 302
    assert naming() == {}
    requests = DataRequest.objects.order_by("pk")
    assert [(r.kind, r.channel, r.handled_by_id) for r in requests] == [
        ("export", "head_office", staff.pk),
        ("erasure", "head_office", staff.pk),
    ]
    listed = client.get(reverse("admin:privacy_datarequest_changelist")).text
    assert not any(mark.lower() in listed.lower() for mark in MARKS)


def test_a_bookseller_cannot_carry_out_requests(client):
    customer_who_used_everything()
    client.force_login(BooksellerFactory())
    response = client.post(reverse("admin:privacy_datarequest_add"), {"email": EMAIL, "kind": "erasure"})
    assert response.status_code in (302, 403)
    assert User.objects.filter(email=EMAIL).exists()
    assert not DataRequest.objects.exists()


def test_a_staff_account_is_offered_nothing_that_leads_nowhere(client):
    client.force_login(BooksellerFactory())
    page = client.get(reverse("my_data")).text
    assert reverse("my_data_download") not in page


def test_the_password_asked_before_erasing_cannot_be_guessed(client, settings):
    settings.ERASURE_ATTEMPTS_PER_HOUR = 3
    customer = customer_who_used_everything()
    client.force_login(customer.account)
    guesses = [
        client.post(reverse("my_data_erase"), {"password": f"guess{n}", "confirm": "on"}) for n in range(3)
    ]
    right = client.post(
        reverse("my_data_erase"), {"password": "correct horse battery staple", "confirm": "on"}
    )

    wrong = client.post(reverse("my_data_erase"), {"password": "guess9", "confirm": "on"})

    assert [guess.status_code for guess in guesses] == [400, 400, 400]
    assert (right.status_code, wrong.status_code) == (429, 429)
    assert right["Retry-After"] == "3600"
    assert User.objects.filter(pk=customer.account.pk).exists()
    # Past the limit the page says the same, right password or not.
    without_token = lambda page: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.text)  # noqa: E731
    assert without_token(right) == without_token(wrong)
    assert "This is not your password" not in right.text


def test_opening_an_erase_address_leads_to_the_page_with_its_form(client):
    customer = customer_who_used_everything()
    client.force_login(customer.account)
    assert client.get(reverse("my_data_erase")).url == reverse("my_data")


def test_head_office_is_told_in_its_own_words_why_it_cannot_erase_yet(client):
    reserve(ListingFactory(), email=EMAIL)
    client.force_login(ChainStaffFactory())
    with translation.override("en"):
        page = client.post(reverse("admin:privacy_datarequest_add"), {"email": EMAIL, "kind": "erasure"}).text
    assert "This person has 1 order in progress" in page


def test_wrong_passwords_typed_for_the_address_go_with_the_erasure():
    from axes.models import AccessAttempt

    customer_who_used_everything()
    AccessAttempt.objects.create(
        username=EMAIL, ip_address="203.0.113.4", user_agent="x", failures_since_start=1
    )
    rights.personal_data_erase(person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT)
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_page_not_found_is_a_page_in_the_persons_language(client, language):
    prefix = "" if language == "fr" else "/en"
    page = client.get(f"{prefix}/orders/unknown-token/my-data/")
    assert page.status_code == 404
    with translation.override(language):
        assert str(translation.gettext("Page not found")) in page.text


def test_emails_to_another_address_typed_at_the_checkout_go_with_the_account():
    """A customer with an account may type another address at the checkout: the
    confirmation sent there is theirs too, in the download and in the erasure."""
    from orders.models import Checkout

    customer = customer_who_used_everything()
    elsewhere = reserve(ListingFactory(), email="other.box@example.fr", name=NAME)
    Checkout.objects.filter(pk=elsewhere.pk).update(customer=customer.account)
    elsewhere.orders.update(customer=customer.account)
    order = elsewhere.orders.get()
    order_services.order_cancel(order=order, by=None)
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING):
        email_send(email_id=email.pk)

    exported = rights.personal_data_export(
        person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT
    )
    assert "other.box@example.fr" in {email["to"] for email in exported["data"]["emails"]}
    rights.personal_data_erase(person=Person.with_email(EMAIL), channel=DataRequest.Channel.ACCOUNT)
    assert not OutgoingEmail.objects.filter(to="other.box@example.fr").exists()
    assert naming() == {}


def test_a_reservation_placed_while_the_data_is_erased_keeps_what_its_shop_needs():
    """The erasure and the person's checkouts queue behind each other; an order open when
    the erasure reads its rows is never blanked."""
    from privacy.register import kind

    customer_who_used_everything()
    open_order = reserve(ListingFactory(), email=EMAIL).orders.get()
    assert open_order.pk not in kind("orders").to_erase(Person.with_email(EMAIL)).values_list("pk", flat=True)
