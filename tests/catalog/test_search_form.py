"""The search form's fields are built once per (shops around, language) and shared by the
forms that ask for the same ones (catalog/forms_search.py): each form still has its own
data, errors and choices."""

import pytest
from django.http import QueryDict
from django.utils import translation

from catalog.forms_search import SearchForm
from catalog.models import ProductKind
from catalog.product_kinds import forget_cached_kinds
from shops.selectors import NearbyShop

pytestmark = pytest.mark.django_db

PORT = NearbyShop(1, "Librairie du Port", "port", "Lorient", 1.2)
QUAI = NearbyShop(2, "Le Quai des Jeux", "quai", "Lorient", 3.8)


def form(query: str, shops=(PORT,)):
    bound = SearchForm(QueryDict(query), shops=list(shops))
    bound.is_valid()
    return bound


def shop_options(bound) -> list[str]:
    return [label for _value, label in bound.fields["shop"].choices]


def test_forms_for_the_same_shops_share_fields_but_not_data_or_errors():
    wrong = form("q=camus&price_min=abc&shop=99")
    right = form("q=zola&price_min=3")

    assert set(wrong.errors) == {"price_min", "shop"}
    assert right.errors == {}
    assert right.cleaned_data["q"] == "zola"
    assert right.fields["shop"] is wrong.fields["shop"]  # built once
    assert 'value="zola"' in str(right["q"])
    assert 'aria-invalid="true"' in str(wrong["price_min"])
    assert "aria-invalid" not in str(right["price_min"])


def test_other_shops_around_give_other_choices():
    near_port, near_both = form("", shops=[PORT]), form("", shops=[PORT, QUAI])

    assert shop_options(near_port)[1:] == ["Librairie du Port (1 km)"]
    assert shop_options(near_both)[1:] == ["Librairie du Port (1 km)", "Le Quai des Jeux (4 km)"]
    assert form("shop=2", shops=[PORT, QUAI]).is_valid()
    assert not form("shop=2", shops=[PORT]).is_valid()


def test_the_kinds_are_named_in_the_visitors_language():
    with translation.override("fr"):
        french = dict(form("").fields["kind"].choices)
    with translation.override("en"):
        english = dict(form("").fields["kind"].choices)

    assert french["book"] == ProductKind.objects.get(code="book").name_fr
    assert english["book"] == ProductKind.objects.get(code="book").name_en
    assert french["book"] != english["book"]


def test_a_kind_head_office_adds_shows_in_the_form_at_once():
    before = dict(form("").fields["kind"].choices)
    ProductKind.objects.create(code="puzzle", name_fr="Puzzle", name_en="Jigsaw", position=99)
    forget_cached_kinds()  # what the kinds' admin calls on a change

    after = dict(form("").fields["kind"].choices)

    assert "puzzle" not in before
    assert after["puzzle"] == "Puzzle"
