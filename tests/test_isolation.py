"""Tenant isolation, address by address: every URL pattern the project serves is in
tests/isolation_table.py, and for each one that takes an object of shop A (or of its
customer), every actor (owner, colleague, outsider, drive staff of A's drive and of
another, head office, anonymous; token and key holders) gets what the table says.

Refused actors get a refusal with nothing of shop A in the page or the redirect, and
their requests, POSTs included, write nothing. A new address with no entry fails
test_every_served_address_has_an_entry, naming it; a newly registered model,
test_every_registered_model_has_a_spec.

The network (tests/isolation_world.py) is built once for the module and each test runs
in a savepoint rolled back after it.
"""

import importlib
import json
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import override_settings
from django.urls import LocalePrefixPattern, URLResolver, clear_url_caches, get_resolver

from tests.isolation_table import (
    ACTORS,
    ADMIN_MODELS,
    CASES,
    LOGGED_IN,
    OPTIONAL,
    admin_cases,
    rev,
    table_keys,
)
from tests.isolation_world import build_world

pytestmark = [
    pytest.mark.django_db,
    # The autocomplete, probed on every searchable ModelAdmin, pages some querysets with no
    # ordering (orders, plans): no widget asks for them, the warning is no finding here.
    pytest.mark.filterwarnings("ignore::django.core.paginator.UnorderedObjectListWarning"),
]

TABLE = "tests/isolation_table.py"


# --- What the project serves -----------------------------------------------------------


def served_patterns(urlconf=None) -> dict[str, str]:
    """{key: route} of every URL pattern: its name (with its namespace), or its route
    when it has none. The language prefix is left out: /en/… is the same pattern."""
    found: dict[str, str] = {}

    def walk(resolver, route: str, namespaces: list[str]) -> None:
        for entry in resolver.url_patterns:
            here = route + ("" if isinstance(entry.pattern, LocalePrefixPattern) else str(entry.pattern))
            if isinstance(entry, URLResolver):
                walk(entry, here, [*namespaces, entry.namespace] if entry.namespace else namespaces)
                continue
            key = ":".join([*namespaces, entry.name]) if entry.name else here
            if key in found:  # two patterns under one name: tell them apart by route
                key = f"{key} ({here})"
            found[key] = here

    walk(get_resolver(urlconf), "", [])
    return found


def all_cases():
    cases = list(CASES)
    for model, model_admin in admin.site._registry.items():
        spec = ADMIN_MODELS.get(model._meta.label)
        if spec is not None:  # else test_every_registered_model_has_a_spec fails
            cases += admin_cases(model._meta.label, spec, model_admin)
    return cases


ALL_CASES = all_cases()


def test_every_served_address_has_an_entry():
    missing = {key: route for key, route in served_patterns().items() if key not in table_keys(ALL_CASES)}

    assert not missing, (
        f"URL patterns with no entry in {TABLE}: "
        + "; ".join(f"{key!r} (/{route})" for key, route in sorted(missing.items()))
        + ". Add each to PUBLIC (one line: why it shows nothing private) or to CASES (who may "
        "open it for an object of shop A); a ModelAdmin's addresses come from ADMIN_MODELS. "
        f"See the docstring of {TABLE}."
    )


def test_every_entry_is_still_served():
    stale = table_keys(ALL_CASES) - set(served_patterns()) - OPTIONAL

    assert not stale, f"Entries of {TABLE} for addresses no longer served (remove them): {sorted(stale)}"


def test_every_registered_model_has_a_spec():
    registered = {model._meta.label for model in admin.site._registry}
    unsearched = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.label in ADMIN_MODELS
        and model_admin.search_fields
        and ADMIN_MODELS[model._meta.label].search is None
    ]

    missing = registered - set(ADMIN_MODELS)
    assert not missing, (
        f"Models registered in the admin with no AdminSpec in {TABLE} ADMIN_MODELS: {sorted(missing)}. "
        "Give each an object, who finds it in the list and opens it, who may add and delete it."
    )
    assert not set(ADMIN_MODELS) - registered, (
        f"AdminSpecs for unregistered models: {sorted(set(ADMIN_MODELS) - registered)}"
    )
    assert not unsearched, (
        f"ModelAdmins with search_fields whose AdminSpec has no `search` (a term finding its object, for the "
        f"list and the autocomplete): {unsearched}"
    )


def test_the_demo_mailbox_is_not_served_in_production():
    """With DEBUG on, /dev/mailbox/ shows every email to anyone (the demo's): it must
    not exist with production settings."""
    import config.urls

    served = config.urls.urlpatterns
    try:
        with override_settings(DEBUG=False, SERVE_MEDIA=False):
            importlib.reload(config.urls)
            clear_url_caches()
            production = served_patterns()
    finally:
        config.urls.urlpatterns = served  # as the rest of the run knows them
        clear_url_caches()

    assert "dev_mailbox" not in production
    assert "dev_mailbox_message" not in production
    assert not any(route.startswith("^media/") for route in production.values())
    assert "home" in production


def test_the_set_password_form_answers_the_same_whether_the_address_exists(client, owner_a):
    known = client.post(rev("admin_password_reset"), {"email": owner_a.email})
    unknown = client.post(rev("admin_password_reset"), {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == rev("password_reset_done")


# --- Who gets what --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, in a transaction rolled back after the module; each test runs in a
    savepoint of it (pytest-django's own), so nothing one test does is seen by the next."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            built = build_world(sessions_for=list(LOGGED_IN))
        yield built
        transaction.set_rollback(True)


def _params():
    for case in ALL_CASES:
        for who in case.actors:
            assert who in ACTORS, f"{case.id}: unknown actor {who!r}"
            yield pytest.param(case, who, id=f"{case.id}-{who}")


@pytest.mark.parametrize(("case", "who"), list(_params()))
def test_every_actor_gets_what_the_table_says(world, case, who):
    client = world.client(who)
    url = case.url(world, who)
    headers = case.headers(world, who)

    def send(method, body):
        if method == "GET":
            return client.get(url, follow=case.follow, **headers)
        if method == "DELETE":
            return client.delete(url, follow=case.follow, **headers)
        if case.json:
            body, headers["content_type"] = json.dumps(body), "application/json"
        return (client.put if method == "PUT" else client.post)(url, body, follow=case.follow, **headers)

    if who in case.sees:
        _check_who_sees(case, who, world, url, send)
    else:
        _check_who_may_not(case, who, world, url, send)


def _check_who_sees(case, who, world, url, send) -> None:
    expected = _statuses(case.sees[who])
    shows = (case.shows or case.secrets)(world)
    for method, body in _requests(case, world, who):
        response, what = send(method, body), f"{who} {method} {url}"
        assert response.status_code in expected, _said(response, what, expected)
        if response.status_code == 200 and shows:
            assert any(text in _text(response) for text in shows), (
                f"{what}: none of {shows} in the page (does the test look at the right object?)"
            )
        if case.hides:
            _assert_nothing_of(_not_in(f"{url} {body}", case.hides(world)), response, what)


def _check_who_may_not(case, who, world, url, send) -> None:
    """Refused (or blind): the expected status, nothing of shop A in the answer, and
    nothing written: nothing at all for the refused; nothing of shop A's for the blind and
    for holders of shop B's credential (they may act on their own rows)."""
    blind = who in case.blind
    expected = _statuses(case.blind[who]) if blind else set(case.refused)
    own_rows = blind or who == "other_holder"
    before = _state(world, case) if own_rows else world.writes()
    for method, body in _requests(case, world, who):
        response, what = send(method, body), f"{who} {method} {url}"
        if method == "GET":
            allowed = expected
        elif blind:
            # Whatever the form says (or what they create of their own): nothing of shop A's may happen.
            allowed = {200, 201, 302, 400, 403, 404, 405, 409}
        else:
            allowed = expected | {405}
        assert response.status_code in allowed, _said(response, what, allowed)
        if response.status_code in (301, 302) and not blind:
            target = urlsplit(response["Location"]).path
            assert target in _refusal_pages(), f"{what}: refused by a redirect to {target}"
        # What the request holds (a search term, a code typed at the counter) may come
        # back in the answer: it tells nothing the person did not know.
        _assert_nothing_of(_not_in(f"{url} {body}", case.secrets(world)), response, what)
    if own_rows:
        assert _state(world, case) == before, f"{who}'s requests to {url} changed shop A's data"
    else:
        assert world.writes() == before, f"{who}, refused, wrote to the database through {url}"


def _not_in(url: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret not in url]


def _statuses(status) -> set[int]:
    return set(status) if isinstance(status, tuple) else {status}


def _requests(case, world, who):
    """(method, body) pairs: a GET when the address has one; then, for those who may not
    see (or at an address without GET), the POST (or the API's PUT) bodies, and a DELETE.
    The refused try the first body only: a refusal comes before the body is read."""
    sees = who in case.sees
    if "GET" in case.methods:
        yield "GET", None
        if sees:
            return
    for method in ("POST", "PUT"):
        if method in case.methods:
            bodies = case.posts(world)
            for body in bodies if sees or who in case.blind else bodies[:1]:
                yield method, body
    if "DELETE" in case.methods:
        yield "DELETE", None


def _state(world, case) -> dict:
    return {"shop A": world.snapshot(), "this": case.state(world) if case.state else None}


def _refusal_pages() -> set[str]:
    return {rev("admin:login"), rev("customer_login"), rev("admin:index")}


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _assert_nothing_of(secrets, response, what: str) -> None:
    text, location = _text(response), response.get("Location", "")
    for secret in secrets:
        assert secret not in text, f"{what}: {secret!r} in the answer ({response.status_code})"
        assert secret not in location, f"{what}: {secret!r} in the redirect to {location}"


def _said(response, what: str, expected) -> str:
    location = f" -> {response['Location']}" if response.has_header("Location") else ""
    return f"{what}: {response.status_code}{location}, expected {sorted(expected)}"
