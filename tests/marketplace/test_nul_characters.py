"""A NUL character anywhere in a request is a 400 in the person's language, never a 500:
PostgreSQL refuses it in every query, so no view may send it there."""

import pytest

from tests.factories import BookFactory, ChainStaffFactory

pytestmark = pytest.mark.django_db

# Found from outside the project: each was a 500 ("A string literal cannot contain NUL").
ADDRESSES = [
    "/books/%00/",
    "/en/books/97910%0099000279/",
    "/search/?drive=%00",
    "/search/?q=mer&drive=a%00b",
    "/orders/%00/",
    "/reservation/done/%00/",
    "/pickup/%00/qr.png",
    "/?q=%00",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_holding_a_nul_character_is_a_bad_request(client, address):
    response = client.get(address)
    assert response.status_code == 400
    assert "invisible character (NUL)" in response.text or "caractère invisible (NUL)" in response.text


def test_the_message_is_in_the_pages_language(client):
    assert "caractère invisible (NUL)" in client.get("/books/%00/").text
    assert "invisible character (NUL)" in client.get("/en/books/%00/").text


def test_the_back_office_refuses_it_too_and_forms_say_which_field(client):
    client.force_login(ChainStaffFactory())
    assert client.get("/admin/orders/order/?status=%00").status_code == 400
    # A form's field gets the form again, with the error (Django's own validator; the
    # log-in form's case is tests/marketplace/test_login_guard.py).
    assert client.post("/en/accounts/login/", {"username": "a\x00@b.fr", "password": "x"}).status_code == 200
    client.cookies["drive"] = "lorient\x00"
    assert client.get("/").status_code == 400


def test_the_api_answers_as_its_description_says(client):
    # Its parameters' errors (a field's message), or no such address: JSON, never a 500.
    for address in ("/api/v1/books/9782070360024/availability/?drive=a%00b", "/api/v1/%00/"):
        response = client.get(address)
        assert response.status_code in (400, 404), address
        assert response["Content-Type"] == "application/json"


def test_ordinary_requests_pass(client):
    book = BookFactory()
    assert client.get(f"/books/{book.ean}/").status_code in (200, 302)
    assert client.get("/search/?q=mer%20d%27iroise").status_code in (200, 302)
