import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from marketplace.models import OutgoingEmail
from shops import services
from shops.models import Shop, ShopKind, ShopStatusChange
from tests.factories import DriveFactory, ShopFactory, valid_siret

pytestmark = pytest.mark.django_db


def english_url(name, **kwargs):
    with translation.override("en"):
        return reverse(name, **kwargs)


@pytest.fixture
def lorient_drives():
    """Three drives at increasing distances from Lorient's town centre."""
    return [
        DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.754, longitude=-3.39),
        DriveFactory(name="Drive Lanester", slug="lanester", latitude=47.766, longitude=-3.321),
        DriveFactory(name="Drive Vannes", slug="vannes", latitude=47.67, longitude=-2.753),
    ]


@pytest.fixture
def application(lorient_drives):
    return {
        "trade_name": "Librairie du Port",
        "legal_name": "SARL Librairie du Port",
        "siret": "732 829 320 00074",
        "address": "12 rue du Port",
        "postcode": "56100",
        "town": "Lorient",
        "phone": "02 97 64 12 34",
        "email": "contact@librairie-du-port.fr",
        "website": "librairie-du-port.fr",
        "description": "Romans, BD, jeunesse.",
        "contact_first_name": "Yann",
        "contact_last_name": "Le Gall",
        "contact_email": "yann@librairie-du-port.fr",
        "contact_phone": "06 12 34 56 78",
        "drives": [lorient_drives[0].pk, lorient_drives[1].pk],
        "kinds": [ShopKind.objects.get(code=ShopKind.BOOKSHOP).pk],
    }


def image_file(name="logo.png", size=(200, 120), image_format="PNG", noise=False):
    if noise:  # random pixels do not compress: the file is as heavy as the raw image
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, "#0b5d57")
    buffer = io.BytesIO()
    image.save(buffer, image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def test_a_bookshop_applies_and_sees_the_confirmation(
    client, application, lorient_drives, capture_on_commit, mailoutbox
):
    with capture_on_commit():
        response = client.post(english_url("shops:apply"), application)

    assert response.status_code == 302
    assert response["Location"] == english_url("shops:apply_done")
    shop = Shop.objects.get()
    assert shop.status == Shop.Status.PENDING
    assert shop.siret == "73282932000074"
    assert str(shop.phone) == "+33297641234"
    assert str(shop.contact_phone) == "+33612345678"
    assert shop.website == "https://librairie-du-port.fr"
    assert (round(shop.latitude, 3), round(shop.longitude, 3)) == (47.751, -3.379)
    assert set(shop.drives.all()) == set(lorient_drives[:2])
    assert shop.language == "en"
    assert list(shop.status_changes.values_list("from_status", "to_status")) == [("", "pending")]

    confirmation = client.get(response["Location"])
    assert "Librairie du Port" in confirmation.text
    assert "yann@librairie-du-port.fr" in confirmation.text

    [acknowledgement] = mailoutbox
    assert acknowledgement.to == ["yann@librairie-du-port.fr"]
    assert acknowledgement.subject == "We have received your application"  # no applicant-written text
    assert "Librairie du Port" in acknowledgement.body
    assert "73282932000074" in acknowledgement.body


def test_the_form_suggests_the_nearest_drives_first_and_ticks_the_nearest(client, lorient_drives):
    response = client.get(english_url("shops:apply"), {"postcode": "56100"})

    assert [drive.name for drive in response.context["form"].suggested_drives] == [
        "Drive Lorient",
        "Drive Lanester",
        "Drive Vannes",
    ]
    assert response.context["form"].selected_drive_ids == {lorient_drives[0].pk}


def test_the_drive_suggestions_follow_the_postcode_being_typed(client, lorient_drives):
    response = client.get(english_url("shops:apply_drives"), {"postcode": "56000"})

    assert response.status_code == 200
    names = [drive.name for drive in response.context["form"].suggested_drives]
    assert names[0] == "Drive Vannes"
    assert '<option value="VANNES">' in response.text


def test_without_javascript_find_drives_keeps_what_was_typed(client, application):
    response = client.post(english_url("shops:apply"), {**application, "suggest_drives": "1"})

    assert response.status_code == 200
    assert Shop.objects.count() == 0
    assert response.context["form"].initial["trade_name"] == "Librairie du Port"
    assert not response.context["form"].errors
    assert "Drive Lorient" in response.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "732 829 320 00075", "its check digit does not match"),
        ("siret", "7328293200007", "A SIRET number has 14 digits; this one has 13."),
        ("siret", "73282932A00074", "A SIRET number contains digits only."),
        ("postcode", "99999", "We do not know the postcode 99999. Please check it."),
        ("postcode", "5610", "A French postcode has 5 digits"),
        ("town", "Vannes", "Vannes is not served by postcode 56100, which covers: LORIENT."),
        ("phone", "12 34", "Enter a valid phone number, for example 02 97 64 12 34"),
        ("contact_phone", "+33 6 12", "Enter a valid phone number"),
        ("contact_email", "yann@", "Enter a valid email address."),
        ("trade_name", "", "This field is required."),
    ],
)
def test_each_invalid_input_is_explained_and_nothing_is_created(client, application, field, value, message):
    response = client.post(english_url("shops:apply"), {**application, field: value})

    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert Shop.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_errors_are_in_french_on_the_french_form(client, application):
    with translation.override("fr"):
        url = reverse("shops:apply")
    response = client.post(url, {**application, "siret": "732 829 320 00075"})

    assert "Ce numéro SIRET n’est pas valide" in " ".join(response.context["form"].errors["siret"])
    assert Shop.objects.count() == 0


def test_a_drive_far_from_the_postcode_cannot_be_slipped_in(client, application):
    far_away = DriveFactory(name="Drive Lille", slug="lille", latitude=50.63, longitude=3.05)

    response = client.post(english_url("shops:apply"), {**application, "drives": [far_away.pk]})

    assert "drives" in response.context["form"].errors
    assert Shop.objects.count() == 0


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Shop.Status.PENDING, "is being reviewed"),
        (Shop.Status.APPROVED, "already on Drive Solidaire"),
        (Shop.Status.SUSPENDED, "already on Drive Solidaire"),
        (Shop.Status.REJECTED, "was turned down"),
    ],
)
def test_a_second_application_with_the_same_siret_is_refused_helpfully(client, application, status, message):
    ShopFactory(siret="73282932000074", status=status, trade_name="Première Librairie")

    response = client.post(english_url("shops:apply"), {**application, "siret": "73282932000074"})

    [error] = response.context["form"].errors["siret"]
    assert message in error
    assert "Première Librairie" not in error  # says where things stand, not who applied
    assert Shop.objects.count() == 1
    assert OutgoingEmail.objects.count() == 0


def test_a_concurrent_duplicate_is_refused_by_the_database(application):
    ShopFactory(siret="73282932000074", status=Shop.Status.PENDING)
    late = ShopFactory.build(siret="73282932000074")

    with pytest.raises(services.DuplicateShopApplication):
        services.shop_apply(shop=late, drives=[], kinds=[])

    assert Shop.objects.count() == 1
    assert ShopStatusChange.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_a_logo_is_stored_under_a_random_name(client, application, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    response = client.post(
        english_url("shops:apply"), {**application, "logo": image_file("Mon logo perso.png")}
    )

    assert response.status_code == 302
    logo = Shop.objects.get().logo
    assert logo.name.startswith("shops/logos/")
    assert "perso" not in logo.name
    assert (tmp_path / logo.name).is_file()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png"),
            "Upload a valid image",
        ),
        (lambda: image_file(size=(1200, 1200), noise=True), "the limit is 2.0\xa0MB"),
        (lambda: image_file(size=(6000, 5000)), "This image is 6000 × 5000 pixels"),
        (lambda: image_file(size=(40, 40)), "it must be at least 64 pixels on each side"),
        (lambda: image_file("logo.gif", image_format="GIF"), "Images in GIF format are not accepted"),
    ],
    ids=["not-an-image", "too-heavy", "too-many-pixels", "too-small", "gif"],
)
def test_a_bad_logo_is_refused_and_nothing_is_created(
    client, application, settings, tmp_path, upload, message
):
    settings.MEDIA_ROOT = tmp_path
    upload = upload() if callable(upload) else upload

    response = client.post(english_url("shops:apply"), {**application, "logo": upload})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["logo"])
    assert message in errors
    assert Shop.objects.count() == 0
    assert not any(tmp_path.rglob("*.*"))


def test_the_confirmation_page_needs_an_application(client):
    response = client.get(english_url("shops:apply_done"))

    assert response.status_code == 302
    assert response["Location"] == english_url("shops:apply")


def test_valid_siret_helper_makes_numbers_the_form_accepts():
    from shops.validators import validate_siret

    for number in range(50):
        validate_siret(valid_siret(number))
