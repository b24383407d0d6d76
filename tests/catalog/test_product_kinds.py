"""Kinds of product are data head office manages (issue 18): the starting kinds, their
attributes, and how values typed for them are read and checked."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from catalog.models import ProductAttribute, ProductKind
from catalog.product_kinds import attribute_values_clean, ensure_product_kinds
from tests.factories import ChainStaffFactory

pytestmark = pytest.mark.django_db


def kind(code: str) -> ProductKind:
    return ProductKind.objects.get(code=code)


def english(path: str) -> str:
    return f"/en{path}"


def test_the_product_starts_with_books_board_games_and_toys():
    assert [(k.code, k.name_fr, k.book_rules) for k in ProductKind.objects.all()] == [
        ("book", "Livre", True),
        ("board-game", "Jeu de société", False),
        ("toy", "Jouet", False),
    ]
    assert {s.code for s in kind("board-game").shop_kinds.all()} == {"games-toys", "bookshop"}
    assert [s.code for s in kind("toy").shop_kinds.all()] == ["games-toys"]
    assert [a.code for a in kind("board-game").attributes.all()] == [
        "brand",
        "age-range",
        "players",
        "playing-time",
    ]
    assert [(a.code, a.required) for a in kind("toy").attributes.all()] == [
        ("brand", True),
        ("age-range", True),
    ]


def test_the_starting_kinds_are_made_once_and_never_overwritten():
    toy = kind("toy")
    toy.name_fr = "Jouet et loisir créatif"
    toy.save()

    ensure_product_kinds()

    assert ProductKind.objects.count() == 3
    assert kind("toy").name_fr == "Jouet et loisir créatif"
    assert kind("toy").attributes.count() == 2


def test_a_board_games_values_are_read_as_people_write_them():
    values, problems = attribute_values_clean(
        kind("board-game"),
        {"brand": " Asmodee ", "age-range": "8 à 12", "players": "2–4", "playing-time": "45"},
    )

    assert problems == {}
    assert values == {"brand": "Asmodee", "age-range": [8, 12], "players": [2, 4], "playing-time": 45}


def test_one_number_is_a_range_of_one():
    values, problems = attribute_values_clean(kind("toy"), {"brand": "Djeco", "age-range": "3"})

    assert (values["age-range"], problems) == ([3, 3], {})


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        ({"age-range": "8-12"}, "brand", "Marque est obligatoire pour «\u00a0Jeu de société\u00a0»."),
        ({"brand": "X", "age-range": "dès 8 ans"}, "age-range",
         "Âge\u00a0: écrivez un nombre ou un intervalle, par exemple 8-12 (vous avez écrit «\u00a0dès 8 ans\u00a0»)."),
        ({"brand": "X", "age-range": "12-8"}, "age-range",
         "Âge\u00a0: l’intervalle va du plus petit nombre au plus grand, par exemple 8-12."),
        ({"brand": "X", "age-range": "8", "playing-time": "45 min"}, "playing-time",
         "Durée d’une partie\u00a0: écrivez un nombre entier, par exemple 45 (vous avez écrit «\u00a045 min\u00a0»)."),
        ({"brand": "X", "age-range": "8", "pages": "300"}, "pages",
         "«\u00a0Jeu de société\u00a0» n’a pas de «\u00a0pages\u00a0»."),
    ],
)  # fmt: skip
def test_each_wrong_value_is_named_with_what_to_fix_in_french(raw, code, message):
    with translation.override("fr"):
        values, problems = attribute_values_clean(kind("board-game"), raw)

    assert problems == {code: message}
    assert code not in values


def test_a_list_attribute_needs_its_choices_and_only_it_has_some():
    record = ProductKind.objects.create(code="record", name_fr="Disque", name_en="Record")

    with pytest.raises(ValidationError) as no_choices:
        ProductAttribute(
            kind=record, code="format", name_fr="Format", name_en="Format", type="choice"
        ).clean()
    with pytest.raises(ValidationError) as choices_of_a_text:
        ProductAttribute(kind=record, code="artist", name_fr="Artiste", name_en="Artist", choices="A").clean()

    assert no_choices.value.message_dict == {"choices": ["Indiquez les choix, un par ligne."]}
    assert choices_of_a_text.value.message_dict == {
        "choices": ["Seule une caractéristique de type «\u00a0un élément d’une liste\u00a0» a des choix."]
    }


def test_head_office_adds_a_kind_with_its_attributes_and_its_values_are_checked(client):
    client.force_login(ChainStaffFactory())
    games_and_records = [s.pk for s in kind("board-game").shop_kinds.all()][:1]

    response = client.post(
        english("/admin/catalog/productkind/add/"),
        {
            "code": "record", "name_fr": "Disque", "name_en": "Record", "shop_kinds": games_and_records,
            "position": 40,
            "attributes-TOTAL_FORMS": "2", "attributes-INITIAL_FORMS": "0",
            "attributes-MIN_NUM_FORMS": "0", "attributes-MAX_NUM_FORMS": "1000",
            "attributes-0-code": "format", "attributes-0-name_fr": "Format", "attributes-0-name_en": "Format",
            "attributes-0-type": "choice", "attributes-0-choices": "Vinyle\nCD\nCassette",
            "attributes-0-required": "on", "attributes-0-position": "10",
            "attributes-1-code": "artist", "attributes-1-name_fr": "Artiste", "attributes-1-name_en": "Artist",
            "attributes-1-type": "text", "attributes-1-position": "20",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    values, problems = attribute_values_clean(kind("record"), {"format": "vinyle", "artist": "Alan Stivell"})
    assert (values, problems) == ({"format": "Vinyle", "artist": "Alan Stivell"}, {})
    with translation.override("en"):
        _, problems = attribute_values_clean(kind("record"), {"format": "8-track"})
    assert problems == {"format": "Format: choose one of: Vinyle, CD, Cassette."}


def test_a_kind_cannot_be_deleted_and_its_code_and_book_rules_stay(client):
    client.force_login(ChainStaffFactory())
    book = kind("book")

    assert client.get(english(f"/admin/catalog/productkind/{book.pk}/delete/")).status_code == 403
    page = client.get(english(f"/admin/catalog/productkind/{book.pk}/change/"))
    assert set(page.context["adminform"].readonly_fields) == {"code", "book_rules"}
