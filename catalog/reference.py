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
conflicts queue (catalog/admin.py). Reference prices are dated (BookPrice):
Book.list_price is the one in force today, moved forward by a daily job.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import PurePath

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.ean import normalize_book_ean
from catalog.imports.records import FileFacts, FileFormatError, PriceRecord, StockRow
from catalog.models import Book, BookClaim, BookPrice, CatalogueFeed, StockImport

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
# The metadata a reference source writes (the price goes through BookPrice).
METADATA_FIELDS = ("title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
                   "page_count", "format", "description", "clil_code")  # fmt: skip
# A daily job that missed a few days still moves the prices that came into force meanwhile.
PRICE_CATCH_UP_DAYS = 31
BATCH = 1_000


def outranks_or_equals(source: str, than: str) -> bool:
    return SOURCE_RANK.get(source, 1) >= SOURCE_RANK.get(than, 1)


# --- Shops' claims ------------------------------------------------------------------------


def list_price_for(*, shop_id: int, book: Book) -> Decimal | None:
    """The publisher's price a shop's listing of `book` is checked against: the reference,
    else what this shop itself claimed (never another shop's claim)."""
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
        scope = "book_id IN (SELECT book_id FROM catalog_bookprice WHERE effective_from BETWEEN %s AND %s)"
        params = [today - timedelta(days=PRICE_CATCH_UP_DAYS), today]
    else:
        scope, params = "book_id = ANY(%s)", [list(book_ids)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH in_force AS (
                    SELECT DISTINCT ON (book_id) book_id, amount FROM catalog_bookprice
                     WHERE effective_from <= %s AND {scope}
                     ORDER BY book_id, effective_from DESC)
                UPDATE catalog_book AS book SET list_price = in_force.amount, updated_at = now()
                  FROM in_force
                 WHERE book.id = in_force.book_id AND book.list_price IS DISTINCT FROM in_force.amount
             RETURNING book.id""",
            [today, *params],
        )
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            listings_follow_price_change(book_ids=changed)
    return changed


def reference_price_set(*, books: Iterable[Book], amount: Decimal | None = None, by=None) -> int:
    """Head office makes a price the reference, from today: `amount`, or for each book the
    one price its shops agree on (books whose shops disagree are left). Marks the books'
    claims reviewed. Returns how many books got a price."""
    today = timezone.localdate()
    done = []
    with transaction.atomic():
        for book in books:
            price = amount if amount is not None else agreed_claimed_price(book)
            if price is None:
                continue
            BookPrice.objects.update_or_create(
                book=book,
                effective_from=today,
                defaults={"amount": price, "source": BookPrice.Source.STAFF, "feed": None},
            )
            done.append(book.pk)
        BookClaim.objects.filter(book_id__in=done, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now()
        )
        book_prices_refresh(book_ids=done, today=today)
    return len(done)


def agreed_claimed_price(book: Book) -> Decimal | None:
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
            # The first refusals, for the feed's page; the full list is in the logs.
            "refusals": [{"line": line, "ean": ean, "message": why} for line, ean, why in self.refused[:200]],
        }


def catalogue_rows_load(
    *, rows: Iterable[StockRow], source: str, sent_on: date | None, feed: CatalogueFeed | None = None,
    today: date | None = None,
) -> FeedOutcome:  # fmt: skip
    """Write reference data from a feed's rows, in one transaction.

    `source` is a BookPrice.Source: FEED for publishers' and distributors' ONIX, STAFF for
    head office's files. A product listed twice is merged (the later record's non-empty
    fields win, prices are pooled). Undated prices take effect on `sent_on` (the feed's
    date), else today."""
    today = today or timezone.localdate()
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
    book_source = BOOK_SOURCE_OF_PRICE_SOURCE[source]
    with transaction.atomic():
        eans = sorted(merged)
        touched: list[int] = []
        for start in range(0, len(eans), BATCH):
            chunk = {ean: merged[ean] for ean in eans[start : start + BATCH]}
            books = _write_books(chunk, book_source, outcome)
            outcome.prices += _write_prices(chunk, books, source, sent_on or today, feed)
            touched += [book.pk for book in books.values()]
        outcome.prices_changed = len(book_prices_refresh(book_ids=touched, today=today))
        _index_on_commit()
    return outcome


def _judge_feed_row(row: StockRow) -> tuple[str, str]:
    """(normalized EAN, "") for a product the catalogue can take, else ("", why not)."""
    if row.error:
        return "", row.error
    try:
        ean = normalize_book_ean(row.ean)
    except Exception as error:  # ValidationError: its messages say why
        return "", " ".join(getattr(error, "messages", [str(error)]))
    if garbled := misdecoded_field(row):
        return "", misdecoded_message(garbled)
    return ean, ""


def _merge(first: StockRow, second: StockRow) -> StockRow:
    for name in ("title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
                 "page_count", "format", "description", "clil_code", "list_price"):  # fmt: skip
        value = getattr(second, name)
        if value not in ("", None, []):
            setattr(first, name, value)
    first.prices = sorted({*first.prices, *second.prices}, key=_price_order)
    return first


def _price_order(price: PriceRecord):
    return (price.effective_from or date.min, price.amount)


def _metadata(row: StockRow) -> dict:
    return {
        "title": row.title[:500],
        "subtitle": row.subtitle[:500],
        "contributors": [{"name": c.name[:300], "role": c.role} for c in row.contributors],
        "publisher": (row.publisher or row.imprint)[:200],
        "imprint": row.imprint[:200],
        "publication_date": row.publication_date,
        "language": row.language[:3],
        "page_count": row.page_count,
        "format": row.format if row.format in Book.Format.values else "",
        "description": row.description,
        "clil_code": row.clil_code if len(row.clil_code) == 4 and row.clil_code.isdigit() else "",
    }


def _is_blank(value) -> bool:
    return value in ("", None, [])


def _write_books(rows: dict[str, StockRow], book_source: str, outcome: FeedOutcome) -> dict[str, Book]:
    books = {book.ean: book for book in Book.objects.filter(ean__in=list(rows))}
    new, changed = [], []
    for ean, row in rows.items():
        offered = _metadata(row)
        book = books.get(ean)
        if book is None:
            book = Book(ean=ean, source=book_source, **offered)
            new.append(book)
            continue
        overwrite = outranks_or_equals(book_source, book.source)
        updates = {
            name: value
            for name, value in offered.items()
            if not _is_blank(value)
            and (overwrite or _is_blank(getattr(book, name)))
            and getattr(book, name) != value
        }
        if overwrite:
            outcome.updated += 1
            if book.source != book_source:
                updates["source"] = book_source
        else:
            outcome.kept += 1
        if updates:
            for name, value in updates.items():
                setattr(book, name, value)
            book.search_vector = None  # its words are indexed again after commit
            changed.append(book)
    Book.objects.bulk_create(new)
    outcome.created += len(new)
    if changed:
        Book.objects.bulk_update(changed, [*METADATA_FIELDS, "source", "search_vector"])
    for book in Book.objects.filter(ean__in=[book.ean for book in new]):
        books[book.ean] = book
    return books


def _write_prices(
    rows: dict[str, StockRow], books: dict[str, Book], source: str, undated_from: date, feed
) -> int:
    """Upsert the rows' dated prices; on the same book and day, a price replaces another
    only from a source that ranks as high."""
    values = []
    for ean, row in rows.items():
        prices = row.prices or ([PriceRecord(row.list_price)] if row.list_price else [])
        for price in prices:
            if price.amount is None or price.amount <= 0 or price.amount >= Decimal("100000"):
                continue
            if price.effective_until is not None and price.effective_until < undated_from:
                continue  # over before the feed was sent: history, not a price to apply
            values.append((books[ean].pk, price.amount, price.effective_from or undated_from))
    if not values:
        return 0
    # Two prices of one book on one day in the same feed: the last one stands.
    unique = {(book_id, day): amount for book_id, amount, day in values}
    book_ids, days, amounts = zip(
        *((book_id, day, amount) for (book_id, day), amount in unique.items()), strict=True
    )
    with connection.cursor() as cursor:
        # One statement (not executemany: the audit context pghistory adds to each
        # statement of a request cannot go with it).
        cursor.execute(
            """INSERT INTO catalog_bookprice (book_id, amount, effective_from, source, feed_id, created_at)
               SELECT book_id, amount, effective_from, %s, %s, now()
                 FROM unnest(%s::bigint[], %s::numeric[], %s::date[]) AS price(book_id, amount, effective_from)
               ON CONFLICT (book_id, effective_from) DO UPDATE
                  SET amount = EXCLUDED.amount, source = EXCLUDED.source, feed_id = EXCLUDED.feed_id
                WHERE catalog_bookprice.source = 'staff' OR EXCLUDED.source = 'feed'""",
            [source, feed.pk if feed else None, list(book_ids), list(amounts), list(days)],
        )
    return len(unique)


def _index_on_commit() -> None:
    from catalog.tasks import refresh_search_index

    def enqueue():
        refresh_search_index.delay()

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


def _load_on_commit(feed_id: int) -> None:
    from catalog.tasks import load_catalogue_feed

    def enqueue():
        load_catalogue_feed.delay(feed_id)

    transaction.on_commit(enqueue, robust=True)
