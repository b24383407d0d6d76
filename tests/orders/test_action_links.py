"""The shop's new-order email carries two signed links, "Accept" and "Accept and mark
ready", that work from a phone without logging in: once, for three days, for that order
and that action only, and only after the bookseller confirms (a GET never acts)."""

import functools
import time
from collections import Counter

import pytest
from django.core import signing
from django.test import Client
from playwright.sync_api import expect

from marketplace.models import OutgoingEmail
from orders import action_links
from orders.action_links import LinkUsed, action_link_use, action_link_verify
from orders.models import Order, OrderEvent, UsedActionLink
from orders.services import order_accept, order_cancel
from tests.factories import ListingFactory
from tests.pickup.holding_helpers import action_links_in, placed_order
from tests.race import at_once

Status = Order.Status


@pytest.fixture
def listing(shop_a):
    # An English-speaking shop: its emails and links are in English (/en/…), like the
    # messages asserted below.
    shop_a.language = "en"
    shop_a.save(update_fields=["language"])
    return ListingFactory(shop=shop_a, quantity=3, book__title="Le Cheval d’orgueil")


@pytest.fixture
def order(listing):
    return placed_order(listing)


def links_of(order) -> dict[str, str]:
    email = OutgoingEmail.objects.get(event_key=f"order:{order.pk}:shop-new")
    return action_links_in(email.body_text)


def nothing_changed(order, status=Status.PLACED) -> bool:
    fresh = Order.objects.get(pk=order.pk)
    return fresh.status == status and not UsedActionLink.objects.filter(order=order).exists()


# --- The email -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_order_email_has_an_accept_link_and_a_ready_link(order, shop_a):
    email = OutgoingEmail.objects.get(event_key=f"order:{order.pk}:shop-new")

    in_text, in_html = action_links_in(email.body_text), action_links_in(email.body_html)

    assert set(in_text) == {"accept", "ready"}
    assert in_text["accept"] != in_text["ready"]
    assert in_text == in_html  # the same links in both parts of the message
    assert in_text["accept"].startswith(f"/en/shop-links/orders/{order.pk}/accept/")
    assert in_text["ready"].startswith(f"/en/shop-links/orders/{order.pk}/ready/")
    assert "Accept the order" in email.body_html
    assert "Accept and mark ready" in email.body_html
    assert email.to == shop_a.email


@pytest.mark.django_db
def test_the_links_of_a_french_speaking_shop_open_pages_in_french(shop_b):
    order = placed_order(ListingFactory(shop=shop_b))

    links = links_of(order)

    assert links["accept"].startswith(f"/shop-links/orders/{order.pk}/accept/")
    assert '<html lang="fr">' in Client().get(links["accept"]).text


@pytest.mark.django_db
def test_the_customers_email_has_no_such_link(order):
    email = OutgoingEmail.objects.get(event_key__endswith="customer-placed")

    assert action_links_in(email.body_text) == action_links_in(email.body_html) == {}


# --- Opening a link, confirming --------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_link_shows_the_order_and_asks_to_confirm_without_acting(order, listing):
    response = Client().get(links_of(order)["accept"])

    assert response.status_code == 200
    page = response.text
    assert order.reference in page
    assert listing.book.title in page
    assert order.customer_name in page
    assert 'method="post"' in page
    assert "Accept the order" in page
    assert response["Cache-Control"].startswith("max-age=0")
    assert response["Referrer-Policy"] == "same-origin"
    assert nothing_changed(order)


@pytest.mark.django_db
def test_confirming_accepts_the_order_as_the_shop_and_uses_the_link(order, capture_on_commit):
    link = links_of(order)["accept"]

    with capture_on_commit():
        response = Client().post(link)

    assert response.status_code == 200
    assert f"Order {order.reference} is accepted" in response.text
    order.refresh_from_db()
    assert order.status == Status.ACCEPTED
    [event] = order.events.filter(to_status=Status.ACCEPTED)
    assert (event.actor_kind, event.actor) == (OrderEvent.Actor.SHOP, None)
    assert OutgoingEmail.objects.filter(event_key=f"order-event:{event.pk}:customer").exists()
    [used] = UsedActionLink.objects.all()
    assert (used.order, used.action) == (order, "accept")


@pytest.mark.django_db
def test_ready_from_a_placed_order_accepts_then_marks_ready_with_a_pickup_code(order):
    response = Client().post(links_of(order)["ready"])

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.READY
    assert len(order.pickup_code) == 8
    assert order.collect_by is not None
    assert list(order.events.values_list("from_status", "to_status", "actor_kind")) == [
        ("", Status.PLACED, OrderEvent.Actor.CUSTOMER),
        (Status.PLACED, Status.ACCEPTED, OrderEvent.Actor.SHOP),
        (Status.ACCEPTED, Status.READY, OrderEvent.Actor.SHOP),
    ]
    # the customer hears of each step
    customer_emails = OutgoingEmail.objects.filter(
        to=order.customer_email, event_key__startswith="order-event:"
    )
    assert customer_emails.count() == 2


@pytest.mark.django_db
def test_ready_from_an_accepted_order_only_marks_it_ready(order, owner_a):
    order_accept(order=order, by=owner_a)  # a colleague accepted it in the bookseller space

    response = Client().post(links_of(order)["ready"])

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.READY
    assert order.events.filter(to_status=Status.ACCEPTED).count() == 1


@pytest.mark.django_db
def test_the_confirmation_form_passes_the_csrf_check_without_an_account(order):
    browser = Client(enforce_csrf_checks=True)
    link = links_of(order)["accept"]

    # without the page's token the post is refused
    assert browser.post(link).status_code == 403
    assert nothing_changed(order)

    # with the cookie and the token the page gave, it goes through (no session, no login)
    page = browser.get(link)
    token = page.context["csrf_token"]
    assert "csrftoken" in browser.cookies
    assert "sessionid" not in browser.cookies
    response = browser.post(link, {"csrfmiddlewaretoken": str(token)})

    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Status.ACCEPTED


# --- Refused links ---------------------------------------------------------------------


def refused(response, status: int, message: str) -> bool:
    """A clear page: the status, the reason, and the way to the bookseller space."""
    assert response.status_code == status, response.status_code
    assert message in response.text, response.text
    assert "/admin/orders/order/" in response.text
    return True


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_is_refused(order, method):
    link = links_of(order)["accept"]
    signed = link.rstrip("/").rsplit("/", 1)[1]
    payload, timestamp, signature = signed.split(":")
    forged = link.replace(
        signed, f"{payload}:{timestamp}:{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    )

    response = getattr(Client(), method)(forged)

    assert refused(response, 400, "This link is damaged or incomplete")
    assert nothing_changed(order)


@pytest.mark.django_db
def test_a_link_whose_payload_was_edited_is_refused(order, listing):
    other = placed_order(listing)
    link = links_of(order)["accept"]
    signed = link.rstrip("/").rsplit("/", 1)[1]
    # the readable part names the order: pointing it at another order breaks the signature
    payload = signing.loads(signed, salt=action_links.SALT)
    edited = signing.b64_encode(signing.JSONSerializer().dumps({**payload, "o": other.pk})).decode()
    forged_signed = ":".join([edited, *signed.split(":")[1:]])
    forged = link.replace(signed, forged_signed).replace(f"/orders/{order.pk}/", f"/orders/{other.pk}/")

    assert refused(Client().post(forged), 400, "This link is damaged or incomplete")
    assert nothing_changed(other)


@pytest.mark.django_db
def test_an_expired_link_is_refused(order, listing, monkeypatch):
    # given an email written 73 hours ago (its links are signed when it is written)
    written = time.time() - 73 * 3600
    with monkeypatch.context() as past:
        past.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(written)))
        old_order = placed_order(listing)
        link = links_of(old_order)["accept"]

    for response in (Client().get(link), Client().post(link)):
        assert refused(response, 410, "This link has expired")
    assert nothing_changed(old_order)


@pytest.mark.django_db
def test_a_link_still_works_just_before_it_expires(order, listing, monkeypatch):
    written = time.time() - 71 * 3600
    with monkeypatch.context() as past:
        past.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(written)))
        old_order = placed_order(listing)
        link = links_of(old_order)["accept"]

    response = Client().post(link)

    assert response.status_code == 200
    assert Order.objects.get(pk=old_order.pk).status == Status.ACCEPTED


@pytest.mark.django_db
def test_a_link_works_once(order):
    link = links_of(order)["accept"]
    assert Client().post(link).status_code == 200

    for response in (Client().get(link), Client().post(link)):
        assert refused(response, 410, "This link was already used")
    assert order.events.filter(to_status=Status.ACCEPTED).count() == 1


@pytest.mark.django_db
def test_a_link_of_one_order_cannot_act_on_another(order, listing):
    other = placed_order(listing)
    link = links_of(order)["accept"].replace(f"/orders/{order.pk}/", f"/orders/{other.pk}/")

    for response in (Client().get(link), Client().post(link)):
        assert refused(response, 403, "This link was written for another order")
    assert nothing_changed(other)
    assert nothing_changed(order)


@pytest.mark.django_db
def test_a_link_does_not_outlive_its_order(order, listing):
    """Same id, another order (a database restored from a backup and refilled): the
    digest of the order's token no longer matches."""
    link = links_of(order)["accept"]
    Order.objects.filter(pk=order.pk).update(token="another-token")

    assert refused(Client().post(link), 403, "This link was written for another order")
    assert nothing_changed(order)


@pytest.mark.django_db
def test_an_accept_link_cannot_mark_the_order_ready(order):
    link = links_of(order)["accept"].replace("/accept/", "/ready/")

    for response in (Client().get(link), Client().post(link)):
        assert refused(response, 403, "This link was written for another action")
    assert nothing_changed(order)


@pytest.mark.django_db
def test_an_unknown_action_is_not_found(order):
    link = links_of(order)["accept"].replace("/accept/", "/collect/")

    assert Client().get(link).status_code == 404


@pytest.mark.django_db
def test_a_link_after_the_customer_cancelled_does_nothing(order):
    order_cancel(order=order)

    for response in (Client().get(links_of(order)["accept"]), Client().post(links_of(order)["ready"])):
        assert refused(response, 409, f"Order {order.reference} is cancelled: nothing was done.")
    assert nothing_changed(order, Status.CANCELLED)


@pytest.mark.django_db
def test_a_link_for_what_a_colleague_already_did_says_so_and_does_nothing(order, owner_a):
    order_accept(order=order, by=owner_a)

    response = Client().post(links_of(order)["accept"])

    assert refused(response, 200, f"Order {order.reference} is already accepted: nothing more to do.")
    assert nothing_changed(order, Status.ACCEPTED)
    assert order.events.filter(to_status=Status.ACCEPTED).get().actor == owner_a


# --- Two clicks at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_link_posted_twice_at_once_acts_once(listing):
    listing.quantity = 10
    listing.save(update_fields=["quantity"])
    for _attempt in range(4):  # the two requests interleave differently each time
        order = placed_order(listing)
        signed_path = links_of(order)["ready"].rstrip("/").split("/")
        link = action_link_verify(order_id=order.pk, action="ready", signed=signed_path[-1])

        results = at_once(*[functools.partial(action_link_use, link=link)] * 2)

        assert Counter(type(result).__name__ for result in results) == Counter({"Order": 1, "LinkUsed": 1})
        assert isinstance(next(result for result in results if not isinstance(result, Order)), LinkUsed)
        assert order.events.filter(to_status=Status.READY).count() == 1
        assert UsedActionLink.objects.filter(order=order).count() == 1


# --- On the bookseller's phone ---------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_bookseller_marks_the_order_ready_from_the_email_on_their_phone(live_server, browser, listing):
    # given the shop's email, opened twice (two taps) on a phone where nobody is logged in
    order = placed_order(listing)
    phone = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page, second_tab = phone.new_page(), phone.new_page()
    try:
        for tab in (page, second_tab):
            tab.goto(live_server.url + links_of(order)["ready"])

        # the page shows the order and waits for the bookseller
        expect(page.get_by_role("heading", name=f"Order {order.reference}")).to_be_visible()
        expect(page.get_by_text(listing.book.title)).to_be_visible()
        assert Order.objects.get(pk=order.pk).status == Status.PLACED

        # when they confirm (a real form post: cookie, token and Origin checked by Django)
        page.get_by_role("button", name="Accept and mark ready").click()

        # then the order is ready
        expect(
            page.get_by_text(f"Order {order.reference} is ready; the customer has been told")
        ).to_be_visible()
        order.refresh_from_db()
        assert order.status == Status.READY
        assert order.pickup_code
        # and confirming again in the other tab does nothing more
        second_tab.get_by_role("button", name="Accept and mark ready").click()
        expect(second_tab.get_by_text("This link was already used.")).to_be_visible()
        assert order.events.filter(to_status=Status.READY).count() == 1
    finally:
        phone.close()
