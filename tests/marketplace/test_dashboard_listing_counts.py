"""The dashboard's listing counts (backoffice.models.ListingCount, kept by the triggers of
backoffice/migrations/0001) always equal a fresh count of the listings: whatever writes
them (services, factories, bulk statements, a stock import's COPY, raw SQL, a cascade),
inside savepoints rolled back, and with two transactions writing the same shop's counts
at once. The dashboard's figures read them (test_dashboard.py checks the figures).
"""

import io
import threading
import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, F, Value, When
from django.utils import translation

from backoffice.dashboard import Period, dashboard_for_shops, listings_by_status, shop_figures
from backoffice.models import ListingCount
from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.models import Book, Listing
from shops.models import Shop
from tests.factories import BookFactory, ListingFactory, ShopFactory, listings_in_stock
from tests.race import at_once, held_in_another_transaction

DRAFT, PENDING, PUBLISHED, REJECTED, HIDDEN = (
    Listing.Status.DRAFT, Listing.Status.PENDING, Listing.Status.PUBLISHED, Listing.Status.REJECTED,
    Listing.Status.HIDDEN,
)  # fmt: skip


def live_counts() -> dict[tuple[int, str], int]:
    """What the triggers must keep: a count of the listings by shop and status."""
    rows = Listing.objects.values_list("shop", "status").annotate(count=Count("pk")).order_by()
    return {(shop, status): count for shop, status, count in rows}


def kept_counts() -> dict[tuple[int, str], int]:
    return {(row.shop_id, row.status): row.listings for row in ListingCount.objects.all()}


def assert_counts_are_true() -> dict[tuple[int, str], int]:
    """The kept counts equal a fresh count, row for row: no zero row, no stale row."""
    live = live_counts()
    assert kept_counts() == live
    return live


@pytest.mark.django_db
def test_the_counts_follow_every_kind_of_write():
    alpha, bravo, charlie = ShopFactory(), ShopFactory(), ShopFactory()

    # created one by one (save()), and in bulk (one INSERT of many rows, several shops)
    first = ListingFactory(shop=alpha, status=PUBLISHED)
    ListingFactory(shop=alpha, status=DRAFT)
    ListingFactory(shop=bravo, status=PENDING)
    listings_in_stock(alpha, 30)
    listings_in_stock(bravo, 20, first=600_000)
    Listing.objects.bulk_create(
        Listing(shop=shop, book=BookFactory(), price=Decimal("9.90"), status=status)
        for shop, status in [(charlie, HIDDEN), (charlie, REJECTED), (bravo, DRAFT), (alpha, PENDING)]
    )
    assert assert_counts_are_true()[(alpha.pk, PUBLISHED)] == 31

    # a status changed by save(), then by a bulk update across shops
    first.status = HIDDEN
    first.save()
    Listing.objects.filter(shop__in=[alpha, bravo], status=PUBLISHED, book__ean__endswith="3").update(
        status=PENDING
    )
    assert_counts_are_true()

    # stock, prices and reservations: no count moves, no count row is written
    before = kept_counts()
    Listing.objects.filter(shop=alpha).update(quantity=7, price=Decimal("12.00"))
    Listing.objects.filter(pk=first.pk).update(reserved=1)
    assert kept_counts() == before == live_counts()

    # statuses swapped within one statement (the rows move both ways, the totals do not)
    Listing.objects.filter(shop=bravo, status__in=[PUBLISHED, PENDING]).update(
        status=Case(
            When(status=PUBLISHED, then=Value(PENDING)),
            When(status=PENDING, then=Value(PUBLISHED)),
            default=F("status"),
        )
    )
    assert_counts_are_true()

    # listings moved to another shop, some changing status on the way
    Listing.objects.filter(shop=alpha, status=PENDING).update(shop=charlie)
    Listing.objects.filter(shop=bravo, status=DRAFT).update(shop=charlie, status=PUBLISHED)
    assert_counts_are_true()

    # deleted: one, then many; a status emptied leaves no row
    Listing.objects.filter(shop=charlie, status=HIDDEN).get().delete()
    assert (charlie.pk, HIDDEN) not in kept_counts()
    Listing.objects.filter(shop=bravo).delete()
    assert not any(shop == bravo.pk for shop, _status in kept_counts())
    assert_counts_are_true()

    # a shop deleted: its listings cascade first, its counts go with them
    Shop.objects.get(pk=charlie.pk).delete()
    assert not any(shop == charlie.pk for shop, _status in kept_counts())
    assert assert_counts_are_true()


@pytest.mark.django_db
def test_the_counts_follow_a_stock_import_and_raw_sql():
    shop = ShopFactory(status=Shop.Status.APPROVED)
    BookFactory(ean="9782070368228", list_price=Decimal("7.50"))

    def apply(text, *, full_sync=False):
        with translation.override("en"):
            stock_import_apply(
                shop=shop,
                rows=read_csv(io.BytesIO(text.encode())),
                full_sync=full_sync,
                source=Book.Source.STOCK_FILE,
            )

    # COPY into a staging table, then INSERT … SELECT and UPDATE … FROM: published and
    # pending (a book without a publisher's price) listings
    apply("EAN;Titre;Quantité;Prix TTC\n9782070368228;L'Étranger;3;7,50\n9782070408504;La Peste;2;8,90\n")
    assert assert_counts_are_true() == {(shop.pk, PUBLISHED): 1, (shop.pk, PENDING): 1}
    apply("EAN;Quantité;Prix TTC\n9782070368228;0;7,50\n", full_sync=True)
    assert_counts_are_true()

    # an upsert (INSERT … ON CONFLICT DO UPDATE) fires the INSERT or the UPDATE triggers; a raw DELETE
    book = BookFactory()
    with connection.cursor() as cursor:
        for status in (DRAFT, HIDDEN):
            cursor.execute(
                """INSERT INTO catalog_listing (shop_id, book_id, condition, price, quantity, status,
                                                moderation_flags, created_at, updated_at)
                   VALUES (%s, %s, 'new', 5, 1, %s, '{}', now(), now())
                   ON CONFLICT (shop_id, book_id, condition) DO UPDATE SET status = excluded.status""",
                [shop.pk, book.pk, status],
            )
            assert_counts_are_true()
        cursor.execute("DELETE FROM catalog_listing WHERE shop_id = %s AND status = 'hidden'", [shop.pk])
    assert_counts_are_true()


@pytest.mark.django_db
def test_a_rolled_back_savepoint_takes_its_counts_back():
    shop = ShopFactory()
    ListingFactory(shop=shop, status=PUBLISHED)
    before = assert_counts_are_true()

    def writes_then_fails():
        with transaction.atomic():
            ListingFactory(shop=shop, status=DRAFT)
            Listing.objects.filter(shop=shop).update(status=HIDDEN)
            Listing.objects.filter(shop=shop).update(price=0)  # refused by the check constraint

    with pytest.raises(IntegrityError):
        writes_then_fails()

    assert assert_counts_are_true() == before


@pytest.mark.django_db
def test_the_dashboard_s_listing_figures_equal_a_count_of_the_listings():
    shops = [ShopFactory() for _ in range(3)]
    for number, shop in enumerate(shops):
        listings_in_stock(shop, 5 + number, first=700_000 + 100 * number)
        ListingFactory(shop=shop, status=[DRAFT, PENDING, HIDDEN][number])
    Listing.objects.filter(shop=shops[0], book__ean__endswith="1").update(status=REJECTED)
    period = Period.recent()

    for scope in (Shop.objects.all(), Shop.objects.filter(pk=shops[1].pk), Shop.objects.none()):
        counted = dict(
            Listing.objects.filter(shop__in=scope).values_list("status").annotate(n=Count("pk")).order_by()
        )
        figures = {row.status: row.count for row in listings_by_status(shops=scope)}
        assert figures == {status: counted.get(status, 0) for status in Listing.Status.values}
        assert all(type(count) is int for count in figures.values())
        assert dashboard_for_shops(shops=scope, period=period).listings_by_status == listings_by_status(
            shops=scope
        )
    published = {
        row.shop_id: row.published_listings for row in shop_figures(shops=Shop.objects.all(), period=period)
    }
    assert published == {
        shop.pk: Listing.objects.filter(shop=shop, status=PUBLISHED).count() for shop in Shop.objects.all()
    }


# --- Two transactions at once ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_transactions_adding_to_the_same_shop_s_counts_both_count():
    shop = ShopFactory()
    books = [BookFactory() for _ in range(8)]

    def add(book_list):
        with transaction.atomic():
            Listing.objects.bulk_create(
                Listing(shop_id=shop.pk, book=book, price=Decimal("5.00"), status=PUBLISHED)
                for book in book_list
            )
            Listing.objects.filter(shop_id=shop.pk, book__in=book_list[:1]).update(status=DRAFT)

    results = at_once(lambda: add(books[:4]), lambda: add(books[4:]))

    assert results == [None, None]
    assert assert_counts_are_true() == {(shop.pk, PUBLISHED): 6, (shop.pk, DRAFT): 2}


@pytest.mark.django_db(transaction=True)
def test_a_count_deleted_at_zero_while_another_transaction_adds_to_it_is_inserted_anew():
    # given the shop's only draft, deleted by a transaction still open (its count row at
    # zero, deleted, locked)
    shop = ShopFactory()
    draft = ListingFactory(shop=shop, status=DRAFT)
    book = BookFactory()

    with held_in_another_transaction(lambda: Listing.objects.filter(pk=draft.pk).delete()) as commit:
        # when another transaction adds a draft to the same shop: it waits for the row…
        [added] = at_once_after(commit, lambda: ListingFactory(shop=shop, book=book, status=DRAFT).pk)

    # then its count is a new row of 1, not lost with the deleted one
    assert Listing.objects.filter(pk=added).exists()
    assert assert_counts_are_true() == {(shop.pk, DRAFT): 1}


def at_once_after(release, call):
    """Run `call` in its own connection; release the other transaction once `call` waits
    on its lock (half a second), then return what `call` returned."""
    timer = threading.Timer(0.5, release)
    timer.start()
    try:
        started = time.monotonic()
        [result] = at_once(call)
        assert time.monotonic() - started >= 0.4, "it did not wait for the other transaction"
        return [result]
    finally:
        timer.cancel()


def with_lock_timeout(call):
    """`call` in a transaction that gives up on a lock after a second (LockNotAvailable)."""

    def run():
        with transaction.atomic():
            connection.cursor().execute("SET LOCAL lock_timeout = '1s'")
            return call()

    return run


@pytest.mark.django_db(transaction=True)
def test_stock_prices_and_reservations_never_wait_for_a_transaction_holding_the_shop_s_counts():
    # given a transaction still open that added a listing to the shop (an import, say):
    # it holds the shop's published count until it commits
    shop = ShopFactory()
    listing = ListingFactory(shop=shop, status=PUBLISHED, quantity=3)

    with held_in_another_transaction(lambda: ListingFactory(shop=shop, status=PUBLISHED)):
        # when a checkout reserves a copy of another of its listings, or its stock changes
        [updated] = at_once(
            with_lock_timeout(
                lambda: Listing.objects.filter(pk=listing.pk).update(
                    quantity=5, reserved=1, price=Decimal("6.00")
                )
            )
        )
        # then it does not wait: no count moves, no count row is written
        assert updated == 1
        # whereas a status change of the same shop waits for the count (it does not miscount)
        [moved] = at_once(
            with_lock_timeout(lambda: Listing.objects.filter(pk=listing.pk).update(status=HIDDEN))
        )
        assert type(moved).__name__ == "OperationalError"
        assert "lock timeout" in str(moved)

    assert assert_counts_are_true() == {(shop.pk, PUBLISHED): 2}
