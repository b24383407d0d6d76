"""How the API refuses: always JSON, with a `code`, in the caller's language; and hostile
bodies (nested, huge, malformed, NUL characters) are refused, never a server error."""

import io
import json

import pytest
from django.conf import settings
from django.test import override_settings

from marketplace.api_errors import JsonParser, RequestTooLarge
from tests.factories import DriveFactory, ShopFactory, api_key_for

pytestmark = pytest.mark.django_db

BULK = "/api/v1/stock/listings/bulk/"
RESERVATIONS = "/api/v1/reservations/"


@pytest.fixture
def key():
    return api_key_for(ShopFactory())


def post(
    client, url, body: bytes | str, *, language="fr", key=None, content_type="application/json", **extra
):
    headers = {"HTTP_ACCEPT_LANGUAGE": language, **extra}
    if key:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.generic("POST", url, body, content_type=content_type, **headers)


def assert_json_error(response, status: int, code: str, detail: str | None = None):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code
    if detail is not None:
        assert body["detail"] == detail


# --- Hostile bodies ---------------------------------------------------------------------


def test_a_body_of_100000_nested_arrays_is_refused_with_a_400_not_a_server_error(client, key):
    response = post(client, BULK, "[" * 100_000 + "]" * 100_000, key=key, language="en")

    assert_json_error(response, 400, "parse_error", "The body’s JSON is nested more than 32 levels deep.")


@pytest.mark.parametrize("depth", [33, 900], ids=["just-too-deep", "near-the-recursion-limit"])
def test_json_nested_deeper_than_any_request_is_refused_before_anything_reads_it(client, key, depth):
    body = json.dumps({"items": [{"ean": "9782070360024", "price": "[" * depth + "]" * depth}]})
    body = body.replace('"' + "[" * depth + "]" * depth + '"', "[" * depth + "]" * depth)

    response = post(client, BULK, body, key=key)

    assert_json_error(
        response,
        400,
        "parse_error",
        "Le JSON du corps de la requête est imbriqué sur plus de 32 niveaux.",
    )


def test_json_as_deep_as_our_requests_go_is_read(client, key):
    body = {"items": [{"ean": "9782070360024", "quantity": 1, "price": "12.00", "authors": ["A. B."]}]}

    response = post(client, BULK, json.dumps(body), key=key)

    assert response.status_code == 200


def test_a_body_larger_than_the_upload_limit_is_refused_with_a_413(client, key):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"items": [{"ean": "9782070360024", "title": "x" * limit}]})

    response = post(client, BULK, body, key=key, language="en")

    assert_json_error(
        response, 413, "request_too_large", "The body is larger than 5.0\u00a0MB: send less at a time."
    )


def test_the_413_speaks_french_to_a_french_caller(client, key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = post(client, RESERVATIONS, json.dumps({"customer": {"name": "x" * 1000}}))

    assert_json_error(
        response,
        413,
        "request_too_large",
        "Le corps de la requête dépasse 1000\u00a0octets\u00a0: envoyez-en moins à la fois.",
    )


def test_a_body_without_a_length_is_read_no_further_than_the_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    stream = io.BytesIO(b'{"reason": "' + b"x" * 10_000 + b'"}')

    with pytest.raises(RequestTooLarge):
        JsonParser().parse(stream, "application/json", {})

    assert stream.tell() == 11


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("fr", "Le corps de la requête n’est pas du JSON valide (ligne 1, colonne 12)."),
        ("en", "The body is not valid JSON (line 1, column 12)."),
    ],
)
def test_malformed_json_is_explained_in_the_callers_language(client, key, language, detail):
    response = post(client, BULK, '{"items": [}', key=key, language=language)

    assert_json_error(response, 400, "parse_error", detail)


def test_a_body_that_is_not_utf8_is_malformed_json(client, key):
    response = post(client, BULK, '{"items": [{"title": "Ça"}]}'.encode("latin-1"), key=key, language="en")

    assert_json_error(response, 400, "parse_error", "The body is not valid JSON.")


def test_nan_is_not_json(client, key):
    response = post(
        client, BULK, '{"items": [{"ean": "9782070360024", "price": NaN}]}', key=key, language="en"
    )

    assert_json_error(response, 400, "parse_error", "The body is not valid JSON.")


def test_a_charset_that_is_no_text_encoding_is_refused(client, key):
    response = post(
        client, BULK, b"{}", key=key, language="en", content_type="application/json; charset=bz2_codec"
    )

    assert_json_error(
        response,
        400,
        "parse_error",
        "The charset of the Content-Type header is not supported: send the body in UTF-8.",
    )


def test_a_nul_character_in_a_body_is_refused_before_the_database_sees_it(client, key):
    body = json.dumps({"items": [{"ean": "9782070360024", "title": "Tome\u00001"}]})

    response = post(client, BULK, body, key=key, language="en")

    assert_json_error(response, 400, "parse_error", "The body holds a NUL character, which no text may hold.")


def test_a_form_instead_of_json_is_an_unsupported_media_type(client, key):
    response = post(client, BULK, "items=1", key=key, content_type="application/x-www-form-urlencoded")

    assert_json_error(
        response,
        415,
        "unsupported_media_type",
        "Type de média «\u00a0application/x-www-form-urlencoded\u00a0» non supporté.",
    )


# --- Addresses and objects that do not exist ------------------------------------------------


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("fr", "Cette adresse n’existe pas dans l’API\u00a0: voir /api/docs/."),
        ("en", "There is no such address in the API: see /api/docs/."),
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        "/api/",
        "/api/v1/nothing/",
        "/api/v2/drives/",
        "/api/v1/drives/no pe/",
        "/api/v1/shop/orders/7KQ4MX/lines/x/",
    ],
)
def test_an_address_under_api_that_no_endpoint_serves_is_a_json_404(client, url, language, detail):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)

    assert_json_error(response, 404, "not_found", detail)


def test_a_post_to_an_unknown_api_address_is_a_json_404_not_a_csrf_refusal(client):
    response = post(client, "/api/v1/nothing/", "{}", language="en")

    assert_json_error(response, 404, "not_found")


@override_settings(DEBUG=True)
def test_an_unknown_api_address_is_json_on_a_debug_server_too(client):
    response = client.get("/api/v1/nothing/", HTTP_ACCEPT_LANGUAGE="en")

    assert_json_error(response, 404, "not_found")


def test_a_nul_character_in_an_api_address_is_not_found(client):
    response = client.get("/api/v1/orders/%00/", HTTP_ACCEPT_LANGUAGE="en")

    assert_json_error(response, 404, "not_found")


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/nothing/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("language", "detail"), [("fr", "Non trouvé."), ("en", "Not found.")])
def test_an_unknown_object_is_a_json_404_in_the_callers_language(client, language, detail):
    response = client.get("/api/v1/drives/nowhere/", HTTP_ACCEPT_LANGUAGE=language)

    assert_json_error(response, 404, "not_found", detail)


# --- Who is calling, how often, what they accept -------------------------------------------


@pytest.mark.parametrize(
    ("language", "detail"),
    [
        ("fr", "Informations d'authentification non fournies."),
        ("en", "Authentication credentials were not provided."),
    ],
)
def test_a_till_without_a_key_gets_a_json_401_in_its_language(client, language, detail):
    response = client.get("/api/v1/stock/listings/", HTTP_ACCEPT_LANGUAGE=language)

    assert_json_error(response, 401, "not_authenticated", detail)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_unknown_key_is_refused_in_the_callers_language(client):
    response = client.get(
        "/api/v1/stock/listings/", HTTP_ACCEPT_LANGUAGE="fr", HTTP_AUTHORIZATION="Bearer ds_nope"
    )

    assert_json_error(
        response, 401, "authentication_failed", "Cette clé d’API est inconnue ou a été révoquée."
    )


def test_a_throttled_caller_is_told_when_to_come_back_wholly_in_its_language(client, settings):
    settings.API_PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = 1
    DriveFactory()
    client.get("/api/v1/drives/", HTTP_ACCEPT_LANGUAGE="fr")

    response = client.get("/api/v1/drives/", HTTP_ACCEPT_LANGUAGE="fr")

    wait = int(response["Retry-After"])
    seconds = "seconde" if wait == 1 else "secondes"
    assert_json_error(
        response, 429, "throttled", f"Requête ralentie. Disponible à nouveau dans {wait} {seconds}."
    )


def test_a_caller_accepting_neither_json_nor_html_gets_a_json_406(client):
    response = client.get("/api/v1/drives/", HTTP_ACCEPT="application/xml", HTTP_ACCEPT_LANGUAGE="en")

    assert_json_error(response, 406, "not_acceptable", "Could not satisfy the request Accept header.")


def test_a_browser_gets_the_browsable_pages_but_errors_in_json(client):
    response = client.get("/api/v1/drives/nowhere/", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="fr")

    assert_json_error(response, 404, "not_found", "Non trouvé.")


def test_a_method_the_endpoint_does_not_take_is_a_json_405(client):
    response = client.delete("/api/v1/drives/", HTTP_ACCEPT_LANGUAGE="fr")

    assert_json_error(response, 405, "method_not_allowed", "Méthode «\u00a0DELETE\u00a0» non autorisée.")


# --- The description says all of it -----------------------------------------------------------


def test_every_operation_describes_the_errors_it_can_answer(client):
    description = json.loads(client.get("/api/schema/?format=json").content)

    for path, operations in description["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            where = f"{method.upper()} {path}"
            assert "406" in statuses, where
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= statuses, where
            if operation.get("security") and {} not in operation["security"]:
                assert "401" in statuses, where
            if "{" in path:
                assert "404" in statuses, where
            if "429" in statuses:
                assert operation["responses"]["429"]["headers"]["Retry-After"]["required"], where
