"""The shared catalogue's reference data, and who may write it.

Every shop lists the same Book rows, so a wrong title or price written by one shop is
wrong for all. Sources are ranked, best first:

1. publishers' and distributors' feeds (ONIX) loaded by head office (Book.Source.ONIX);
2. head office's corrections: the book's admin page, a CSV of prices (Book.Source.STAFF);
3. shops: stock files, the stock API, the listing form (STOCK_FILE, BOOKSELLER).

A source rewrites a book's metadata only when it ranks at least as high as the source
that wrote it last; below that, it only fills blanks (catalog/imports/apply.py). The
publisher's price is never a shop's to set: what a shop says it is becomes that shop's
BookClaim, which binds its own listings only, and only while the book has no reference
price (catalog/imports/plan.py); head office sees the claims that disagree in the
conflicts queue (catalog/admin/reference.py). Reference prices are dated (BookPrice):
Book.list_price is the one in force today, moved forward by a daily job.
"""

import itertools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.ean import normalize_book_ean
from catalog.imports.pgcopy import copy_rows
from catalog.imports.records import (
    BOOK_FIELDS,
    BOOK_TEXT_FIELDS,
    FileFacts,
    FileFormatError,
    PriceRecord,
    StockRow,
    book_field_is_blank_sql,
    book_metadata,
)
from catalog.models import Book, BookClaim, BookPrice, CatalogueFeed, StockImport
from marketplace.jobs import act_on_each_in_batches, publish_without_retry

logger = logging.getLogger(__name__)

SOURCE_RANK = {
    Book.Source.ONIX: 3,
    Book.Source.STAFF: 2,
    Book.Source.STOCK_FILE: 1,
    Book.Source.BOOKSELLER: 1,
}
# Where a feed and head office give a price for the same day, the feed wins.
PRICE_SOURCE_RANK = {BookPrice.Source.FEED: 2, BookPrice.Source.STAFF: 1}
BOOK_SOURCE_OF_PRICE_SOURCE = {
    BookPrice.Source.FEED: Book.Source.ONIX,
    BookPrice.Source.STAFF: Book.Source.STAFF,
}
# A daily job that missed a few days still moves the prices that came into force meanwhile.
PRICE_CATCH_UP_DAYS = 31
BATCH = 1_000


def outranks_or_equals(source: str, than: str) -> bool:
    return SOURCE_RANK.get(source, 1) >= SOURCE_RANK.get(than, 1)


# --- Shops' claims ------------------------------------------------------------------------


def list_price_for(*, shop_id: int, book: Book) -> Decimal | None:
    """The publisher's price a shop's listing of `book` is checked against: the reference,
    else what this shop itself claimed (never another shop's claim). None for a product
    without the book rules: its list price is the brand's recommendation, never binding."""
    if not book.follows_book_rules:
        return None
    if book.list_price is not None:
        return book.list_price
    value = (
        BookClaim.objects.filter(book=book, shop_id=shop_id, field=BookClaim.Field.LIST_PRICE)
        .values_list("value", flat=True)
        .first()
    )
    return Decimal(value) if value is not None else None


def claim_list_price(*, shop_id: int, book: Book, amount: Decimal | None) -> None:
    """Record what a shop says the publisher's price is, when it is worth head office's
    attention: the book has no reference price, or the shop's differs from it. A claim
    that changes goes back to the queue."""
    if amount is None or amount == book.list_price:
        return
    value = f"{amount:.2f}"
    claim, created = BookClaim.objects.get_or_create(
        book=book, shop_id=shop_id, field=BookClaim.Field.LIST_PRICE, defaults={"value": value}
    )
    if not created and claim.value != value:
        claim.value, claim.reviewed_at = value, None
        claim.save(update_fields=["value", "reviewed_at", "updated_at"])


# --- Text that went through the wrong encoding -------------------------------------------


def is_misdecoded(text: str) -> bool:
    """True for text that was UTF-8 read as Windows-1252 or Latin-1 ("Ã©tÃ©" for "été"),
    or that holds the replacement character of bytes that could not be read at all.

    Such text reads back as valid UTF-8 once encoded in the wrong single-byte encoding,
    which French text written correctly almost never does ("é" alone is not valid UTF-8)."""
    if text.isascii():
        return False
    if "\ufffd" in text:
        return True
    if not _MOJIBAKE_PAIR.search(text):  # most accented text, at C speed
        return False
    single_bytes = _as_read_in_windows_1252(text)
    if single_bytes is None:
        return False
    try:
        single_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _as_read_in_windows_1252(text: str) -> bytes | None:
    """The bytes `text` was read from if it was read as Windows-1252 (whose five unused
    bytes Python reads as Latin-1 controls, as many programs do), else None."""
    try:
        return bytes(_WINDOWS_1252_BYTE[char] for char in text)
    except KeyError:
        return None


# A UTF-8 lead byte (0xC2-0xF4) followed by a continuation byte (0x80-0xBF), both read
# as Windows-1252 (or as Latin-1 controls): what every mis-decoded accent looks like.
_CONTINUATION = "".join(
    bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in range(0x80, 0xC0)
)
_MOJIBAKE_PAIR = re.compile(f"[\u00c2-\u00f4][{re.escape(_CONTINUATION)}]")
_WINDOWS_1252_BYTE = {
    bytes([byte]).decode("cp1252", errors="ignore") or chr(byte): byte for byte in range(256)
}


def misdecoded_field(row: StockRow) -> str:
    """The first text of `row` that is clearly mis-decoded, or ""."""
    texts = (row.title, row.subtitle, row.publisher, row.imprint, *(c.name for c in row.contributors))
    return next((text for text in texts if text and is_misdecoded(text)), "")


def misdecoded_message(text: str) -> str:
    return _(
        "“%(text)s” is garbled: the file was written in one character encoding and read in another. "
        "Export it again as UTF-8 (or check its accents), then import it again."
    ) % {"text": text[:80]}


# --- Prices in force ---------------------------------------------------------------------


def book_prices_refresh(*, book_ids: Iterable[int] | None = None, today: date | None = None) -> list[int]:
    """Set each book's list_price to its reference price in force `today` (the latest
    BookPrice from that day or before). Without `book_ids`, the books with a price that
    came into force lately (the daily job). Returns the books whose price changed, and
    has their shops' new-book listings follow the change (catalog/price_changes.py).
    Idempotent; two runs at once update each book once (the UPDATE compares)."""
    from catalog.price_changes import listings_follow_price_change

    today = today or timezone.localdate()
    if book_ids is None:
        # Prices that started, or ended (yesterday was their last day), lately.
        scope = """book_id IN (SELECT book_id FROM catalog_bookprice
                                WHERE effective_from BETWEEN %s AND %s OR effective_until BETWEEN %s AND %s)"""
        since = today - timedelta(days=PRICE_CATCH_UP_DAYS)
        params = [since, today, since, today - timedelta(days=1)]
    else:
        scope, params = "book_id = ANY(%s)", [list(book_ids)]
    with transaction.atomic(), connection.cursor() as cursor:
        # The latest price started and not ended. A book whose every price has ended
        # keeps the last one: a feed that forgets the price that follows a launch price
        # must not leave the book without one.
        cursor.execute(
            f"""WITH in_force AS (
                    SELECT DISTINCT ON (book_id) book_id, amount FROM catalog_bookprice
                     WHERE effective_from <= %s AND (effective_until IS NULL OR effective_until >= %s) AND {scope}
                     ORDER BY book_id, effective_from DESC)
                UPDATE catalog_book AS book SET list_price = in_force.amount, updated_at = now()
                  FROM in_force
                 WHERE book.id = in_force.book_id AND book.list_price IS DISTINCT FROM in_force.amount
             RETURNING book.id""",
            [today, today, *params],
        )
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            listings_follow_price_change(book_ids=changed)
    return changed


def reference_price_set(*, books: Iterable[Book], amount: Decimal | None = None) -> int:
    """Head office makes a price the reference, from today: `amount`, or, for each book
    without a reference price, the one price its shops agree on (books whose shops
    disagree, or that have a reference, are left). A feed's price of the same day stands.
    Marks the books' claims reviewed. Returns how many books got a price."""
    today = timezone.localdate()
    done = []
    with transaction.atomic():
        for book in books:
            price = amount if amount is not None else agreed_claimed_price(book)
            if price is None:
                continue
            todays = BookPrice.objects.filter(book=book, effective_from=today).first()
            if todays is not None and todays.source == BookPrice.Source.FEED:
                continue
            BookPrice.objects.update_or_create(
                book=book,
                effective_from=today,
                defaults={
                    "amount": price,
                    "effective_until": None,
                    "source": BookPrice.Source.STAFF,
                    "feed": None,
                },
            )
            done.append(book.pk)
        BookClaim.objects.filter(book_id__in=done, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now()
        )
        book_prices_refresh(book_ids=done, today=today)
    return len(done)


def agreed_claimed_price(book: Book) -> Decimal | None:
    """The price every shop that claims one claims, for a book with no reference price."""
    if book.list_price is not None:
        return None
    values = set(
        BookClaim.objects.filter(book=book, field=BookClaim.Field.LIST_PRICE).values_list("value", flat=True)
    )
    return Decimal(values.pop()) if len(values) == 1 else None


def claims_dismiss(*, books: Iterable[Book]) -> int:
    """Head office keeps the reference as it is: the books' claims leave the queue (until a
    shop claims something else)."""
    return BookClaim.objects.filter(book__in=list(books), reviewed_at__isnull=True).update(
        reviewed_at=timezone.now()
    )


# --- The conflicts queue ----------------------------------------------------------------------


def books_in_conflict():
    """Books with shops' price claims head office has not reviewed that disagree with the
    reference price, or, where there is none, with each other; and books without a
    reference price that a shop claims one for (head office can confirm it in bulk)."""
    open_claims = BookClaim.objects.filter(book=OuterRef("pk"), reviewed_at__isnull=True)
    return (
        Book.objects.annotate(
            claimed_prices=Count(
                "claims__value", filter=Q(claims__field=BookClaim.Field.LIST_PRICE), distinct=True
            ),
            claiming_shops=Count("claims", filter=Q(claims__field=BookClaim.Field.LIST_PRICE)),
        )
        .filter(Exists(open_claims))
        .order_by("-claimed_prices", "title")
    )


# --- Loading a feed ----------------------------------------------------------------------


@dataclass
class FeedOutcome:
    products: int = 0
    books: int = 0  # distinct EANs loaded
    created: int = 0
    updated: int = 0
    kept: int = 0  # books a better source wrote: blanks filled only
    prices: int = 0  # dated prices recorded
    prices_changed: int = 0  # books whose price in force changed
    refused: list[tuple[int, str, str]] = field(default_factory=list)  # (line, ean, why)

    @property
    def counts(self) -> dict:
        return {
            "products": self.products,
            "books": self.books,
            "created": self.created,
            "updated": self.updated,
            "kept": self.kept,
            "prices": self.prices,
            "prices_changed": self.prices_changed,
            "refused": len(self.refused),
            # The first refusals, for the feed's page.
            "refusals": [{"line": line, "ean": ean, "message": why} for line, ean, why in self.refused[:200]],
        }


def catalogue_rows_load(
    *, rows: Iterable[StockRow], source: str, sent_on: date | None, feed: CatalogueFeed | None = None,
    today: date | None = None,
) -> FeedOutcome:  # fmt: skip
    """Write reference data from a feed's rows, in one transaction.

    `source` is a BookPrice.Source: FEED for publishers' and distributors' ONIX, STAFF for
    head office's files. A product listed twice is merged: the later record's non-empty
    fields and its prices win. Undated prices take effect on `sent_on` (the feed's date),
    else today. Raises FileFormatError for a feed dated in the future."""
    today = today or timezone.localdate()
    if sent_on is not None and sent_on > today + timedelta(days=FEED_DATE_TOLERANCE_DAYS):
        raise FileFormatError(
            _("This feed says it was sent on %(date)s, a date still to come: its prices cannot be dated. Ask its "
              "sender for a corrected file.") % {"date": sent_on.isoformat()}
        )  # fmt: skip
    outcome = FeedOutcome()
    merged: dict[str, StockRow] = {}
    for row in rows:
        outcome.products += 1
        ean, problem = _judge_feed_row(row)
        if problem:
            outcome.refused.append((row.line, row.ean, problem))
        elif ean in merged:
            merged[ean] = _merge(merged[ean], row)
        else:
            merged[ean] = row
    outcome.books = len(merged)
    with transaction.atomic(), connection.cursor() as wrapper:
        ids = _write_books(wrapper.cursor, merged, BOOK_SOURCE_OF_PRICE_SOURCE[source], outcome)
        outcome.prices = _write_prices(wrapper.cursor, merged, ids, source, sent_on or today, feed)
        outcome.prices_changed = len(book_prices_refresh(book_ids=list(ids.values()), today=today))
        _index_on_commit()
    return outcome


# A feed's clock may be a little ahead of ours; further, its date is wrong.
FEED_DATE_TOLERANCE_DAYS = 2


def _judge_feed_row(row: StockRow) -> tuple[str, str]:
    """(normalized EAN, "") for a product the catalogue can take, else ("", why not)."""
    from catalog.imports.plan import check_list_price

    if row.error:
        return "", row.error
    try:
        ean = normalize_book_ean(row.ean)
        check_list_price(row.list_price)
        for price in row.prices:
            check_list_price(price.amount)
    except ValidationError as error:
        return "", " ".join(error.messages)
    if garbled := misdecoded_field(row):
        return "", misdecoded_message(garbled)
    return ean, ""


def _merge(first: StockRow, second: StockRow) -> StockRow:
    """A product the feed lists twice: the later record updates the earlier one."""
    for name in (*BOOK_FIELDS, "list_price"):
        value = getattr(second, name)
        if not _is_blank(value):
            setattr(first, name, value)
    if second.prices:
        first.prices = second.prices
    return first


def _is_blank(value) -> bool:
    return value in ("", None, [])


def _write_books(cursor, rows: dict[str, StockRow], book_source: str, outcome: FeedOutcome) -> dict[str, int]:
    """Create the books the catalogue lacks; on the others, write every field the feed
    gives where its source ranks at least as high as the book's, else fill blanks only.
    Set-based (COPY, then two statements): a distributor's feed holds 100,000s of books.
    Returns {EAN: book id}."""
    columns = ("ean", *BOOK_FIELDS)
    cursor.execute("DROP TABLE IF EXISTS feed_book")
    cursor.execute(
        f"CREATE TEMPORARY TABLE feed_book ON COMMIT DROP AS SELECT {', '.join(columns)} FROM catalog_book WITH NO DATA"
    )
    copy_rows(
        cursor,
        "feed_book",
        columns,
        ((ean, *book_metadata(rows[ean])) for ean in sorted(rows)),
        not_null=BOOK_TEXT_FIELDS,
    )
    rank = SOURCE_RANK[book_source]
    book_rank = " ".join(f"WHEN '{name}' THEN {value}" for name, value in SOURCE_RANK.items())
    overwrite = f"(CASE book.source {book_rank} ELSE 1 END) <= {rank}"
    cursor.execute(
        f"SELECT count(*) FILTER (WHERE {overwrite}), count(*) FROM catalog_book AS book JOIN feed_book USING (ean)"
    )
    overwritten, existing = cursor.fetchone()
    outcome.updated, outcome.kept = overwritten, existing - overwritten
    values = [
        f"CASE WHEN {book_field_is_blank_sql(name, 'new')} THEN book.{name} "
        f"WHEN {overwrite} OR {book_field_is_blank_sql(name, 'book')} THEN new.{name} ELSE book.{name} END"
        for name in BOOK_FIELDS
    ]
    source = f"CASE WHEN {overwrite} THEN %s ELSE book.source END"
    current = ", ".join(f"book.{name}" for name in BOOK_FIELDS)
    cursor.execute(
        # search_vector NULL: the new words are indexed after commit.
        f"""UPDATE catalog_book AS book
               SET ({", ".join(BOOK_FIELDS)}, source) = ({", ".join(values)}, {source}),
                   search_vector = NULL, updated_at = now()
              FROM feed_book AS new
             WHERE book.ean = new.ean
               AND ROW({current}, book.source) IS DISTINCT FROM ROW({", ".join(values)}, {source})""",
        [book_source, book_source],
    )
    cursor.execute(
        f"""INSERT INTO catalog_book ({", ".join(columns)}, cover, cover_thumbnail, source, created_at, updated_at)
            SELECT {", ".join(columns)}, '', '', %s, now(), now() FROM feed_book ORDER BY ean
            ON CONFLICT (ean) DO NOTHING""",
        [book_source],
    )
    outcome.created = cursor.rowcount
    cursor.execute("SELECT book.ean, book.id FROM catalog_book AS book JOIN feed_book USING (ean)")
    return dict(cursor.fetchall())


def _write_prices(
    cursor, rows: dict[str, StockRow], ids: dict[str, int], source: str, undated_from: date, feed
) -> int:
    """Upsert the rows' dated prices; on the same book and day, a price replaces another
    only from a source that ranks as high."""
    unique: dict[tuple[int, date], tuple[Decimal, date | None]] = {}
    for ean, row in rows.items():
        for price, since, until in _dated_prices(row, undated_from):
            unique[(ids[ean], since)] = (price, until)
    if not unique:
        return 0
    book_ids, days, amounts, untils = zip(
        *((book_id, day, amount, until) for (book_id, day), (amount, until) in unique.items()), strict=True
    )
    # One statement (not executemany: the audit context pghistory adds to each statement
    # of a request cannot go with it).
    cursor.execute(
        """INSERT INTO catalog_bookprice (book_id, amount, effective_from, effective_until, source, feed_id, created_at)
           SELECT book_id, amount, effective_from, effective_until, %s, %s, now()
             FROM unnest(%s::bigint[], %s::numeric[], %s::date[], %s::date[])
                  AS price(book_id, amount, effective_from, effective_until)
           ON CONFLICT (book_id, effective_from) DO UPDATE
              SET amount = EXCLUDED.amount, effective_until = EXCLUDED.effective_until, source = EXCLUDED.source,
                  feed_id = EXCLUDED.feed_id
            WHERE catalog_bookprice.source = 'staff' OR EXCLUDED.source = 'feed'""",
        [source, feed.pk if feed else None, list(book_ids), list(amounts), list(days), list(untils)],
    )
    return len(unique)


def _dated_prices(row: StockRow, undated_from: date) -> list[tuple[Decimal, date, date | None]]:
    """(amount, from, until) of a row's prices. Undated ones start on `undated_from`; when
    two start the same day, the one with an end (a launch price) keeps the day and the
    other starts the day after that end. Prices over before `undated_from` are history."""
    prices = row.prices or ([PriceRecord(row.list_price)] if row.list_price else [])
    dated = []
    for price in prices:
        if price.effective_until is not None and price.effective_until < undated_from:
            continue
        dated.append([price.amount, price.effective_from or undated_from, price.effective_until])
    dated.sort(key=lambda price: (price[1], price[2] is None))
    for earlier, later in itertools.pairwise(dated):
        if later[1] == earlier[1] and earlier[2] is not None:
            later[1] = earlier[2] + timedelta(days=1)
    return [tuple(price) for price in dated]


def _index_on_commit() -> None:
    from catalog.tasks import refresh_search_index

    def enqueue():
        publish_without_retry(refresh_search_index)

    transaction.on_commit(enqueue, robust=True)


# --- Feeds as files ----------------------------------------------------------------------------


def catalogue_feed_load(*, feed_id: int) -> None:
    """Read a stored feed and load it; the feed ends "loaded" with its counts, or "failed"
    with a message head office can act on. A second delivery of the task does nothing."""
    from catalog.imports.services import read_rows

    with transaction.atomic():
        feed = (
            CatalogueFeed.objects.select_for_update(skip_locked=True)
            .filter(pk=feed_id, status=CatalogueFeed.Status.LOADING)
            .first()
        )
        if feed is None:
            return
        facts = FileFacts()
        try:
            with feed.file.open("rb") as file, transaction.atomic():
                rows = list(read_rows(file, feed.format, facts=facts))
                outcome = catalogue_rows_load(
                    rows=[_as_reference(row, feed.format) for row in rows],
                    source=feed.source,
                    sent_on=feed.effective_from or facts.sent_on,
                    feed=feed,
                )
        except FileFormatError as error:
            _feed_failed(feed, str(error))
            return
        except Exception:
            logger.exception("Catalogue feed %s failed", feed_id)
            _feed_failed(
                feed,
                _("An unexpected error stopped this feed at product %(line)s; the catalogue was not changed.")
                % {"line": facts.last_line},
            )
            return
        feed.status, feed.counts, feed.loaded_at = CatalogueFeed.Status.LOADED, outcome.counts, timezone.now()
        feed.sent_on = facts.sent_on
        feed.save(update_fields=["status", "counts", "loaded_at", "sent_on"])


def _as_reference(row: StockRow, file_format: str) -> StockRow:
    """A head-office CSV gives the publisher's price in a "Prix public" column, or simply
    "Prix": either is the reference there."""
    if file_format == StockImport.Format.CSV and row.list_price is None and row.price:
        from catalog.imports.csv_reader import parse_price

        row.list_price = parse_price(row.price)
    return row


def _feed_failed(feed: CatalogueFeed, message: str) -> None:
    feed.status, feed.error = CatalogueFeed.Status.FAILED, message
    feed.save(update_fields=["status", "error"])


def catalogue_feed_store(
    *, upload, source: str = BookPrice.Source.FEED, effective_from: date | None = None, by=None, load=True
) -> CatalogueFeed:
    """Keep an uploaded feed file and, with `load`, have it loaded in the background once
    stored (at once, in process, without a broker)."""
    from catalog.imports.services import detect_format

    head = upload.read(512)
    upload.seek(0)
    with transaction.atomic():
        feed = CatalogueFeed(
            original_name=PurePath(upload.name).name[:255],
            format=detect_format(upload.name, head),
            source=source,
            effective_from=effective_from,
            created_by=by,
        )
        feed.file.save(upload.name, upload, save=False)
        feed.save()
        if load:
            _load_on_commit(feed.pk)
    return feed


# A feed waiting this long per attempt has lost its task (broker down at upload, worker
# killed): the watchdog hands it to the queue again, MAX_FEED_ATTEMPTS times in all.
FEED_ATTEMPT_TIMEOUT = timedelta(minutes=15)
MAX_FEED_ATTEMPTS = 3


def catalogue_feeds_watch(*, now=None) -> int:
    """Feeds stuck "loading": queued again, or failed with a message head office can act
    on once they have waited too often. A feed being loaded is locked by its task, so SKIP
    LOCKED passes over it; safe to run twice at once."""
    now = now or timezone.now()
    seen: set[int] = set()  # one step per feed and run: the next run sees whether it moved

    def due():
        return (
            CatalogueFeed.objects.filter(status=CatalogueFeed.Status.LOADING)
            .filter(created_at__lt=now - FEED_ATTEMPT_TIMEOUT * F("attempts"))
            .exclude(pk__in=seen)
        )

    def act(feed: CatalogueFeed) -> None:
        seen.add(feed.pk)
        if feed.attempts >= MAX_FEED_ATTEMPTS:
            _feed_failed(
                feed,
                _("This feed could not be loaded: its loading was interrupted %(count)s times. Load the file "
                  "again; if it fails again, tell the technical team.") % {"count": feed.attempts},
            )  # fmt: skip
            return
        CatalogueFeed.objects.filter(pk=feed.pk).update(attempts=F("attempts") + 1)
        _load_on_commit(feed.pk)

    return act_on_each_in_batches(
        due, act, order_by=("created_at", "pk"), batch_size=20, doing="requeue the feed"
    )


def _load_on_commit(feed_id: int) -> None:
    from catalog.tasks import load_catalogue_feed

    def enqueue():
        publish_without_retry(load_catalogue_feed, feed_id)  # else the feeds' watchdog

    transaction.on_commit(enqueue, robust=True)
