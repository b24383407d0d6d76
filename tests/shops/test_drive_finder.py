"""Finding one's drive by town, postcode or drive name: the drives around, nearest first,
with their distances; on La Poste's real postcode table (tests/conftest.py)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from shops.models import Locality
from shops.selectors import drives_matching
from tests.factories import DriveFactory

pytestmark = pytest.mark.django_db


def drive_in(commune: str, name: str, *, north_km: float = 0.0):
    """A drive `north_km` north of a commune's centroid (La Poste's name: "PARIS 11")."""
    locality = Locality.objects.filter(name=commune).order_by("postcode").first()
    return DriveFactory(
        name=name,
        slug=name.lower().replace(" ", "-"),
        postcode=locality.postcode,
        town=commune.title(),
        latitude=locality.latitude + north_km / 111.195,
        longitude=locality.longitude,
    )


@pytest.fixture
def brittany():
    return [
        drive_in("LORIENT", "Drive Lorient Keryado", north_km=1),
        drive_in("LANESTER", "Drive Lanester"),
        drive_in("HENNEBONT", "Drive Hennebont"),
        drive_in("VANNES", "Drive Vannes"),
        drive_in("QUIMPER", "Drive Quimper"),
    ]


@pytest.fixture
def big_cities():
    return {
        "paris": drive_in("PARIS 11", "Drive Paris 11"),
        "lyon": drive_in("LYON 02", "Drive Lyon Confluence", north_km=-1),
        "marseille": drive_in("MARSEILLE 08", "Drive Marseille Prado"),
    }


def found(text: str) -> list[tuple[str, int]]:
    return [(drive.name, round(drive.distance_km)) for drive in drives_matching(text=text)]


def test_a_town_and_its_postcode_give_the_same_drives_nearest_first_with_their_distances(brittany):
    by_town = found("Lorient")

    assert by_town == found("56100") == found("  lorient ")
    assert [name for name, _km in by_town] == [
        "Drive Lorient Keryado", "Drive Lanester", "Drive Hennebont", "Drive Vannes", "Drive Quimper",
    ]  # fmt: skip
    assert [km for _name, km in by_town] == sorted(km for _name, km in by_town)
    assert by_town[0][1] == 1


def test_a_town_is_found_however_it_is_written(brittany, big_cities):
    assert found("Quimper") == found("QUIMPER") == found("29000")
    assert found("Sainte-Anne-d'Auray")[:2] == found("STE ANNE D AURAY")[:2] == found("Ste Anne d’Auray")[:2]
    assert found("quimp")[0][0] == "Drive Quimper"  # begun: the shortest commune, not Quimperlé
    assert found("Atlantide") == []
    assert found("00000") == []


@pytest.mark.parametrize(
    ("typed", "city"),
    [
        ("75001", "paris"), ("75011", "paris"), ("75020", "paris"), ("75116", "paris"), ("Paris", "paris"),
        ("69001", "lyon"), ("69009", "lyon"), ("Lyon", "lyon"),
        ("13001", "marseille"), ("13016", "marseille"), ("Marseille", "marseille"),
    ],
)  # fmt: skip
def test_the_arrondissements_of_paris_lyon_and_marseille_find_the_drives_around(big_cities, typed, city):
    nearest = drives_matching(text=typed)

    assert [drive.slug for drive in nearest] == [big_cities[city].slug]
    assert nearest[0].distance_km < 20  # Marseille is wide: from the 16th to the 8th


def test_lyon_is_lyon_and_not_lyons_la_foret(big_cities):
    drive_in("LYONS LA FORET", "Drive Lyons-la-Forêt")

    assert [name for name, _km in found("Lyon")] == ["Drive Lyon Confluence"]


def test_the_demo_towns_hold_every_arrondissement_postcode(big_cities):
    """The demo loads a few built-in towns instead of La Poste's table."""
    Locality.objects.all().delete()
    call_command("import_postcodes", builtin=True, stdout=io.StringIO())
    postcodes = (
        [(f"750{number:02d}", "paris") for number in range(1, 21)]
        + [("75116", "paris")]
        + [(f"6900{number}", "lyon") for number in range(1, 10)]
        + [(f"130{number:02d}", "marseille") for number in range(1, 17)]
    )

    for postcode, city in postcodes:
        assert [drive.slug for drive in drives_matching(text=postcode)] == [big_cities[city].slug], postcode
    assert [drive.slug for drive in drives_matching(text="Paris")] == [big_cities["paris"].slug]


def test_a_drive_is_found_by_its_name_with_its_neighbours(brittany):
    assert found("Keryado")[:2] == [("Drive Lorient Keryado", 0), ("Drive Lanester", 4)]


def test_of_several_communes_of_one_name_the_one_near_a_drive_is_meant():
    saint_paul_reunion = {"latitude": -21.044520611, "longitude": 55.322330771}
    for postcode, insee_code, point in [
        ("19150", "19235", {"latitude": 45.206581826, "longitude": 1.89811919}),  # in Corrèze
        ("97460", "97415", saint_paul_reunion),
    ]:
        Locality.objects.get_or_create(
            postcode=postcode, insee_code=insee_code, place="", defaults={"name": "ST PAUL", **point}
        )
    DriveFactory(name="Drive Saint-Paul", postcode="97460", town="Saint-Paul", **saint_paul_reunion)

    assert found("Saint-Paul") == [("Drive Saint-Paul", 0)]


def test_the_drive_page_lists_a_towns_drives_with_their_distances(client, brittany):
    with translation.override("en"):
        url = reverse("drives")

    page = client.get(url, {"q": "Lorient"})

    assert [drive.name for drive in page.context["matches"]] == [drive.name for drive in brittany]
    assert "56000 Vannes · 48 km" in page.text
