"""Kinds of shop are data head office manages (issue 18): a shop has one or more, the
application asks for them, a drive's page groups its shops by kind."""

import pytest
from django.urls import reverse
from django.utils import translation

from shops.kinds import ensure_shop_kinds
from shops.models import Shop, ShopKind
from tests.factories import ChainStaffFactory, DriveFactory, ShopFactory, valid_siret

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def lorient():
    return DriveFactory(name="Drive Lorient", slug="lorient", postcode="56100", town="Lorient",
                        latitude=47.75, longitude=-3.37)  # fmt: skip


def application(drive, kinds) -> dict:
    return {
        "trade_name": "Le Dé Voyageur", "legal_name": "SARL Le Dé Voyageur", "siret": valid_siret(4242),
        "address": "3 rue des Fontaines", "postcode": "56100", "town": "Lorient", "phone": "02 97 64 22 22",
        "email": "contact@de-voyageur.fr", "contact_first_name": "Nolwenn", "contact_last_name": "Le Bihan",
        "contact_email": "nolwenn@de-voyageur.fr", "drives": [drive.pk], "kinds": [kind.pk for kind in kinds],
    }  # fmt: skip


def kind(code: str) -> ShopKind:
    return ShopKind.objects.get(code=code)


def test_the_product_starts_with_bookshops_and_games_and_toys_shops():
    assert [(k.code, k.name_fr, k.name_en) for k in ShopKind.objects.all()] == [
        ("bookshop", "Librairie", "Bookshop"),
        ("games-toys", "Jeux et jouets", "Games and toys"),
    ]
    ensure_shop_kinds()  # after every migrate: nothing twice, nothing renamed back
    assert ShopKind.objects.count() == 2


def test_a_games_and_toys_shop_applies_as_one(client, lorient):
    response = client.post(en("shops:apply"), application(lorient, [kind(ShopKind.GAMES_AND_TOYS)]))

    assert response.status_code == 302
    shop = Shop.objects.get(trade_name="Le Dé Voyageur")
    assert [k.code for k in shop.kinds.all()] == ["games-toys"]


def test_a_shop_of_two_kinds_says_so(client, lorient):
    both = [kind(ShopKind.BOOKSHOP), kind(ShopKind.GAMES_AND_TOYS)]

    client.post(en("shops:apply"), application(lorient, both))

    assert {k.code for k in Shop.objects.get().kinds.all()} == {"bookshop", "games-toys"}


def test_an_application_without_a_kind_is_told_what_to_tick_in_french(client, lorient):
    response = client.post(reverse("shops:apply"), application(lorient, []))

    assert response.status_code == 200
    assert response.context["form"].errors["kinds"] == [
        "Cochez ce qu’est votre boutique\u00a0: une librairie, une boutique de jeux et jouets…"
    ]
    assert not Shop.objects.exists()


def test_the_form_offers_every_kind_by_its_name_in_the_page_language(client):
    ShopKind.objects.create(code="records", name_fr="Disquaire", name_en="Record shop", position=30)

    french = client.get(reverse("shops:apply")).text
    english = client.get(en("shops:apply")).text

    assert "Disquaire" in french
    assert "Jeux et jouets" in french
    assert "Record shop" in english
    assert "Games and toys" in english


def test_head_office_adds_a_kind_in_the_admin_and_shops_can_apply_with_it(client, lorient):
    client.force_login(ChainStaffFactory())

    response = client.post(
        en("admin:shops_shopkind_add"),
        {"code": "records", "name_fr": "Disquaire", "name_en": "Record shop", "position": 30},
    )
    assert response.status_code == 302
    records = kind("records")
    client.logout()

    client.post(en("shops:apply"), application(lorient, [records]))

    assert [k.name_fr for k in Shop.objects.get().kinds.all()] == ["Disquaire"]


def test_a_kind_is_never_deleted_nor_its_code_changed_in_the_admin(client):
    client.force_login(ChainStaffFactory())
    bookshop = kind(ShopKind.BOOKSHOP)

    assert client.get(en("admin:shops_shopkind_delete", bookshop.pk)).status_code == 403
    client.post(
        en("admin:shops_shopkind_change", bookshop.pk),
        {"code": "changed", "name_fr": "Librairie indépendante", "name_en": "Bookshop", "position": 10},
    )
    bookshop.refresh_from_db()
    assert (bookshop.code, bookshop.name_fr) == ("bookshop", "Librairie indépendante")


def test_a_drives_page_groups_its_shops_by_kind(client, lorient):
    books = ShopFactory(trade_name="Librairie du Port")
    games = ShopFactory(trade_name="Le Dé Voyageur", kinds=[ShopKind.GAMES_AND_TOYS])
    both = ShopFactory(trade_name="Bulles et Pions", kinds=[ShopKind.BOOKSHOP, ShopKind.GAMES_AND_TOYS])
    for shop in (books, games, both):
        shop.drives.add(lorient)

    page = client.get(reverse("drive", args=["lorient"]))

    assert [(name, [shop.trade_name for shop in shops]) for name, shops in page.context["groups"]] == [
        ("Librairie", ["Bulles et Pions", "Librairie du Port"]),
        ("Jeux et jouets", ["Bulles et Pions", "Le Dé Voyageur"]),
    ]
    assert "Boutiques partenaires" in page.text
