"""Issue 18: a games shop's customer reads of shops and items, not of bookshops and books,
on the pages and in the emails of their order (in French, the site's default language)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.services import order_accept
from tests.factories import BookFactory, ListingFactory, MembershipFactory, ShopFactory, reserve

pytestmark = pytest.mark.django_db

BOOK_WORDS = ("livre", "librairie", "lecture")


@pytest.fixture
def games_shop():
    return ShopFactory(trade_name="La Ludothèque", kinds=["games-toys"])


@pytest.fixture
def board_game():
    return BookFactory(ean="3760052142000", kind_id="board-game", title="Mysterium", publisher="",
                       list_price=Decimal("44.90"), attributes={"brand": "Libellud"})  # fmt: skip


def book_words_in(text: str) -> list[str]:
    return [word for word in BOOK_WORDS if word in text.lower()]


def test_the_confirmation_email_speaks_of_items_and_shops(
    games_shop, board_game, django_capture_on_commit_callbacks, mailoutbox
):
    # when a customer reserves a board game
    with django_capture_on_commit_callbacks(execute=True):
        reserve(ListingFactory(shop=games_shop, book=board_game))

    # then their email says so without a word of books
    (email,) = [message for message in mailoutbox if message.to == ["annick@example.fr"]]
    assert "Vos articles sont réservés. Chaque boutique vous préviendra" in email.body
    assert book_words_in(email.body) == []
    assert book_words_in(email.alternatives[0][0]) == []


def test_the_order_page_and_the_terms_speak_of_items_and_shops(client, games_shop, board_game):
    # given an accepted order of a board game
    order = reserve(ListingFactory(shop=games_shop, book=board_game)).orders.get()
    order_accept(order=order, by=MembershipFactory(shop=games_shop).user)

    # when the customer opens its page, then the terms
    page = client.get(reverse("order", args=[order.token])).text
    terms = client.get(reverse("terms")).text

    # then
    assert "La boutique met vos articles de côté." in page
    assert '<h2 id="items-title">Vos articles</h2>' in page
    assert book_words_in(page) == []
    assert "Votre réservation donne lieu à une commande par boutique." in terms
    # the loi Lang is about books, and says so: the only book words of the terms
    assert "Les livres neufs sont vendus au prix fixé par l’éditeur" in terms
    assert "cette loi ne concerne que les livres neufs" in terms
