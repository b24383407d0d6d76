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


def test_the_back_office_and_forms_refuse_it_too(client):
    client.force_login(ChainStaffFactory())
    assert client.get("/admin/orders/order/?status=%00").status_code == 400
    assert client.post("/counter/", {"code": "AB\x00CD"}).status_code == 400
    client.cookies["drive"] = "lorient\x00"
    assert client.get("/").status_code == 400


def test_the_api_answers_in_json(client):
    response = client.get("/api/v1/books/?q=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_ordinary_requests_pass(client):
    book = BookFactory()
    assert client.get(f"/books/{book.ean}/").status_code in (200, 302)
    assert client.get("/search/?q=mer%20d%27iroise").status_code in (200, 302)
