"""Doing what the plan says, in one transaction, fast enough for a whole shop's stock.

Rows go to PostgreSQL with COPY (into the tables, or into temporary tables first when
the statement needs ON CONFLICT or a join): at 100,000 lines, building model instances
for bulk_create, or even multi-row INSERT statements, costs several times more than
the database work itself. The column lists below follow the models; every test that
imports goes through them.
"""

from collections.abc import Iterable

import psycopg2.errors
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog import moderation
from catalog.imports.pgcopy import copy_rows
from catalog.imports.plan import (
    FILLABLE_FIELDS,
    NULLABLE_FIELDS,
    Action,
    PlannedLine,
    Progress,
    StockPlan,
    cyclic_gc_paused,
    plan_stock,
)
from catalog.imports.records import (
    BOOK_TEXT_FIELDS,
    StockRow,
    book_field_is_blank_sql,
    book_metadata,
    book_metadata_offered,
    to_json,
)
from catalog.models import BookClaim, Listing
from catalog.moderation_selectors import listings_resubmitted_after_rejection
from catalog.search_index import search_shops_pending
from marketplace.jobs import publish_without_retry
from shops.models import Shop


class ZeroingNeedsConfirmation(Exception):
    """A full sync would set more than half of the shop's listings in stock to 0: the
    caller must say it means it (a till that sends one item by mistake empties a shop)."""

    def __init__(self, *, zeroed: int, in_stock: int):
        super().__init__(f"{zeroed} of {in_stock} listings in stock would be set to 0")
        self.zeroed, self.in_stock = zeroed, in_stock


def zeroing_needs_confirmation(plan: StockPlan, in_stock: int) -> bool:
    return len(plan.zeroed) * 2 > in_stock > 0


def stock_import_apply(
    *,
    shop: Shop,
    rows: Iterable[StockRow],
    full_sync: bool,
    source: str,
    progress: Progress | None = None,
    zeroing_confirmed: bool = True,
) -> StockPlan:
    """Apply a stock file (or an API batch) to `shop`: refused lines are left out, the
    others are written together or not at all. Returns the plan that was applied.

    With `zeroing_confirmed` False, a full sync that would set more than half of the
    shop's listings in stock to 0 raises ZeroingNeedsConfirmation and writes nothing."""
    with transaction.atomic(), connection.cursor() as wrapper, cyclic_gc_paused():
        cursor = wrapper.cursor  # psycopg2's own, for COPY
        # One import at a time per shop: the second waits for the first to commit and
        # then plans against the stock the first one left.
        Shop.objects.select_for_update().filter(pk=shop.pk).values_list("pk").get()
        plan = plan_stock(shop=shop, rows=rows, full_sync=full_sync, progress=progress)
        if plan.zeroed and not zeroing_confirmed and zeroing_needs_confirmation(plan, plan.in_stock):
            raise ZeroingNeedsConfirmation(zeroed=len(plan.zeroed), in_stock=plan.in_stock)
        # Foreign keys checked at the end of each statement instead of all at commit: the
        # rows they look up (the books just written) are then still in memory. At 300,000
        # lines the checks took 5.0 s so, 6.4 s at commit (docs/performance.md, issue 22).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        now = timezone.now()
        shop_approved = shop.status == Shop.Status.APPROVED
        creates = [line for line in plan.lines if line.action == Action.CREATE]
        updates = [line for line in plan.lines if line.action == Action.UPDATE]
        filled = _fill_blank_fields(
            cursor, [line for line in creates + updates if line.book is not None], now
        )
        created_books = _create_listings(cursor, shop, creates, source=source, now=now)
        _update_listings(cursor, updates, shop_approved, now)
        # What the shop says the publisher's price is, for the lines it applied only.
        claims = [
            line
            for line in plan.lines
            if line.claimed_list_price is not None and line.action != Action.REFUSE
        ]
        _record_claims(cursor, shop, claims, now, created_books=created_books)
        # A shop whose file now says what the reference says has no claim left to review.
        agreeing = [
            line.book.id for line in plan.lines if line.agrees_with_reference and line.action != Action.REFUSE
        ]
        if agreeing:
            BookClaim.objects.filter(shop=shop, book_id__in=agreeing).delete()
        if plan.zeroed:
            # Copies held for customers' orders stay: the order decides what becomes of them.
            Listing.objects.filter(pk__in=[pk for pk, _title in plan.zeroed]).update(
                quantity=F("reserved"), updated_at=now
            )
        # Django's foreign keys are deferred: so again for the rest of an outer transaction
        # (on an error, rolling back the import's savepoint restores that too).
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        # search_shops_pending(): a big import has its books' shops synced after commit.
        if filled or any(line.book is None for line in creates) or search_shops_pending():
            _index_new_books_on_commit()
    return plan


def _index_new_books_on_commit() -> None:
    from catalog.tasks import refresh_search_index

    def enqueue():
        publish_without_retry(refresh_search_index)  # else the periodic refresh

    # New (or newly filled) books are searchable a moment after the import commits, and
    # the books it listed are found near the shop: indexing 100,000 books inside it would
    # double its time (see catalog/search_index.py).
    transaction.on_commit(enqueue, robust=True)


STAGED_LISTING_FIELDS = ("condition", "price", "quantity", "status", "moderation_flags")
LISTING_COLUMNS = ("shop_id", "book_id", *STAGED_LISTING_FIELDS, "created_at", "updated_at")


def _create_listings(cursor, shop: Shop, lines: list[PlannedLine], *, source: str, now) -> dict[str, int]:
    """New listings, and the books among them the catalogue does not know yet. Returns the
    books created, EAN -> id.

    The rows are checked already: they are COPY'd straight into the tables, books first
    (in EAN order, so that the unique index grows at its end instead of all over its
    pages), with ids drawn from the books' sequence for the listings to refer to. A book
    another import created since the plan read the catalogue makes that COPY fail: it is
    undone (a savepoint) and _create_listings_joined does it all again the slower way,
    which skips that book and lists it.
    """
    if not lines:
        return {}
    lines = sorted(lines, key=_by_ean)
    created = {}
    if any(line.book is None for line in lines):
        cursor.execute("SAVEPOINT import_new_books")
        try:
            created = _copy_new_books(cursor, shop, lines, source=source, now=now)
        except psycopg2.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT import_new_books")
            _create_listings_joined(cursor, shop, lines, source=source, now=now)
            return {}
        cursor.execute("RELEASE SAVEPOINT import_new_books")
    shop_id, stamp = shop.pk, _timestamp(now)
    copy_rows(
        cursor,
        "catalog_listing",
        LISTING_COLUMNS,
        [
            (shop_id, line.book.id if line.book is not None else created[line.ean], line.condition, line.price,
             line.quantity, line.status, _array(line.flags), stamp, stamp)
            for line in lines
        ],
    )  # fmt: skip
    return created


def _copy_new_books(cursor, shop: Shop, lines: list[PlannedLine], *, source: str, now) -> dict[str, int]:
    """COPY the books of `lines` the catalogue does not know (the first line of each EAN
    describes it); returns EAN -> id."""
    first_of: dict[str, PlannedLine] = {}
    published = set()
    for line in lines:
        if line.book is None:
            first_of.setdefault(line.ean, line)
            if line.status == Listing.Status.PUBLISHED:
                published.add(line.ean)
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence('catalog_book', 'id')) FROM generate_series(1, %s)",
        [len(first_of)],
    )
    ids = dict(zip(first_of, (book_id for (book_id,) in cursor.fetchall()), strict=True))
    # A new book comes with the shop among its shops (Book.shop_ids) if this shop
    # publishes it: the listing trigger then finds nothing to change.
    listed, unlisted, stamp = f"{{{shop.pk}}}", "{}", _timestamp(now)
    copy_rows(
        cursor,
        "catalog_book",
        ("id", "ean", *FILLABLE_FIELDS, *PRODUCT_FIELDS, "shop_ids", "cover", "cover_thumbnail", "source",
         "created_at", "updated_at"),
        [
            (ids[ean], ean, *book_metadata(line.row), *_product_fields(line, shop),
             listed if ean in published else unlisted, "", "", source, stamp, stamp)
            for ean, line in first_of.items()
        ],
        not_null=(*BOOK_TEXT_FIELDS, "kind", "own_reference", "cover", "cover_thumbnail", "source"),
    )  # fmt: skip
    return ids


def _create_listings_joined(cursor, shop: Shop, lines: list[PlannedLine], *, source: str, now) -> None:
    """New listings and books when a book of the file appeared in the catalogue meanwhile.

    Everything is staged with one COPY, then written by two set-based statements: the
    books, then the listings, joined to their books by EAN. A book another import
    created in the meantime is skipped by ON CONFLICT and found by the join.
    """
    staged = ("ean", "new_book", *FILLABLE_FIELDS, *PRODUCT_FIELDS, *STAGED_LISTING_FIELDS)
    cursor.execute("DROP TABLE IF EXISTS import_new")  # from an earlier import in this transaction
    cursor.execute(
        f"""CREATE TEMPORARY TABLE import_new ON COMMIT DROP AS
            SELECT book.ean, true AS new_book,
                   {", ".join(f"book.{name}" for name in (*FILLABLE_FIELDS, *PRODUCT_FIELDS))},
                   {", ".join(f"listing.{name}" for name in STAGED_LISTING_FIELDS)}
              FROM catalog_book AS book, catalog_listing AS listing WITH NO DATA"""
    )
    nothing = ("",) * (len(FILLABLE_FIELDS) + len(PRODUCT_FIELDS))  # a known book's metadata is not used
    rows = []
    for line in lines:
        metadata = (
            nothing if line.book is not None else (*book_metadata(line.row), *_product_fields(line, shop))
        )
        rows.append((line.ean, line.book is None, *metadata, line.condition, line.price, line.quantity,
                     line.status, _array(line.flags)))  # fmt: skip
    copy_rows(cursor, "import_new", staged, rows, not_null=(*BOOK_TEXT_FIELDS, "kind", "own_reference"))
    columns = ("ean", *FILLABLE_FIELDS, *PRODUCT_FIELDS)
    cursor.execute(
        f"""INSERT INTO catalog_book ({", ".join(columns)}, shop_ids, cover, cover_thumbnail, source, created_at,
                                      updated_at)
            SELECT {", ".join(columns)},
                   CASE WHEN bool_or(status = 'published') OVER (PARTITION BY ean) THEN ARRAY[%s]::integer[]
                        ELSE '{{}}'::integer[] END,
                   '', '', %s, %s, %s
              FROM import_new WHERE new_book ORDER BY ean
            ON CONFLICT (ean) DO NOTHING""",
        [shop.pk, source, now, now],
    )
    cursor.execute(
        f"""INSERT INTO catalog_listing ({", ".join(LISTING_COLUMNS)})
            SELECT %s, book.id, {", ".join(f"new.{name}" for name in STAGED_LISTING_FIELDS)}, %s, %s
              FROM import_new AS new JOIN catalog_book AS book ON book.ean = new.ean""",
        [shop.pk, now, now],
    )


# What a new product brings besides a book's fields: its kind and attributes, its owner and
# reference when it has no barcode, and (for a kind without the book rules) the brand's
# recommended price. A book's publisher's price goes to its dated prices or claims instead.
PRODUCT_FIELDS = ("kind", "attributes", "owner_shop_id", "own_reference", "list_price")


def _product_fields(line: PlannedLine, shop: Shop) -> tuple:
    book_rules = line.kind.book_rules
    return (
        line.kind.code,
        to_json(line.attributes) if line.attributes else "{}",
        shop.pk if line.reference else None,
        line.reference,
        None if book_rules else line.row.list_price,
    )


def _temporary_table(cursor, name: str, *, like: str, columns: tuple[str, ...]) -> None:
    """An empty table with some columns of `like` (types only), dropped at commit (or by
    the next import of the same transaction)."""
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT {', '.join(columns)} FROM {like} WITH NO DATA"
    )


def _by_ean(line: PlannedLine) -> str:
    return line.ean


def _fill_blank_fields(cursor, lines: list[PlannedLine], now) -> int:
    """Metadata a shop's file may add to a book of the shared catalogue, when the field
    is still empty; it never overwrites what is there (another shop's or the publisher's)."""
    updates = []
    for line in lines:
        if not line.book.blank_mask & book_metadata_offered(line.row):
            continue
        offered = book_metadata(line.row)
        if any(
            line.book.is_blank(index) and value not in ("", None, "[]") for index, value in enumerate(offered)
        ):
            updates.append((line.book.id, *offered))
    if not updates:
        return 0
    columns = ("id", *FILLABLE_FIELDS)
    _temporary_table(cursor, "import_fill", like="catalog_book", columns=columns)
    copy_rows(cursor, "import_fill", columns, updates, not_null=BOOK_TEXT_FIELDS)
    assignments = ", ".join(
        f"{name} = COALESCE(book.{name}, new.{name})"
        if name in NULLABLE_FIELDS
        else f"{name} = CASE WHEN {book_field_is_blank_sql(name, 'book')} THEN new.{name} ELSE book.{name} END"
        for name in FILLABLE_FIELDS
    )
    cursor.execute(
        # search_vector NULL: the filled words are indexed after commit.
        f"""UPDATE catalog_book AS book SET {assignments}, updated_at = %s, search_vector = NULL
              FROM import_fill AS new WHERE book.id = new.id""",
        [now],
    )
    return len(updates)


def _update_listings(cursor, lines: list[PlannedLine], shop_approved: bool, now) -> None:
    if not lines:
        return
    cursor.execute(
        # Locked: a moderator's decision made meanwhile is read, not overwritten.
        "SELECT id, status, moderation_flags FROM catalog_listing WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        [[line.listing_id for line in lines]],
    )
    current = {pk: (status, flags) for pk, status, flags in cursor.fetchall()}
    # A file that no longer trips a rule does not put a resubmitted listing back online.
    awaiting = listings_resubmitted_after_rejection(
        listing_ids=[pk for pk, (status, _) in current.items() if status == Listing.Status.PENDING]
    )
    rows = []
    for line in lines:
        status, old_flags = current[line.listing_id]
        new_status, flags = _status_and_flags(
            line,
            shop_approved,
            current=status,
            old_flags=old_flags,
            awaits_a_person=line.listing_id in awaiting,
        )
        rows.append((line.listing_id, line.price, line.quantity, new_status, _array(flags), line.review_over))
    columns = ("id", "price", "quantity", "status", "moderation_flags")
    _temporary_table(cursor, "import_stock", like="catalog_listing", columns=columns)
    cursor.execute("ALTER TABLE import_stock ADD COLUMN review_over boolean")
    copy_rows(cursor, "import_stock", (*columns, "review_over"), rows)
    cursor.execute(
        # A lawful price ends a review of the price (catalog/price_changes.py).
        """UPDATE catalog_listing AS listing
              SET price = new.price, quantity = GREATEST(new.quantity, listing.reserved), status = new.status,
                  moderation_flags = new.moderation_flags, updated_at = %s,
                  price_review_by = CASE WHEN new.review_over THEN NULL ELSE listing.price_review_by END
             FROM import_stock AS new
            WHERE listing.id = new.id""",
        [now],
    )


def _timestamp(moment) -> str:
    """A timestamp as COPY reads it, written once for all rows (csv would write it for
    each: a tenth of the time of the listings' COPY)."""
    return str(moment)


def _array(values: list[str]) -> str:
    """A PostgreSQL array literal of simple words (the flags)."""
    return "{" + ",".join(values) + "}"


def _status_and_flags(
    line: PlannedLine, shop_approved: bool, *, current=None, old_flags=(), awaits_a_person: bool = False
):
    """The flags the plan found, and the status from the listing as it is now (read again
    just before writing: a moderator may have decided meanwhile)."""
    status = moderation.status_after_change(
        current=current,
        shop_is_approved=shop_approved,
        old_flags=list(old_flags),
        new_flags=line.flags,
        awaits_a_person=awaits_a_person,
    )
    return status, line.flags


def _record_claims(
    cursor, shop: Shop, lines: list[PlannedLine], now, *, created_books: dict[str, int]
) -> None:
    """What the shop says the publisher's price is, where the catalogue has none or another
    (catalog/reference.py). A changed claim goes back to head office's queue; an unchanged
    one is not written again (a daily full sync repeats all of them). One claim per book:
    the first line that gives a price (a file may list a book new and used)."""
    first_of: dict[str, PlannedLine] = {}
    for line in lines:
        first_of.setdefault(line.ean, line)
    # A book this import just created has no claim yet, nor a reference price: nobody
    # else can see it before the import commits. Its claims go straight in.
    new = [(created_books[ean], line) for ean, line in first_of.items() if ean in created_books]
    if new:
        shop_id, stamp = shop.pk, _timestamp(now)
        copy_rows(
            cursor,
            "catalog_bookclaim",
            ("book_id", "shop_id", "field", "value", "updated_at"),
            [(book_id, shop_id, BookClaim.Field.LIST_PRICE, f"{line.claimed_list_price:.2f}", stamp)
             for book_id, line in new],
        )  # fmt: skip
    known = [line for ean, line in first_of.items() if ean not in created_books]
    if not known:
        return
    cursor.execute("DROP TABLE IF EXISTS import_claim")
    cursor.execute("CREATE TEMPORARY TABLE import_claim (ean varchar(13), value varchar(500)) ON COMMIT DROP")
    copy_rows(
        cursor,
        "import_claim",
        ("ean", "value"),
        [(line.ean, f"{line.claimed_list_price:.2f}") for line in known],
    )
    cursor.execute(
        """INSERT INTO catalog_bookclaim (book_id, shop_id, field, value, updated_at)
           SELECT book.id, %s, %s, claim.value, %s
             FROM import_claim AS claim JOIN catalog_book AS book ON book.ean = claim.ean
            WHERE book.list_price IS DISTINCT FROM claim.value::numeric
           ON CONFLICT (book_id, shop_id, field) DO UPDATE
              SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, reviewed_at = NULL
            WHERE catalog_bookclaim.value IS DISTINCT FROM EXCLUDED.value""",
        [shop.pk, BookClaim.Field.LIST_PRICE, now],
    )
