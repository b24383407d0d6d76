"""The search page's result lines, written in Python (catalog/templatetags/result_lines.py),
say exactly what the template they replace said, in both languages."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, engines
from django.template.defaultfilters import floatformat
from django.utils import translation

from catalog.search import BookResult
from catalog.templatetags.result_lines import amount, result_lines
from shops.models import Drive

pytestmark = pytest.mark.django_db

# templates/catalog/_book_result.html as it was, before the lines were written in Python.
TEMPLATE_LINE = (Path(__file__).parent / "result_line_reference.html").read_text()


def result(**changes) -> BookResult:
    values = {
        "id": 1, "ean": "9782070368228", "title": "L'Écume des jours", "subtitle": "",
        "contributors": [{"name": "Boris Vian", "role": "author"},
                         {"name": "Anne <Illustratrice>", "role": "illustrator"}],
        "publisher": "Gallimard", "cover_thumbnail": "", "list_price": Decimal("7.70"),
        "min_price": Decimal("7.70"), "max_price": Decimal("7.70"), "shop_count": 1, "has_new": True,
        "has_used": False, "nearest_km": 2.5,
    }  # fmt: skip
    return BookResult(**(values | changes))


RESULTS = [
    result(),
    result(ean="9782070368229", title="", shop_count=3, has_used=True, nearest_km=12.49,
           min_price=Decimal("3.5"), max_price=Decimal("12.00"), cover_thumbnail="covers/small/a b&c.jpg"),
    result(title="Tom & <Jerry> \"l'intégrale\"", contributors=[], has_new=False, has_used=True, nearest_km=0.5),
    result(ean="3558380077930", title="Mysterium", kind="board-game", contributors=[],
           attributes={"brand": "Libellud & Cie", "age-range": [10, 99], "players": [2, 7]}),
    result(ean="ABC 12é", title="Sans code-barres", nearest_km=1.5, shop_count=2),
]  # fmt: skip


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("with_drive", [True, False])
def test_the_lines_are_the_templates_markup_to_the_byte(language, with_drive):
    drive = Drive(slug="lorient-k&r", name="Lorient") if with_drive else None
    template = engines["django"].from_string(TEMPLATE_LINE)

    with translation.override(language):
        expected = "".join(template.render({"book": book, "chosen_drive": drive}) for book in RESULTS)
        written = result_lines(Context({"chosen_drive": drive}), RESULTS)

    assert written == expected


@pytest.mark.parametrize("language", ["fr", "en"])
def test_amounts_are_written_as_floatformat_writes_them(language):
    values = [Decimal("0"), Decimal("7.7"), Decimal("7.705"), Decimal("7.715"), Decimal("1234.5"), Decimal("-0.001"),
              0.5, 1.5, 2.5, 12.4999, 0.05, 0.15, 99.95, 30.0, 0.0]  # fmt: skip
    with translation.override(language):
        for places in (0, 1, 2):
            separator = "," if language == "fr" else "."
            assert [amount(value, places, separator) for value in values] == [
                floatformat(value, places) for value in values
            ], places
