"""Checkout: the customer's details, one submission, one order per shop; every way it
can go wrong says what happened and reserves nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from catalog.models import Listing
from orders.cart import SESSION_KEY
from orders.models import Checkout, Order
from orders.services import CartLine, ReservationBusy, checkout_place
from tests.factories import ListingFactory, UserFactory, customer_details, reserve

pytestmark = pytest.mark.django_db


def url(name, *args, language="en"):
    with translation.override(language):
        return reverse(name, args=args)


def add(client, listing, quantity=1, language="en"):
    response = client.post(url("cart_add", listing.pk, language=language), {"quantity": quantity})
    assert response.status_code == 302
    return response


def details(client, language="en", **overrides):
    """What a guest types in the checkout form just shown to them (its key included)."""
    form = client.get(url("checkout", language=language)).context["form"]
    values = {
        "token": form["token"].value(),
        "name": "Annick Le Goff",
        "email": "annick@example.fr",
        "phone": "06 12 34 56 78",
        "accept_terms": "on",
    }
    return values | overrides


def nothing_reserved(*listings):
    assert not Order.objects.exists()
    assert not Checkout.objects.exists()
    for listing in listings:
        listing.refresh_from_db()
        assert listing.reserved == 0


def test_a_guest_reserves_in_two_shops_with_one_submission(client, shop_a, shop_b, capture_on_commit):
    at_a = ListingFactory(shop=shop_a, quantity=3, price=Decimal("20.00"))
    at_b = ListingFactory(shop=shop_b, price=Decimal("7.50"), book__list_price=Decimal("7.50"))
    add(client, at_a, 2)
    add(client, at_b)

    with capture_on_commit():
        response = client.post(url("checkout"), details(client))

    checkout = Checkout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("checkout_done", checkout.token)
    orders = {order.shop: order for order in checkout.orders.all()}
    assert set(orders) == {shop_a, shop_b}
    assert orders[shop_a].total() == Decimal("40.00")
    for order in orders.values():
        assert (order.customer_name, order.customer_email) == ("Annick Le Goff", "annick@example.fr")
        assert str(order.customer_phone) == "+33612345678"
        assert (order.language, order.customer) == ("en", None)
    at_a.refresh_from_db()
    assert at_a.reserved == 2
    assert client.session.get(SESSION_KEY) is None  # the cart is empty

    done = client.get(response["Location"])
    assert done.status_code == 200
    for order in orders.values():
        assert order.reference in done.text
        assert order.shop.trade_name in done.text
        assert order.shop.address in done.text
        assert order.customer_url() in done.text
    assert "40.00&nbsp;€" in done.text
    assert "7.50&nbsp;€" in done.text
    assert "02 97 64 00 00" in done.text


def test_the_reservation_is_in_the_language_of_the_page(client, shop_a):
    add(client, ListingFactory(shop=shop_a), language="fr")

    response = client.post(url("checkout", language="fr"), details(client, language="fr"))

    assert response["Location"].startswith("/reservation/done/")
    assert Order.objects.get().language == "fr"


@pytest.mark.parametrize(
    "typed", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "0033 6 12 34 56 78"]
)
def test_french_phone_numbers_are_accepted_in_every_usual_format_and_stored_in_e164(client, shop_a, typed):
    add(client, ListingFactory(shop=shop_a))

    response = client.post(url("checkout"), details(client, phone=typed))

    assert response.status_code == 302
    assert Order.objects.get().customer_phone.as_e164 == "+33612345678"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Saisissez un numéro de téléphone valide, par exemple 02 97 64 12 34 ou +33 2 97 64 12 34."),
        ("en", "Enter a valid phone number, for example 02 97 64 12 34 or +33 2 97 64 12 34."),
    ],
)
@pytest.mark.parametrize("typed", ["12 34", "06 12 34 56 78 90 12", "not a phone"])
def test_a_wrong_phone_number_is_explained_and_nothing_is_written(client, shop_a, language, message, typed):
    listing = ListingFactory(shop=shop_a)
    add(client, listing, language=language)

    response = client.post(
        url("checkout", language=language), details(client, language=language, phone=typed)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [message]
    assert message in response.text
    nothing_reserved(listing)


@pytest.mark.parametrize(
    ("language", "required", "bad_email"),
    [
        ("fr", "Ce champ est obligatoire.", "Saisissez une adresse e-mail valide."),
        ("en", "This field is required.", "Enter a valid email address."),
    ],
)
def test_missing_details_are_explained_field_by_field_and_nothing_is_written(
    client, shop_a, language, required, bad_email
):
    listing = ListingFactory(shop=shop_a)
    add(client, listing, language=language)
    data = details(client, language=language, name="", email="annick@", phone="")
    del data["accept_terms"]

    response = client.post(url("checkout", language=language), data)

    errors = response.context["form"].errors
    assert errors["name"] == [required]
    assert errors["phone"] == [required]
    assert errors["email"] == [bad_email]
    assert "accept_terms" in errors
    assert 'aria-invalid="true"' in response.text
    nothing_reserved(listing)


def test_the_terms_must_be_accepted_and_are_one_click_away(client, shop_a):
    listing = ListingFactory(shop=shop_a)
    add(client, listing)
    data = details(client)
    del data["accept_terms"]

    response = client.post(url("checkout"), data)

    assert "Please accept the reservation terms to reserve." in response.text
    assert f'href="{url("terms")}"' in response.text
    assert client.get(url("terms")).status_code == 200
    nothing_reserved(listing)


def test_sending_the_same_form_twice_places_one_set_of_orders(client, shop_a, shop_b):
    # given a cart in two shops and the checkout form filled in
    at_a, at_b = ListingFactory(shop=shop_a, quantity=5), ListingFactory(shop=shop_b)
    add(client, at_a, 2)
    add(client, at_b)
    data = details(client)

    # when it is sent twice (a double click; a refresh of the result)
    first = client.post(url("checkout"), data)
    second = client.post(url("checkout"), data)

    # then one checkout, one order per shop, copies held once, the same confirmation
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Checkout.objects.count() == 1
    assert Order.objects.count() == 2
    at_a.refresh_from_db()
    assert at_a.reserved == 2


def test_a_retry_whose_first_answer_was_lost_finds_the_same_reservation(client, shop_a):
    # given the form's first request reserved, but its answer never reached the browser
    listing = ListingFactory(shop=shop_a, quantity=5)
    add(client, listing, 2)
    data = details(client)
    first = checkout_place(
        key=data["token"],
        lines=[CartLine(listing_id=listing.pk, quantity=2)],
        customer=customer_details(language="en"),
        client="127.0.0.1",
    )

    # when the browser sends the form again
    response = client.post(url("checkout"), data)

    # then it is led to that reservation: nothing more is held
    assert response["Location"] == url("checkout_done", first.token)
    assert Order.objects.count() == 1
    listing.refresh_from_db()
    assert listing.reserved == 2


def test_changes_since_the_form_was_shown_are_listed_line_by_line_and_nothing_is_reserved(
    client, shop_a, shop_b
):
    # given a cart of two books, and the checkout form on screen
    repriced = ListingFactory(shop=shop_a, price=Decimal("20.00"), book__title="Germinal")
    short = ListingFactory(shop=shop_b, quantity=3, book__title="Nana")
    untouched = ListingFactory(shop=shop_b, book__title="Thérèse Raquin")
    add(client, repriced)
    add(client, short, 3)
    add(client, untouched)
    data = details(client)

    # when the first book's price drops and the second sells at the counter, then the form is sent
    Listing.objects.filter(pk=repriced.pk).update(price=Decimal("19.00"))
    Listing.objects.filter(pk=short.pk).update(quantity=1)
    response = client.post(url("checkout"), data)

    # then each change is told, nothing is reserved, and the cart now says what can be had
    assert response.status_code == 200
    assert response.context["problems"] == [
        "The price of “Germinal” at Librairie Alpha changed from 20.00 € to 19.00 €.",
        "Librairie Bravo has 1 copies of “Nana” left (you asked for 3).",
    ]
    assert "Nothing has been reserved yet." in response.text
    for problem in response.context["problems"]:
        assert escape(problem) in response.text
    nothing_reserved(repriced, short, untouched)
    assert client.session[SESSION_KEY][str(short.pk)]["quantity"] == 1
    assert client.session[SESSION_KEY][str(repriced.pk)]["seen_price"] == "19.00"

    # and confirming the rest reserves it, at the new price
    confirmed = client.post(url("checkout"), data)
    assert confirmed.status_code == 302
    lines = {
        line.title: (line.quantity, line.unit_price)
        for order in Order.objects.all()
        for line in order.lines.all()
    }
    assert lines == {
        "Germinal": (1, Decimal("19.00")),
        "Nana": (1, Decimal("20.00")),
        "Thérèse Raquin": (1, Decimal("20.00")),
    }


def test_a_book_gone_since_the_form_was_shown_is_named_even_once_deleted(client, shop_a, shop_b):
    gone = ListingFactory(shop=shop_a, book__title="Le Horla")
    kept = ListingFactory(shop=shop_b)
    add(client, gone)
    add(client, kept)
    data = details(client)

    gone.delete()
    response = client.post(url("checkout"), data)

    assert response.context["problems"] == ["“Le Horla” is no longer offered by Librairie Alpha."]
    nothing_reserved(kept)
    assert list(client.session[SESSION_KEY]) == [str(kept.pk)]


def test_when_every_book_is_gone_the_customer_is_led_back_to_the_cart(client, shop_a):
    listing = ListingFactory(shop=shop_a, book__title="Le Horla")
    add(client, listing)
    data = details(client)

    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.HIDDEN)
    response = client.post(url("checkout"), data, follow=True)

    assert response.redirect_chain == [(url("cart"), 302)]
    assert "“Le Horla” is no longer offered by Librairie Alpha." in response.text
    assert "Your reservation is empty." in response.text
    nothing_reserved(listing)


def test_when_the_stock_is_busy_the_customer_is_asked_politely_to_try_again(client, shop_a, monkeypatch):
    listing = ListingFactory(shop=shop_a)
    add(client, listing)
    data = details(client)

    def busy(**kwargs):
        raise ReservationBusy

    monkeypatch.setattr("orders.views.checkout_place", busy)
    response = client.post(url("checkout"), data)

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Many people are reserving right now. Please try again in a moment." in response.text
    assert response.context["form"]["token"].value() == data["token"]  # sending it again is safe
    assert response.context["form"]["phone"].value() == "06 12 34 56 78"
    nothing_reserved(listing)
    assert client.session[SESSION_KEY]


def test_a_form_key_used_for_another_reservation_asks_to_confirm_under_a_new_one(client, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    add(client, listing, 2)
    data = details(client)
    reserve((listing, 1), key=data["token"])  # the same key, for something else

    response = client.post(url("checkout"), data)

    assert response.status_code == 200
    assert "This form was already sent for another reservation. Please confirm again." in response.text
    assert response.context["form"]["token"].value() != data["token"]
    assert Order.objects.count() == 1


def test_a_tampered_form_key_is_refused_and_replaced(client, shop_a):
    listing = ListingFactory(shop=shop_a)
    add(client, listing)

    response = client.post(url("checkout"), details(client, token="' or 1=1"))

    assert "This form has expired." in response.text
    assert len(response.context["form"]["token"].value()) == 32
    nothing_reserved(listing)


def test_an_empty_cart_has_no_checkout(client):
    assert client.get(url("checkout"))["Location"] == url("cart")
    response = client.post(url("checkout"), {"token": "0" * 32, "name": "A", "email": "a@example.fr",
                                              "phone": "0612345678", "accept_terms": "on"})  # fmt: skip
    assert response["Location"] == url("cart")
    assert not Checkout.objects.exists()


def test_an_account_holder_finds_their_details_filled_in_and_the_orders_in_their_account(client, shop_a):
    user = UserFactory(first_name="Annick", last_name="Le Goff", email="annick@example.fr")
    reserve(ListingFactory(shop=shop_a), user=user, phone="+33698765432")
    client.force_login(user)
    listing = ListingFactory(shop=shop_a)
    add(client, listing)

    form = client.get(url("checkout")).context["form"]

    assert form.initial["name"] == "Annick Le Goff"
    assert form.initial["email"] == "annick@example.fr"
    assert str(form.initial["phone"]) == "+33698765432"
    response = client.post(url("checkout"), details(client))
    checkout = Checkout.objects.get(token=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert checkout.customer == user
    assert checkout.orders.get().customer == user


def test_a_guest_is_offered_to_log_in_or_sign_up_and_come_back(client, shop_a):
    add(client, ListingFactory(shop=shop_a))

    page = client.get(url("checkout"))

    assert f'href="{url("customer_login")}?next=/en/reservation/confirm/"' in page.text
    assert f'href="{url("customer_signup")}?next=/en/reservation/confirm/"' in page.text
    assert "No account needed." in page.text


def test_an_email_too_long_for_the_database_is_said_not_crashed(client, shop_a):
    listing = ListingFactory(shop=shop_a)
    add(client, listing)

    response = client.post(url("checkout"), details(client, email="a" * 250 + "@example.fr"))

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    nothing_reserved(listing)
