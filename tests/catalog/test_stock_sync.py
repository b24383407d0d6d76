"""A stock too big for one request, sent in the pages of a sync session and applied at once."""

import threading
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from catalog import stock_sync
from catalog.models import Listing, StockSyncPage, StockSyncSession
from catalog.tasks import expire_stock_sync_sessions
from tests.factories import BookFactory, ListingFactory, api_key_for, listings_in_stock, valid_book_ean
from tests.race import at_once, held_in_another_transaction, outcomes

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/stock/sync-sessions/"
SUMMARY_KEYS = ("create", "update", "unchanged", "refuse", "zeroed")


def session_url(session_id, tail: str = "") -> str:
    return f"{SESSIONS}{session_id}/{tail}"


def page_url(session_id, number) -> str:
    return session_url(session_id, f"pages/{number}/")


@pytest.fixture
def till(client, shop_a):
    """Shop A's till software: calls with shop A's key, in English unless told otherwise."""
    shop_a_key = api_key_for(shop_a)

    def call(method, url, payload=None, *, key=shop_a_key, language="en"):
        body = {} if payload is None else {"data": payload}
        return getattr(client, method)(
            url,
            **body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_ACCEPT_LANGUAGE=language,
        )

    return call


def begin(till, *, full_sync=True) -> str:
    response = till("post", SESSIONS, {"full_sync": full_sync})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def summary(answer: dict) -> dict:
    return {key: answer["result"]["summary"][key] for key in SUMMARY_KEYS}


def stock(shop) -> dict[str, int]:
    return dict(Listing.objects.filter(shop=shop).values_list("book__ean", "quantity"))


def item(ean: str, quantity: int = 1) -> dict:
    return {
        "ean": ean,
        "quantity": quantity,
        "price": "15.00",
        "list_price": "15.00",
        "title": f"Titre {ean}",
    }


# --- The whole stock, in pages --------------------------------------------------------------


def test_a_stock_of_12000_titles_is_sent_in_3_pages_and_applied_at_once(till, shop_a):
    # given a shop that lists a title the till still has, and one it sold out of
    eans = [valid_book_ean(600_000 + n) for n in range(12_000)]
    kept = ListingFactory(
        shop=shop_a, book=BookFactory(ean=eans[7_500], list_price=Decimal("15.00")), quantity=1
    )
    sold_out = ListingFactory(shop=shop_a, quantity=4)
    items = [item(ean, quantity=n % 7) for n, ean in enumerate(eans)]
    items[5_003]["ean"] = "not-an-isbn"
    items[10_000]["quantity"] = -1
    session_id = begin(till)

    # when the till puts its pages (not in order) and commits
    for number in (3, 1, 2):
        put = till(
            "put", page_url(session_id, number), {"items": items[(number - 1) * 5_000 : number * 5_000]}
        )
        assert put.status_code == 200, put.json()
    before = till("get", session_url(session_id)).json()
    committed = till("post", session_url(session_id, "commit/"))

    # then every item is applied in page order, the refused ones named by page and place
    assert [(page["number"], page["item_count"]) for page in before["pages"]] == [(1, 5_000), (2, 5_000),
                                                                                   (3, 2_000)]  # fmt: skip
    assert before["item_count"] == 12_000
    assert committed.status_code == 200
    answer = committed.json()
    assert answer["status"] == "committed"
    assert summary(answer) == {"create": 11_997, "update": 1, "unchanged": 0, "refuse": 2, "zeroed": 1}
    assert answer["result"]["refused"] == [
        {"position": 5_003, "page": 2, "index": 3, "ean": "not-an-isbn",
         "message": "“not-an-isbn” is not a valid ISBN or EAN."},
        {"position": 10_000, "page": 3, "index": 0, "ean": eans[10_000],
         "message": "The quantity “-1” is not a whole number between 0 and 100000."},
    ]  # fmt: skip
    assert answer["pages"] == []
    assert answer["item_count"] == 12_000
    expected = {ean: n % 7 for n, ean in enumerate(eans) if n not in (5_003, 10_000)}
    assert stock(shop_a) == {**expected, sold_out.book.ean: 0}
    kept.refresh_from_db()
    assert (kept.quantity, kept.price) == (7_500 % 7, Decimal("15.00"))
    assert not StockSyncPage.objects.exists()  # the result is kept, the pages are not


def test_beginning_a_session_says_its_limits_and_when_it_expires(till):
    response = till("post", SESSIONS, {"full_sync": True})

    answer = response.json()
    assert response.status_code == 201
    assert {key: answer[key] for key in ("status", "full_sync", "pages", "item_count", "max_items",
                                         "max_page_items", "finished_at", "result")} == {
        "status": "open", "full_sync": True, "pages": [], "item_count": 0, "max_items": 100_000,
        "max_page_items": 5_000, "finished_at": None, "result": None,
    }  # fmt: skip
    session = StockSyncSession.objects.get(pk=answer["id"])
    assert abs(session.expires_at - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)


def test_each_page_pushes_the_expiry_back(till, shop_a):
    session_id = begin(till)
    StockSyncSession.objects.filter(pk=session_id).update(expires_at=timezone.now() + timedelta(hours=1))

    till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_001))]})

    expires_at = StockSyncSession.objects.get(pk=session_id).expires_at
    assert abs(expires_at - (timezone.now() + timedelta(hours=24))) < timedelta(minutes=1)


def test_a_one_item_full_sync_on_a_shop_of_1002_listings_waits_for_confirmation(till, shop_a):
    # given a shop with 1,002 listings in stock, and a session holding one new book
    listings_in_stock(shop_a, 1_002)
    session_id = begin(till)
    till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_000), quantity=3)]})

    # when the till commits, then commits again confirming it
    refused = till("post", session_url(session_id, "commit/"), language="fr")
    untouched = Listing.objects.filter(shop=shop_a, quantity=2).count()
    still_open = till("get", session_url(session_id)).json()
    applied = till("post", session_url(session_id, "commit/"), {"confirm_zeroing": True})

    # then the first commit changes nothing and says how many would go to 0, in French
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Offres en stock que cette synchronisation complète mettrait à 0\u00a0: 1002 sur 1002. Rien "
        "n’a été modifié. Si c’est bien ce que vous voulez, renvoyez la requête avec «\u00a0confirm_zeroing\u00a0»"
        "\u00a0: true.",
        "code": "zeroing_needs_confirmation",
        "zeroed": 1002,
        "in_stock": 1002,
        "confirm_with": "confirm_zeroing",
    }
    assert untouched == 1_002
    assert (still_open["status"], still_open["item_count"]) == ("open", 1)
    assert applied.status_code == 200
    assert summary(applied.json()) == {"create": 1, "update": 0, "unchanged": 0, "refuse": 0, "zeroed": 1_002}
    assert sorted(stock(shop_a).values()) == [0] * 1_002 + [3]


def test_putting_a_page_again_replaces_it(till, shop_a):
    first, second = valid_book_ean(600_001), valid_book_ean(600_002)
    session_id = begin(till, full_sync=False)

    till("put", page_url(session_id, 1), {"items": [item(first)]})
    till("put", page_url(session_id, 1), {"items": [item(second, quantity=2), item(first, quantity=5)]})
    again = till(
        "put", page_url(session_id, 1), {"items": [item(second, quantity=2), item(first, quantity=5)]}
    )
    committed = till("post", session_url(session_id, "commit/"))

    assert again.status_code == 200
    assert [(page["number"], page["item_count"]) for page in again.json()["pages"]] == [(1, 2)]
    assert StockSyncPage.objects.count() == 0
    assert summary(committed.json()) == {"create": 2, "update": 0, "unchanged": 0, "refuse": 0, "zeroed": 0}
    assert stock(shop_a) == {second: 2, first: 5}


def test_committing_twice_answers_the_same_result_and_applies_the_stock_once(till, shop_a):
    ean = valid_book_ean(600_001)
    session_id = begin(till, full_sync=False)
    till("put", page_url(session_id, 1), {"items": [item(ean, quantity=4)]})

    first = till("post", session_url(session_id, "commit/"))
    Listing.objects.filter(shop=shop_a).update(quantity=9)  # sold at the counter since
    second = till("post", session_url(session_id, "commit/"), {"confirm_zeroing": True})

    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert summary(first.json())["create"] == 1
    assert stock(shop_a) == {ean: 9}


# --- Pages and their limits -----------------------------------------------------------------


def test_a_session_holds_at_most_the_items_of_the_setting(till, settings):
    settings.STOCK_SYNC_MAX_ITEMS = 3
    session_id = begin(till)
    till(
        "put",
        page_url(session_id, 1),
        {"items": [item(valid_book_ean(600_001)), item(valid_book_ean(600_002))]},
    )

    too_many = till("put", page_url(session_id, 2), {"items": [item(valid_book_ean(600_003))] * 2})
    smaller_first = till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_001))]})
    then_fits = till("put", page_url(session_id, 2), {"items": [item(valid_book_ean(600_003))] * 2})

    assert too_many.status_code == 400
    assert too_many.json() == {
        "items": ["A sync session holds at most 3 items; with this page, it would hold 4."]
    }
    assert (smaller_first.status_code, then_fits.status_code) == (200, 200)
    assert then_fits.json()["item_count"] == 3


@pytest.mark.parametrize(
    ("number", "body", "errors"),
    [
        ("0", {"items": [{"ean": "9782070368228"}]},
         {"number": ["Assurez-vous que cette valeur est supérieure ou égale à\u00a01."]}),
        ("deux", {"items": [{"ean": "9782070368228"}]}, {"number": ["Un nombre entier valide est requis."]}),
        ("1", {"items": []}, {"items": ["Assurez-vous que ce champ a au moins 1 éléments."]}),
        ("1", {"items": [{"ean": "9782070368228"}] * 5_001},
         {"items": ["Assurez-vous que ce champ n'a pas plus de 5000 éléments."]}),
        ("1", {"items": ["9782070368228"]}, {"items": {"0": ["Attendait un dictionnaire d'éléments mais a reçu "
                                                             "«\u00a0str\u00a0»."]}}),
    ],
    ids=["page-0", "page-in-words", "no-item", "too-many-items", "item-not-an-object"],
)  # fmt: skip
def test_a_bad_page_answers_400_naming_the_field_in_the_callers_language(till, number, body, errors):
    session_id = begin(till)

    response = till("put", page_url(session_id, number), body, language="fr")

    assert response.status_code == 400
    assert response.json() == errors
    assert not StockSyncPage.objects.exists()


def test_a_session_with_a_missing_page_is_not_committed(till, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3)
    session_id = begin(till)
    empty = till("post", session_url(session_id, "commit/"))
    for number in (1, 3):
        till("put", page_url(session_id, number), {"items": [item(valid_book_ean(600_000 + number))]})

    gap = till("post", session_url(session_id, "commit/"), {"confirm_zeroing": True})
    fewer_announced = till("post", session_url(session_id, "commit/"), {"pages": 2, "confirm_zeroing": True})
    more_announced = till("post", session_url(session_id, "commit/"), {"pages": 5, "confirm_zeroing": True})

    assert (
        empty.status_code
        == gap.status_code
        == fewer_announced.status_code
        == more_announced.status_code
        == 409
    )
    assert empty.json() == {
        "detail": "This sync session has no page: put page 1 at least, then commit.",
        "code": "pages_missing",
    }
    assert gap.json() == {
        "detail": "Pages missing from this sync session: 2. Put them, then commit again.",
        "code": "pages_missing",
    }
    assert (
        fewer_announced.json()["detail"]
        == "Pages missing from this sync session: 2. Put them, then commit again."
    )
    assert more_announced.json()["detail"] == (
        "Pages missing from this sync session: 2, 4, 5. Put them, then commit again."
    )
    listing.refresh_from_db()
    assert listing.quantity == 3
    assert StockSyncSession.objects.get().status == StockSyncSession.Status.OPEN


def test_more_pages_than_announced_are_not_committed(till, shop_a):
    session_id = begin(till)
    for number in (1, 2, 3):
        till("put", page_url(session_id, number), {"items": [item(valid_book_ean(600_000 + number))]})

    response = till("post", session_url(session_id, "commit/"), {"pages": 2})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This sync session holds pages up to 3, not 2 as announced: abandon it and begin again.",
        "code": "pages_missing",
    }
    assert not Listing.objects.exists()


# --- Abandoned, committed, expired ----------------------------------------------------------


def test_an_abandoned_session_applies_nothing_and_takes_no_more_pages(till, shop_a):
    session_id = begin(till)
    till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_001))]})

    abandoned = till("delete", session_url(session_id))
    shown = till("get", session_url(session_id)).json()
    put = till("put", page_url(session_id, 2), {"items": [item(valid_book_ean(600_002))]}, language="fr")
    committed = till("post", session_url(session_id, "commit/"))
    again = till("delete", session_url(session_id))

    assert abandoned.status_code == 204
    assert (shown["status"], shown["pages"], shown["item_count"], shown["result"]) == (
        "abandoned",
        [],
        0,
        None,
    )
    assert shown["finished_at"] is not None
    assert put.status_code == 409
    assert put.json() == {
        "detail": "Cette session de synchronisation a été abandonnée\u00a0: commencez une nouvelle session.",
        "code": "session_abandoned",
    }
    assert committed.status_code == 409
    assert committed.json() == {"detail": "This sync session was abandoned: begin a new session.",
                                "code": "session_abandoned"}  # fmt: skip
    assert again.status_code == 204
    assert not StockSyncPage.objects.exists()
    assert not Listing.objects.exists()


def test_a_committed_session_takes_no_more_pages_and_cannot_be_abandoned(till, shop_a):
    session_id = begin(till, full_sync=False)
    till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_001))]})
    till("post", session_url(session_id, "commit/"))

    put = till("put", page_url(session_id, 2), {"items": [item(valid_book_ean(600_002))]})
    abandoned = till("delete", session_url(session_id))

    assert (put.status_code, abandoned.status_code) == (409, 409)
    assert put.json() == {
        "detail": "This sync session was committed already: begin a new session to send another sync.",
        "code": "session_committed",
    }
    assert abandoned.json() == {
        "detail": "This sync session was committed already: its stock is applied and it cannot be abandoned.",
        "code": "session_committed",
    }
    assert till("get", session_url(session_id)).json()["status"] == "committed"


def test_the_expiry_job_ends_the_sessions_left_open_and_deletes_their_pages(till, shop_a, shop_b):
    # given a session of shop A left alone past its deadline, another of shop B, and a busy one
    stale = begin(till)
    till("put", page_url(stale, 1), {"items": [item(valid_book_ean(600_001))]})
    stale_b = stock_sync.sync_session_begin(shop=shop_b, full_sync=True)
    busy = begin(till)
    till("put", page_url(busy, 1), {"items": [item(valid_book_ean(600_002))]})
    StockSyncSession.objects.filter(pk__in=[stale, stale_b.pk]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    # when the till sends a page to it before the job came by, then the job runs twice
    late = till("put", page_url(stale, 2), {"items": [item(valid_book_ean(600_003))]})
    first_run = expire_stock_sync_sessions.delay().get()
    second_run = expire_stock_sync_sessions.delay().get()
    committed = till("post", session_url(stale, "commit/"), {"confirm_zeroing": True})

    # then the late page is refused, and only the stale sessions expire, once
    assert late.status_code == 409
    assert late.json() == {
        "detail": "This sync session expired: it received no page for 24 hours and nothing of it was applied. "
        "Begin a new session.",
        "code": "session_expired",
    }
    assert (first_run, second_run) == (2, 0)
    statuses = dict(StockSyncSession.objects.values_list("pk", "status"))
    assert {str(pk): status for pk, status in statuses.items()} == {
        stale: "expired",
        str(stale_b.pk): "expired",
        busy: "open",
    }
    assert [
        (str(session), number) for session, number in StockSyncPage.objects.values_list("session", "number")
    ] == [(busy, 1)]
    assert committed.status_code == 409
    assert committed.json()["code"] == "session_expired"
    assert not Listing.objects.exists()


# --- Another shop ---------------------------------------------------------------------------


def test_another_shops_key_finds_no_session_of_shop_a(till, shop_a, shop_b):
    listing = ListingFactory(shop=shop_a, quantity=3)
    session_id = begin(till)
    till("put", page_url(session_id, 1), {"items": [item(valid_book_ean(600_001))]})
    key_b = api_key_for(shop_b)

    answers = [
        till("get", session_url(session_id), key=key_b),
        till("put", page_url(session_id, 2), {"items": [item(valid_book_ean(600_002))]}, key=key_b),
        till("post", session_url(session_id, "commit/"), {"confirm_zeroing": True}, key=key_b),
        till("delete", session_url(session_id), key=key_b),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert StockSyncSession.objects.get().status == StockSyncSession.Status.OPEN
    assert list(StockSyncPage.objects.values_list("number", flat=True)) == [1]
    listing.refresh_from_db()
    assert listing.quantity == 3


def test_an_unknown_session_is_not_found(till):
    assert till("get", session_url("not-a-uuid")).status_code == 404
    assert till("get", session_url("0b8e7a3c-5d1f-4f8e-9a51-2d0c4e6b7a19")).status_code == 404


@pytest.mark.parametrize("method", ["get", "delete"])
def test_a_session_needs_a_key(client, method):
    assert getattr(client, method)(session_url("0b8e7a3c-5d1f-4f8e-9a51-2d0c4e6b7a19")).status_code == 401


# --- At the same moment ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_commits_at_once_apply_the_session_once(shop_a):
    # given a session with a new book and a listing whose quantity changes
    listing = ListingFactory(shop=shop_a, book=BookFactory(list_price=Decimal("15.00")), quantity=1)
    session = stock_sync.sync_session_begin(shop=shop_a, full_sync=False)
    stock_sync.sync_session_put_page(
        session=session,
        number=1,
        items=[item(listing.book.ean, quantity=6), item(valid_book_ean(600_001), 2)],
    )

    # when the till's retry arrives while the first commit runs
    results = at_once(
        partial(stock_sync.sync_session_commit, session=session),
        partial(stock_sync.sync_session_commit, session=session),
    )

    # then one applied it, the other waited and answered its result
    assert outcomes(results) == {"ok": 2}
    assert results[0].result == results[1].result
    assert {key: results[0].result["summary"][key] for key in SUMMARY_KEYS} == {
        "create": 1, "update": 1, "unchanged": 0, "refuse": 0, "zeroed": 0
    }  # fmt: skip
    assert stock(shop_a) == {listing.book.ean: 6, valid_book_ean(600_001): 2}


@pytest.mark.django_db(transaction=True)
def test_a_page_put_while_the_session_is_committed_waits_and_is_refused(shop_a):
    # given a session being committed in another transaction, not finished yet
    session = stock_sync.sync_session_begin(shop=shop_a, full_sync=False)
    stock_sync.sync_session_put_page(session=session, number=1, items=[item(valid_book_ean(600_001))])
    put = {}

    def put_page_2():
        try:
            put["session"] = stock_sync.sync_session_put_page(
                session=session, number=2, items=[item(valid_book_ean(600_002))]
            )
        except Exception as error:  # asserted below
            put["error"] = error
        finally:
            connection.close()

    with held_in_another_transaction(lambda: stock_sync.sync_session_commit(session=session)) as release:
        # when a page arrives meanwhile
        thread = threading.Thread(target=put_page_2)
        thread.start()
        assert waits_for_a_lock(), "the page was not held back by the commit"
        release()
    thread.join(timeout=30)

    # then it is refused once the commit is done, and the stock holds page 1 only
    assert isinstance(put.get("error"), stock_sync.SyncSessionClosed)
    assert put["error"].code == "session_committed"
    assert stock(shop_a) == {valid_book_ean(600_001): 1}


def waits_for_a_lock(timeout: float = 10) -> bool:
    """Whether some connection of this database waits for a row lock, within `timeout`."""
    deadline = timezone.now() + timedelta(seconds=timeout)
    with connection.cursor() as cursor:
        while timezone.now() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = "
                "'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
    return False


@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_each_session_once(shop_a):
    sessions = [stock_sync.sync_session_begin(shop=shop_a, full_sync=True) for _ in range(5)]
    for session in sessions:
        stock_sync.sync_session_put_page(session=session, number=1, items=[item(valid_book_ean(600_001))])
    StockSyncSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    results = at_once(stock_sync.sync_sessions_expire, stock_sync.sync_sessions_expire)

    assert outcomes(results) == {"ok": 2}
    assert sum(results) == 5
    assert set(StockSyncSession.objects.values_list("status", flat=True)) == {"expired"}
    assert not StockSyncPage.objects.exists()


# --- Documentation --------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_sync_sessions_and_their_errors(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    def statuses(path, method):
        return sorted(paths[path][method]["responses"])

    # A body may be unreadable (400), too large (413) or not JSON (415); any caller may accept no JSON (406).
    assert statuses(SESSIONS, "post") == ["201", "400", "401", "406", "413", "415"]
    assert statuses(f"{SESSIONS}{{session_id}}/", "get") == ["200", "401", "404", "406"]
    assert statuses(f"{SESSIONS}{{session_id}}/", "delete") == ["204", "401", "404", "406", "409"]
    assert statuses(f"{SESSIONS}{{session_id}}/pages/{{number}}/", "put") == [
        "200", "400", "401", "404", "406", "409", "413", "415"
    ]  # fmt: skip
    assert statuses(f"{SESSIONS}{{session_id}}/commit/", "post") == [
        "200", "400", "401", "404", "406", "409", "413", "415"
    ]  # fmt: skip
    assert statuses("/api/v1/stock/listings/bulk/", "post") == [
        "200",
        "400",
        "401",
        "406",
        "409",
        "413",
        "415",
    ]
    assert statuses("/api/v1/stock/listings/", "get") == ["200", "400", "401", "406"]
    commit = paths[f"{SESSIONS}{{session_id}}/commit/"]["post"]
    assert commit["security"] == [{"shopApiKey": []}]
    assert list(commit["requestBody"]["content"]) == ["application/json"]
    assert set(schema["components"]["schemas"]["SyncCommit"]["properties"]) == {"confirm_zeroing", "pages"}
    assert "confirm_zeroing" in schema["components"]["schemas"]["StockBulkRequest"]["properties"]
