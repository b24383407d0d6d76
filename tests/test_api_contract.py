"""The API keeps its contract: Schemathesis generates requests for every operation of
the description the app serves (/api/schema/), sends them through the WSGI app, in
process, and checks each answer against that description.

Checks: no server error; every status, header and body as described; invalid requests
refused, valid ones accepted (except for the rules a description cannot state, listed
in BEYOND_THE_DESCRIPTION); every error in JSON; and no message in the other language
than the caller's (Accept-Language fr or en).

Bounded and repeatable: MAX_EXAMPLES generated requests per operation and caller (plus
the description's examples and Schemathesis' boundary cases), derandomized with SEED.
The whole file runs in about a minute on the 2-core CI machine.
"""

import json
import re
from functools import cache

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import trans_real
from hypothesis import strategies as st
from schemathesis.openapi.checks import RejectedPositiveData

from catalog import stock_sync
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from config.wsgi import application
from orders import services
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory, api_key_for, reserve

MAX_EXAMPLES = 50
SEED = 20_250_316
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            # The key is the caller's (a till's, or none): Schemathesis sends no Authorization of its own.
            "with-security-parameters": False,
        },
        # Each operation's test builds its world in the database first (a function-scoped fixture).
        "suppress-health-check": ["all"],
    }
)
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)
shop_schema = schema.include(path_regex=r"^/api/v1/(stock|shop)/")

LANGUAGES = ["fr", "en"]
# What the operations find: filled by the `world` fixture, read by the hook below while
# Schemathesis draws requests (the description's examples, drawn at collection, see none).
WORLD = {}


@pytest.fixture
def world(db, settings):
    """Two drives, a shop with three books on sale, a placed and an accepted order, an open
    stock sync session, and the shop's API key."""
    settings.API_PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = 1_000_000
    settings.API_ORDER_REQUESTS_PER_ADDRESS_PER_MINUTE = 1_000_000
    settings.RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE = 1_000_000
    lorient = DriveFactory(slug="lorient", name="Drive Lorient Keryado", latitude=47.754, longitude=-3.39)
    DriveFactory(
        slug="lille", name="Drive Lille", postcode="59000", town="Lille", latitude=50.63, longitude=3.06
    )
    shop = ShopFactory(trade_name="Librairie du Port")
    shop.drives.add(lorient)
    books = [BookFactory(ean=ean) for ean in ("9782070360024", "9782070360420", "9782070360116")]
    listings = [ListingFactory(shop=shop, book=book, quantity=50) for book in books]
    search_index_refresh()
    search_vocabulary_refresh()
    placed = reserve(listings[0]).orders.get()
    accepted = reserve(listings[1]).orders.get()
    services.order_accept(order=accepted, by=None)
    WORLD.update(
        key=api_key_for(shop),
        path={
            "slug": {"drives": lorient.slug, "shops": shop.slug},
            "token": placed.token,
            "reference": placed.reference,
            "line_id": placed.lines.get().pk,
            "session_id": str(stock_sync.sync_session_begin(shop=shop, full_sync=False).pk),
            "ean": books[0].ean,
            "number": 1,
        },
        query={
            "drive": lorient.slug,
            "near": "47.75,-3.37",
            "ean": books[0].ean,
            "shop": shop.pk,
            "q": "livre",
        },
        listings=[listing.pk for listing in listings],
    )
    yield WORLD
    WORLD.clear()


@pytest.fixture
def in_process_database():
    """Django closes the connection at the end of each request it serves; the requests
    are served in this thread, inside the test's transaction: keep it open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- Requests that find something: half of them use the world's values -------------------

CUSTOMER = {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78"}


@schema.hook
def flatmap_case(context, case):
    """Half of the requests use the world's values. Schemathesis checks the request again
    when its parts change, so one the world's values make valid counts as valid."""
    if not WORLD:
        return st.just(case)
    return st.sampled_from([False, True]).map(lambda known: _with_the_worlds_values(case) if known else case)


def _with_the_worlds_values(case):
    path = case.operation.path
    if case.path_parameters:
        known = dict(WORLD["path"], slug=WORLD["path"]["slug"]["drives" if "/drives/" in path else "shops"])
        case.path_parameters = {name: known.get(name, value) for name, value in case.path_parameters.items()}
    if case.query:
        # The world's drive, book and shop; a place given one way only; no subject (the
        # world has none) and no price range upside down.
        query = {name: WORLD["query"].get(name, value) for name, value in case.query.items()}
        if {"drive", "lat", "lon"} & set(query):
            query = {name: value for name, value in query.items() if name not in ("lat", "lon", "near")}
            query["drive"] = WORLD["query"]["drive"]
        if query.get("q") and "near" in query:
            del query["near"]
        query.pop("subject", None)
        query.pop("price_max", None)
        case.query = query
    body = case.body
    if path == "/api/v1/reservations/" and isinstance(body, dict) and isinstance(body.get("lines"), list):
        # The world's listings, by a customer whose details are valid.
        lines = [line for line in body["lines"] if isinstance(line, dict)]
        customer = body.get("customer") if isinstance(body.get("customer"), dict) else {}
        case.body = {
            **body,
            "customer": {**customer, **CUSTOMER},
            "lines": [
                {**line, "listing": listing} for line, listing in zip(lines, WORLD["listings"], strict=False)
            ],
        }
    return case


# --- What a description cannot state ------------------------------------------------------

# A request that matches the description may still be refused (400) for these reasons
# only: rules between parameters, and facts about the data (which drives and listings
# exist, which ISBNs have the right check digit, which numbers are telephones).
BEYOND_THE_DESCRIPTION = [
    "Give either drive or lat and lon, not both.",
    "Say where to look: give drive (a drive's slug), or lat and lon.",
    "Give lon along with lat.",
    "Give lat along with lon.",
    "Give q or near, not both.",
    "Give near or drive, not both.",
    "The highest price must not be below the lowest.",
    "No drive has the slug “%(slug)s”.",
    "No subject has the CLIL code “%(code)s”.",
    "There is no page %(page)s: the last one is %(last)s.",
    # An EAN's check digit; ISBN-10s; ISMNs and other EANs that are not books'.
    "Enter an ISBN or EAN.",
    "An ISBN has 10 or 13 characters; “%(value)s” has %(count)s.",
    "“%(value)s” is not a valid ISBN: its check digit does not match. Check for a typing error.",
    "“%(value)s” is not a valid ISBN or EAN.",
    "“%(value)s” is sheet music (ISMN, 979-0…), not a book. If the shop may list sheet music, give its kind "
    "of product.",
    "“%(value)s” is an EAN, but not a book's (a book's starts with 978 or 979). If it is another kind of "
    "product (a board game, a toy…), give its kind.",
    # A day the calendar does not have (2025-02-30), in the shape of a date.
    "Give an ISO 8601 date (2025-03-14) or date and time (2025-03-14T09:30:00+01:00), not “{value}”.",
    "No listing has the id %(id)s.",
    "Listing %(id)s is given twice: give each listing once.",
    "Enter a valid phone number, for example 02 97 64 12 34 or +33 2 97 64 12 34.",
    # Django's email validation is stricter than the description's "email" format.
    "Enter a valid email address.",
    # PostgreSQL stores no text holding a NUL character.
    "The body holds a NUL character, which no text may hold.",
]


def _pattern(message: str) -> str:
    """A regular expression for the message with any values in its placeholders."""
    parts = re.split(r"%\(\w+\)[sd]|\{\w+\}", message)
    return ".+".join(re.escape(part) for part in parts)


@cache
def _beyond_the_description(language: str) -> re.Pattern:
    with translation.override(language):
        messages = [translation.gettext(message) for message in BEYOND_THE_DESCRIPTION]
    return re.compile("|".join(f"(?:{_pattern(message)})" for message in messages), re.DOTALL)


@schema.hook
def filter_failure(context, failure, case, response):
    """A valid request refused for one of the reasons above is no finding."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400 or not _is_json(response):
        return True
    language = case.headers.get("Accept-Language", "fr") if case.headers else "fr"
    explained = _beyond_the_description(language)
    return not all(explained.fullmatch(message) for message in _messages(json.loads(response.content)))


# --- Checks of our own ----------------------------------------------------------------------


def _messages(body) -> list[str]:
    """The texts of an error body, at any depth: `detail`, `message`, and the lists of
    messages of invalid fields (not data such as a title or a `code`)."""
    if isinstance(body, dict):
        texts = [body[key] for key in ("detail", "message") if isinstance(body.get(key), str)]
        return texts + [
            text for value in body.values() if not isinstance(value, str) for text in _messages(value)
        ]
    if isinstance(body, list):
        return [value for value in body if isinstance(value, str)] + [
            text for value in body if not isinstance(value, str) for text in _messages(value)
        ]
    return [body] if isinstance(body, str) else []


def _is_json(response) -> bool:
    return response.headers.get("content-type", [""])[0].split(";")[0] == "application/json"


def errors_are_json(ctx, response, case):
    if response.status_code >= 400:
        assert _is_json(response), (
            f"A {response.status_code} answered as {response.headers.get('content-type')}"
        )


@cache
def _untranslated(language: str) -> tuple[frozenset, re.Pattern]:
    """The messages of the other language: the English ones that have a French translation
    (their text, or for those with placeholders, a pattern), or the French ones."""
    catalog = trans_real.translation("fr")._catalog
    pairs = [(english, french) for english, french in catalog.items() if isinstance(english, str) and english]
    pairs = [(english, french) for english, french in pairs if french and french != english]
    if language == "en":
        return frozenset(french for _english, french in pairs), re.compile("(?!)")
    with_values = [english for english, _french in pairs if re.search(r"%\(\w+\)[sd]|\{\w+\}", english)]
    # A pattern with little text of its own ("%(name)s: %(value)s") would match any message.
    telling = [
        _pattern(english) for english in with_values if len(re.sub(r"%\(\w+\)[sd]|\{\w+\}", "", english)) > 12
    ]
    return frozenset(english for english, _french in pairs), re.compile(
        "|".join(f"(?:{p})" for p in telling), re.DOTALL
    )


def errors_speak_the_callers_language(ctx, response, case):
    if response.status_code < 400:
        return
    if not _is_json(response):
        return  # errors_are_json tells
    language = case.headers["Accept-Language"]
    texts, patterns = _untranslated(language)
    for message in _messages(json.loads(response.content)):
        said = f"A {response.status_code} to a caller asking for {language!r} says {message!r}"
        assert message not in texts, said
        assert not patterns.fullmatch(message), said


CHECKS = [errors_are_json, errors_speak_the_callers_language]


def call(case, *, language: str, key: str | None):
    headers = {
        "Accept-Language": language,
        # The test client does not inflate what GZipMiddleware compresses.
        "Accept-Encoding": "identity",
    }
    if key:
        headers["Authorization"] = f"Bearer {key}"
    case.headers = {**(case.headers or {}), "Accept-Language": language}
    return case.call_and_validate(headers=headers, additional_checks=CHECKS)


# --- The runs -------------------------------------------------------------------------------


@schema.parametrize()
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_operation_keeps_its_contract_for_a_till(case, language, world, in_process_database):
    call(case, language=language, key=world["key"])


@shop_schema.parametrize()
@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_key_the_shop_operations_keep_their_contract(case, language, world, in_process_database):
    response = call(case, language=language, key=None)

    # A path the URLs cannot match (a line's id that is no number) is no endpoint's.
    assert response.status_code == 401 or (
        response.status_code == 404 and case.meta.generation.mode.is_negative
    )
