import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from shops.geo import haversine_km, town_key
from shops.laposte import read_postcode_file
from shops.models import Locality
from shops.selectors import locality_matching
from tests.conftest import LAPOSTE_FILE, require

pytestmark = pytest.mark.django_db


@pytest.fixture
def laposte_file():
    require(
        "La Poste's postcode file", LAPOSTE_FILE.is_file(), f"expected at {LAPOSTE_FILE} (SHARED_DATA_DIR)"
    )
    return LAPOSTE_FILE


def test_la_postes_whole_file_is_loaded_and_a_second_import_changes_nothing(laposte_file, capsys):
    Locality.objects.all().delete()

    call_command("import_postcodes", laposte_file)
    first = capsys.readouterr().out
    call_command("import_postcodes", laposte_file)
    second = capsys.readouterr().out

    records, skipped = read_postcode_file(laposte_file)
    assert (len(records), skipped) == (39_193, 0)
    distinct = len({(r.postcode, r.insee_code, r.place) for r in records})
    assert Locality.objects.count() == distinct
    assert f"{distinct} created, 0 updated, 0 unchanged" in first
    assert f"0 created, 0 updated, {distinct} unchanged" in second
    lorient = Locality.objects.get(postcode="56100")
    assert (lorient.insee_code, lorient.name) == ("56121", "LORIENT")
    assert Locality.objects.get(postcode="01400", name="L ABERGEMENT CLEMENCIAT").insee_code == "01001"


def test_a_changed_row_is_updated(laposte_file, tmp_path, capsys):
    lorient = Locality.objects.get(postcode="56100")
    lorient.latitude = 0
    lorient.save()

    call_command("import_postcodes", laposte_file)

    assert "1 updated" in capsys.readouterr().out
    lorient.refresh_from_db()
    assert round(lorient.latitude, 2) == 47.75


def test_the_newer_la_poste_layout_with_commas_and_separate_columns_is_read(tmp_path):
    newer = tmp_path / "codes.csv"
    newer.write_text(
        "code_commune_insee,nom_de_la_commune,code_postal,libelle_d_acheminement,ligne_5,latitude,longitude\n"
        "56121,LORIENT,56100,LORIENT,,47.7507,-3.3789\n"
        "29233,QUIMPERLE,29300,QUIMPERLE,,,\n",
        encoding="utf-8",
    )

    records, skipped = read_postcode_file(newer)

    assert [(r.postcode, r.name, r.latitude) for r in records] == [("56100", "LORIENT", 47.7507)]
    assert skipped == 1


def test_a_file_that_is_not_la_postes_is_refused_with_what_is_missing(tmp_path):
    wrong = tmp_path / "books.csv"
    wrong.write_text("isbn;title\n9782070368228;L'Étranger\n", encoding="utf-8")

    with (
        translation.override("en"),
        pytest.raises(CommandError, match="no column for postcode, insee_code, name, coordinates"),
    ):
        call_command("import_postcodes", wrong)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Saint-Étienne", "ST ETIENNE"),
        ("st étienne", "ST ETIENNE"),
        ("L'Abergement", "L ABERGEMENT"),
        ("Œuilly", "OEUILLY"),
    ],
)
def test_town_names_compare_the_way_la_poste_writes_them(typed, expected):
    assert town_key(typed) == expected


def test_a_town_is_found_among_the_communes_of_its_postcode():
    assert locality_matching("29300", "Quimperlé").name == "QUIMPERLE"
    assert locality_matching("29300", "Mellac").name == "MELLAC"
    assert locality_matching("29300", "Lorient") is None
    assert locality_matching("56100", "").name == "LORIENT"  # only one commune: no need to type it


def test_distances_are_great_circle_kilometres():
    lorient, vannes = (47.7507, -3.3789), (47.6598, -2.7571)
    assert round(haversine_km(*lorient, *vannes)) == 48


def test_the_database_measures_distances_like_python():
    from shops.selectors import drives_nearest
    from tests.factories import DriveFactory

    DriveFactory(name="Drive Vannes", latitude=47.6598, longitude=-2.7571)

    [vannes] = drives_nearest(latitude=47.7507, longitude=-3.3789, limit=5, max_km=100)

    assert vannes.distance_km == pytest.approx(haversine_km(47.7507, -3.3789, 47.6598, -2.7571), rel=1e-6)
