"""What an import would do, line by line, without writing anything.

The same plan serves the preview (dry run) and the apply, which computes it again
inside its transaction so that it acts on the stock as it is at that moment.
"""

import gc
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog import moderation
from catalog.ean import normalize_product_ean, own_product_ean
from catalog.imports.csv_reader import parse_price
from catalog.imports.records import BOOK_FIELDS, BOOK_NULLABLE_FIELDS, StockRow, book_field_is_blank_sql
from catalog.models import Book, BookClaim, Listing, ProductKind
from catalog.pricing import check_listing_price, format_euros
from catalog.product_kinds import ShopProductKinds, attribute_values_clean, lacks_required_details
from catalog.reference import misdecoded_field, misdecoded_message
from marketplace.text import comparison_key
from shops.models import Shop

MAX_QUANTITY = 100_000

Progress = Callable[[int, int], None]


class Action(models.TextChoices):
    CREATE = "create", gettext_lazy("Create")
    UPDATE = "update", gettext_lazy("Update")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")
    REFUSE = "refuse", gettext_lazy("Refused")


@dataclass(slots=True)
class PlannedLine:
    line: int
    ean: str
    action: str
    message: str = ""
    title: str = ""
    condition: str = Listing.Condition.NEW
    quantity: int | None = None  # the listing's quantity after the import
    price: Decimal | None = None  # the listing's price after the import
    listing_id: int | None = None  # the listing updated
    book: "KnownBook | None" = None  # the book listed, when it exists already
    row: StockRow | None = None  # the metadata of a book to create
    kind: "ProductKind | None" = None  # of the product (catalog.models.ProductKind)
    attributes: dict = field(default_factory=dict)  # of a product to create, as stored
    # A product without a barcode: the shop's reference, and whether it is new (its
    # in-store EAN was just drawn, catalog/ean.py).
    reference: str = ""
    new_own_product: bool = False
    # The line names no kind and its EAN is not of the shop's usual kind: why it is refused
    # unless the catalogue knows the product (of a kind the shop may list).
    unless_known: str = ""
    # What the shop says the publisher's price is, kept as its claim (catalog/reference.py):
    # set when it differs from the reference or the book has none.
    claimed_list_price: Decimal | None = None
    agrees_with_reference: bool = False  # the shop's publisher's price is the reference's now
    flags: list[str] = field(default_factory=list)  # moderation flags after the import
    status: str = ""  # the listing's status after the import, as far as planning can tell
    previous_status: str = ""  # before it ("" for a new listing)
    # The price is lawful under the reference in force: a price review is over.
    review_over: bool = True

    @property
    def goes_to_moderation(self) -> bool:
        return (
            self.action in (Action.CREATE, Action.UPDATE)
            and self.status == Listing.Status.PENDING
            and self.previous_status != Listing.Status.PENDING
        )


@dataclass
class StockPlan:
    lines: list[PlannedLine]
    # full sync: listings absent from the file, whose quantity goes to 0
    zeroed: list[tuple[int, str]] = field(default_factory=list)  # (listing id, title)
    in_stock: int = 0  # the shop's listings with copies not reserved, before the import

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for line in self.lines:
            counts[line.action] += 1
        counts["zeroed"] = len(self.zeroed)
        counts["in_stock"] = self.in_stock
        # Listings this import sends to (or creates in) the moderation queue.
        counts["pending"] = sum(1 for line in self.lines if line.goes_to_moderation)
        return counts

    @property
    def pending_reasons(self) -> dict[str, int]:
        """Why the listings of counts["pending"] will wait: flag -> how many."""
        reasons: dict[str, int] = {}
        for line in self.lines:
            if line.goes_to_moderation:
                for flag in line.flags:
                    reasons[flag] = reasons.get(flag, 0) + 1
        return reasons


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while an import reads, plans and writes a file.

    An import holds a few objects per line (300,000 lines: millions), none in a cycle.
    The collector would walk all of them again and again as they are made, more often
    the more there are: a third of the planning time at 100,000 lines, and growing faster
    than the file (docs/performance.md, issue 22). Reference counting still frees what
    the import lets go of; the collector resumes afterwards."""
    if not gc.isenabled():  # an enclosing import paused it: it turns it back on
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@cyclic_gc_paused()
def plan_stock(
    *, shop: Shop, rows: Iterable[StockRow], full_sync: bool, progress: Progress | None = None
) -> StockPlan:
    """Judge every row: what it would create or change in `shop`'s stock, or why it is refused."""
    rows = list(rows)
    kinds = ShopProductKinds(shop)
    lines, candidates = _read_rows(rows, kinds, own_products=_own_products(shop))
    books = _existing_books({line.ean for line in candidates})
    listings = _existing_listings(shop, books)
    context = _Context(
        shop_approved=shop.status == Shop.Status.APPROVED,
        claims=_shop_claims(shop),
        notes=_Notes(),
        kinds=kinds,
        shop_id=shop.pk,
    )
    for done, line in enumerate(candidates, 1):
        _decide(line, books.get(line.ean), listings.get((line.ean, line.condition)), context)
        if progress and done % 2_000 == 0:
            progress(done, len(candidates))
    plan = StockPlan(lines=sorted(lines + candidates, key=lambda line: line.line))
    if full_sync:
        plan.in_stock = sum(1 for listing in listings.values() if listing.quantity > listing.reserved)
        present = {(line.ean, line.condition) for line in plan.lines if line.ean}
        absent = [
            listing.id
            for key, listing in listings.items()
            if key not in present and listing.quantity > listing.reserved
        ]
        plan.zeroed = list(
            Listing.objects.filter(pk__in=absent).order_by("book__title").values_list("pk", "book__title")
        )
    return plan


# --- Reading one row -------------------------------------------------------------------


def _read_rows(
    rows: list[StockRow], kinds: ShopProductKinds, *, own_products: dict[str, str]
) -> tuple[list[PlannedLine], list[PlannedLine]]:
    """Split rows into refused lines and candidates whose fields parse."""
    refused, candidates, first_line_of = [], [], {}
    for row in rows:
        line = PlannedLine(line=row.line, ean=row.ean, action=Action.REFUSE, title=row.title, row=row)
        try:
            if row.error:
                raise ValidationError(row.error)
            if garbled := misdecoded_field(row):
                raise ValidationError(misdecoded_message(garbled))
            line.kind = _kind(kinds, row.kind)
            if not row.ean.strip() and row.reference.strip():
                line.reference = _own_reference(row.reference, line.kind)
                line.ean = own_products.get(line.reference, "")
                line.new_own_product = not line.ean
            else:
                line.ean = _ean(line, row)
            line.condition = parse_condition(row.condition)
            line.quantity = parse_quantity(row.quantity)
            line.price = parse_price_text(row.price)
            check_list_price(row.list_price)
        except ValidationError as error:
            line.message = " ".join(error.messages)
            refused.append(line)
            continue
        key = (line.ean or line.reference, line.condition)
        if key in first_line_of:
            line.message = _("Same product and condition as line %(line)s: only that line is used.") % {
                "line": first_line_of[key]
            }
            refused.append(line)
            continue
        first_line_of[key] = row.line
        candidates.append(line)
    _draw_own_eans(line for line in candidates if line.new_own_product)
    return refused, candidates


def _ean(line: PlannedLine, row: StockRow) -> str:
    try:
        return normalize_product_ean(row.ean, book_rules=line.kind.book_rules)
    except ValidationError as error:
        if row.kind or error.code not in ("ean_not_a_book", "ean_sheet_music"):
            raise
        ean = normalize_product_ean(row.ean, book_rules=False)  # raises if not an EAN at all
        line.unless_known = " ".join(error.messages)
        return ean


def _kind(kinds: ShopProductKinds, written: str | None):
    try:
        return kinds.named(written)
    except ValueError as error:
        raise ValidationError(str(error)) from error


MAX_REFERENCE = 40  # Book.own_reference


def _own_reference(written: str, kind) -> str:
    if kind.book_rules:
        raise ValidationError(
            _("A product of kind “%(kind)s” needs its ISBN: the EAN is empty.") % {"kind": kind.name}
        )
    reference = written.strip()
    if len(reference) > MAX_REFERENCE:
        raise ValidationError(
            _("The reference “%(reference)s” is too long: at most %(count)d characters.")
            % {"reference": reference, "count": MAX_REFERENCE}
        )
    return reference


def _draw_own_eans(lines: Iterable[PlannedLine]) -> None:
    """In-store EANs for the new products without a barcode, from the database's
    sequence (a preview draws numbers it does not use: codes are not meant to follow on)."""
    lines = list(lines)
    if not lines:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval('catalog_own_product_number') FROM generate_series(1, %s)", [len(lines)]
        )
        for line, (number,) in zip(lines, cursor.fetchall(), strict=True):
            line.ean = own_product_ean(number)


CONDITION_WORDS = {
    Listing.Condition.NEW: {"", "n", "neuf", "new", "nouveau", "neuve"},
    Listing.Condition.USED_LIKE_NEW: {"commeneuf", "likenew", "etatneuf", "occasioncommeneuf", "usedlikenew"},
    Listing.Condition.USED_VERY_GOOD: {"tresbon", "tresbonetat", "tbe", "verygood", "usedverygood",
                                       "occasiontresbonetat"},
    Listing.Condition.USED_GOOD: {"occasion", "occ", "o", "used", "bon", "bonetat", "be", "good", "usedgood",
                                  "occasionbonetat"},
    Listing.Condition.USED_ACCEPTABLE: {"correct", "etatcorrect", "acceptable", "moyen", "usedacceptable",
                                        "occasionetatcorrect"},
}  # fmt: skip
_WORD_TO_CONDITION = {word: condition for condition, words in CONDITION_WORDS.items() for word in words}


def parse_condition(text: str | None) -> str:
    if not text:
        return Listing.Condition.NEW
    condition = _WORD_TO_CONDITION.get(comparison_key(text))
    if condition is None:
        raise ValidationError(
            _(
                "Unknown condition “%(value)s”: write neuf, occasion, comme neuf, très bon état, "
                "bon état or état correct."
            )
            % {"value": text}
        )
    return condition


def parse_quantity(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit() and len(text) < 6:
        return int(text)  # the usual case, quickly
    if not text.strip():
        return None
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    # Spreadsheets write whole numbers as "3.0" or "3,0".
    cleaned = re.sub(r"[.,]0+$", "", cleaned)
    if not cleaned.isdigit() or int(cleaned) > MAX_QUANTITY:
        raise ValidationError(
            _("The quantity “%(value)s” is not a whole number between 0 and %(max)s.")
            % {"value": text.strip(), "max": MAX_QUANTITY}
        )
    return int(cleaned)


SIMPLE_PRICE = re.compile(r"\d{1,5}(?:[.,]\d{1,2})?")


def parse_price_text(text: str | None) -> Decimal | None:
    if text is None:
        return None
    if SIMPLE_PRICE.fullmatch(text):  # "12,50", "12.5", "8": the usual case, quickly
        price = Decimal(text.replace(",", "."))
        if price > 0:
            return price
    if not text.strip():
        return None
    try:
        price = parse_price(text)
    except (InvalidOperation, ValueError):
        price = None
    if price is None or price <= 0 or price > MAX_PRICE:
        raise ValidationError(
            _("The price “%(value)s” is not an amount in euros above zero.") % {"value": text.strip()}
        )
    return price


MAX_PRICE = Decimal("99999.99")  # the price columns' precision (7 digits, 2 decimals)


def check_list_price(amount: Decimal | None) -> None:
    """A publisher's price a file gives: euros and cents, above zero, as the catalogue
    stores them."""
    if amount is None:
        return
    if not (0 < amount <= MAX_PRICE) or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            _("The publisher's price “%(value)s” is not an amount in euros and cents above zero.")
            % {"value": amount}
        )


# --- Deciding against the catalogue and the shop's stock ---------------------------------


# Book fields a stock file may fill in when the catalogue has them empty (apply.py). Not
# the publisher's price: a shop's word for it is its claim (catalog/reference.py).
FILLABLE_FIELDS = BOOK_FIELDS
NULLABLE_FIELDS = BOOK_NULLABLE_FIELDS


class KnownBook(NamedTuple):
    """What planning needs of a book already in the catalogue. Read as plain tuples:
    100,000 model instances would take seconds."""

    id: int
    ean: str
    title: str
    list_price: Decimal | None
    blank_mask: int  # bit i set: FILLABLE_FIELDS[i] is empty
    kind: str  # its code
    owner_shop_id: int | None
    attributes: dict

    def is_blank(self, field_index: int) -> bool:
        return bool(self.blank_mask >> field_index & 1)


class _ExistingListing(NamedTuple):
    id: int
    price: Decimal
    quantity: int
    reserved: int
    status: str
    flags: list[str]
    price_review_by: datetime | None  # the publisher's price changed: lawful until then


class _Notes:
    """Sentences of the report, translated once rather than 100,000 times."""

    def __init__(self):
        self.new_book = _("New in the catalogue.")
        self.new_own_product = _("New product of your own (without a barcode).")
        self._waits: dict[tuple[str, ...], str] = {}

    @staticmethod
    def no_price(book_rules: bool) -> str:
        if book_rules:
            return _("No price: give the selling price (or, for a new book, the publisher's price).")
        return _("No price: give the selling price.")

    def waits_for_moderation(self, flags: list[str]) -> str:
        key = tuple(flags)
        if key not in self._waits:
            self._waits[key] = _("Will wait for moderation: %(reasons)s.") % {
                "reasons": ", ".join(str(Listing.Flag(flag).label).lower() for flag in flags)
            }
        return self._waits[key]


@dataclass
class _Context:
    shop_approved: bool
    claims: dict[int, Decimal]  # book id -> the publisher's price this shop claimed before
    notes: _Notes
    kinds: ShopProductKinds
    shop_id: int


# One integer per book says which fields are empty: cheaper to fetch and keep than a
# boolean (or a set) per field, for 100,000 books.
_BLANK_MASK = " | ".join(
    f"(({book_field_is_blank_sql(name)})::int << {index})" for index, name in enumerate(FILLABLE_FIELDS)
)


def _existing_books(eans: set[str]) -> dict[str, KnownBook]:
    with connection.cursor() as cursor:
        # One array literal, not 100,000 parameters for psycopg2 to quote (EANs are digits).
        cursor.execute(
            f"""SELECT id, ean, title, list_price, {_BLANK_MASK}, kind, owner_shop_id, attributes
                  FROM catalog_book WHERE ean = ANY(%s::varchar[])""",
            ["{" + ",".join(eans) + "}"],
        )
        return {row[1]: KnownBook(*row) for row in cursor}


def _existing_listings(shop: Shop, books: dict[str, KnownBook]) -> dict[tuple[str, str], _ExistingListing]:
    """The shop's listings by (EAN, condition). Their books' EANs come from `books` (the
    file's, read already); only the few books the file does not name are looked up.
    Joining the books in the query would leave it to the planner, whose statistics do
    not know yet about the listings the shop's previous import added: it then looks the
    books up one by one (300,000 index probes, issue 22)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT id, book_id, condition, price, quantity, reserved, status, moderation_flags, price_review_by
                 FROM catalog_listing WHERE shop_id = %s""",
            [shop.pk],
        )
        rows = cursor.fetchall()
        ean_of = {book.id: ean for ean, book in books.items()}
        others = {row[1] for row in rows} - ean_of.keys()
        if others:
            cursor.execute(
                "SELECT id, ean FROM catalog_book WHERE id = ANY(%s::bigint[])",
                ["{" + ",".join(map(str, others)) + "}"],  # one literal, not 300,000 parameters
            )
            ean_of.update(cursor.fetchall())
    return {
        (ean_of[book_id], condition): _ExistingListing(pk, *rest) for pk, book_id, condition, *rest in rows
    }


def _own_products(shop: Shop) -> dict[str, str]:
    """The shop's own products (without a barcode): reference -> in-store EAN."""
    return dict(Book.objects.filter(owner_shop=shop).values_list("own_reference", "ean"))


def _shop_claims(shop: Shop) -> dict[int, Decimal]:
    return {
        book_id: Decimal(value)
        for book_id, value in BookClaim.objects.filter(shop=shop, field=BookClaim.Field.LIST_PRICE)
        .order_by()  # the model's ordering joins the books and the shops to sort them
        .values_list("book_id", "value")
    }


def _decide(
    line: PlannedLine, book: KnownBook | None, listing: _ExistingListing | None, context: _Context
) -> None:
    row = line.row
    line.book = book
    if book is not None:
        line.title = book.title or row.title
    try:
        _check_kind(line, book, context)
    except ValidationError as error:
        return _refuse(line, " ".join(error.messages))
    # The publisher's price and the loi Lang are the book rules'; another kind's list price
    # is the brand's recommended price, shown and never enforced.
    book_rules = line.kind.book_rules
    reference = book.list_price if book is not None and book_rules else None
    # Where the catalogue has no reference price, the shop's own word binds its own listing
    # only: from this file, or from what it said before.
    claimed_before = context.claims.get(book.id) if book is not None and book_rules else None
    claimed = (row.list_price if row.list_price is not None else claimed_before) if book_rules else None
    list_price = reference if reference is not None else claimed
    if book_rules and row.list_price is not None and row.list_price not in (reference, claimed_before):
        line.claimed_list_price = row.list_price
    line.agrees_with_reference = reference is not None and row.list_price == reference
    is_new = line.condition == Listing.Condition.NEW
    price_supplied = line.price is not None

    if listing is None:
        line.quantity = 0 if line.quantity is None else line.quantity
        line.price = line.price if line.price is not None else (list_price if is_new else None)
        if line.price is None:
            return _refuse(line, context.notes.no_price(book_rules))
    else:
        line.listing_id = listing.id
        line.quantity = listing.quantity if line.quantity is None else line.quantity
        line.price = listing.price if line.price is None else line.price

    # A price the file leaves as it is, on a listing whose publisher's price changed, is the
    # review's business (catalog/price_changes.py): the quantity is still updated.
    price_kept = listing is not None and (not price_supplied or line.price == listing.price)
    if price_kept and listing.price_review_by is not None:
        line.review_over = False
    else:
        try:
            check_listing_price(price=line.price, is_new=is_new and book_rules, list_price=list_price)
        except ValidationError as error:
            return _refuse(line, " ".join(error.messages))

    _moderation(line, book, listing, context)
    if listing is None:
        line.action = Action.CREATE
        notes = (
            []
            if book is not None
            else [context.notes.new_own_product if line.reference else context.notes.new_book]
        )
        if line.goes_to_moderation:
            notes.append(context.notes.waits_for_moderation(line.flags))
        line.message = " ".join(notes)
        return None
    changes = []
    if line.quantity < listing.reserved:
        # The till does not know about reservations: those copies are still on the shelf,
        # held for customers, until the order is collected, refused or cancelled.
        changes.append(
            ngettext(
                "%(count)s copy is reserved by a customer: the quantity stays at least %(count)s",
                "%(count)s copies are reserved by customers: the quantity stays at least %(count)s",
                listing.reserved,
            )
            % {"count": listing.reserved}
        )
        line.quantity = listing.reserved
    if line.quantity != listing.quantity:
        changes.append(_("quantity %(old)s → %(new)s") % {"old": listing.quantity, "new": line.quantity})
    if line.price != listing.price:
        changes.append(
            _("price %(old)s → %(new)s")
            % {"old": format_euros(listing.price), "new": format_euros(line.price)}
        )
    line.action = Action.UPDATE if changes else Action.UNCHANGED
    message = ", ".join(changes)
    if line.action == Action.UPDATE and line.goes_to_moderation:
        message = f"{message}. {context.notes.waits_for_moderation(line.flags)}"
    line.message = message[:1].upper() + message[1:]
    return None


class _BookAfterImport(NamedTuple):
    """What the moderation rules see of a book once the import has filled its blanks: its
    title, and its reference price only (a shop's claim does not make a price trusted)."""

    title: str
    list_price: Decimal | None
    follows_book_rules: bool
    lacks_required_details: bool


def _check_kind(line: PlannedLine, book: KnownBook | None, context: _Context) -> None:
    """The product's kind: a product of the catalogue keeps its own (a file that names
    another is refused, one that names none lists it if the shop may); a new product
    gets the kind the line names, with the attributes the kind asks."""
    kinds = context.kinds
    if book is not None:
        if book.owner_shop_id not in (None, context.shop_id):
            raise ValidationError(_("This code is another shop's own product: check the EAN."))
        if book.kind != line.kind.code:
            known = kinds.by_code(book.kind)
            if line.row.kind:
                raise ValidationError(
                    _("This EAN is already in the catalogue as “%(kind)s”, not “%(written)s”.")
                    % {"kind": known.name, "written": line.kind.name}
                )
            try:
                kinds.check_allowed(known)
            except ValueError as error:
                raise ValidationError(str(error)) from error
            line.kind = known
        return
    if line.unless_known:
        raise ValidationError(line.unless_known)
    if line.kind.book_rules:
        return
    values, problems = attribute_values_clean(
        line.kind, kinds.attribute_values(line.kind, line.row.attributes)
    )
    if problems:
        raise ValidationError(" ".join(problems.values()))
    line.attributes = values


def _moderation(line: PlannedLine, book: KnownBook | None, listing: _ExistingListing | None, context) -> None:
    """The flags and status the listing will have (apply.py decides again, for listings a
    moderator rejected before)."""
    book_rules = line.kind.book_rules
    after = _BookAfterImport(
        title=(book.title if book else "") or line.row.title,
        list_price=book.list_price if book and book_rules else None,
        follows_book_rules=book_rules,
        lacks_required_details=book is not None and lacks_required_details(line.kind, book.attributes),
    )
    flags = [
        str(flag)
        for flag in moderation.flags_for(
            book=after,
            condition=line.condition,
            price=line.price,
            quantity=line.quantity,
            # A price kept under review: lawful until the deadline, then off sale.
            price_review_by=listing.price_review_by if listing is not None and not line.review_over else None,
        )
    ]
    line.flags = flags
    line.status = moderation.status_after_change(
        current=listing.status if listing else None,
        shop_is_approved=context.shop_approved,
        old_flags=list(listing.flags) if listing else [],
        new_flags=flags,
    )
    line.previous_status = listing.status if listing else ""


def _refuse(line: PlannedLine, message: str) -> None:
    line.action, line.message = Action.REFUSE, message
