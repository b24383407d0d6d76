import secrets
import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.ean import format_isbn
from catalog.product_kinds import follows_book_rules, forget_cached_kinds, lacks_required_details
from marketplace.audit import audit_triggers, stamp_status_changed_at
from marketplace.bilingual import in_page_language
from marketplace.images import ImageUploadValidator
from marketplace.models import StatusChange
from marketplace.state_machine import Move, StateMachine


def private_storage():
    """Files that must not be public (shops' stock files): see STORAGES["private"]."""
    return storages["private"]


def cover_upload_to(book, filename):
    return f"covers/{book.ean}-{uuid.uuid4().hex[:8]}{PurePath(filename).suffix.lower()}"


def thumbnail_upload_to(book, filename):
    return f"covers/thumbnails/{book.ean}-{uuid.uuid4().hex[:8]}.webp"


class ProductKind(models.Model):
    """A kind of product (book, board game, toy, record…) and what describes one: data head
    office manages in the back office, as Saleor's product types or Oscar's product
    classes, so that a new kind of shop needs no code change. Which kinds of shop may list
    it is part of it. Books keep their own columns and rules (`book_rules`)."""

    # Kinds the product knows by their code (they come with the first migration).
    BOOK, BOARD_GAME, TOY = "book", "board-game", "toy"

    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short and unchanging, e.g. board-game.")
    )
    name_fr = models.CharField(_("name in French"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)
    shop_kinds = models.ManyToManyField(
        "shops.ShopKind", related_name="product_kinds", verbose_name=_("kinds of shop that may list it")
    )
    book_rules = models.BooleanField(
        _("book rules"),
        default=False,
        help_text=_(
            "ISBN, ONIX feeds, the publisher's price and the fixed book price law (loi Lang) for new copies."
        ),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Kinds are listed in this order, then by code.")
    )

    class Meta:
        verbose_name = _("kind of product")
        verbose_name_plural = _("kinds of product")
        ordering = ["position", "code"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        transaction.on_commit(forget_cached_kinds)

    @property
    def name(self) -> str:
        return in_page_language(self.name_fr, self.name_en)


class ProductAttribute(models.Model):
    """One thing that describes a product of a kind: a brand, an age range, a number of
    players… Its type says how a value is written and checked (catalog/product_kinds.py)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        INTEGER = "integer", _("Whole number")
        RANGE = "range", _("Range of whole numbers (e.g. 8-12)")
        CHOICE = "choice", _("One of a list")

    kind = models.ForeignKey(
        ProductKind, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("kind of product")
    )
    code = models.SlugField(_("code"), max_length=40, help_text=_("Short and unchanging, e.g. age-range."))
    name_fr = models.CharField(_("name in French"), max_length=80)
    name_en = models.CharField(_("name in English"), max_length=80)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    unit_fr = models.CharField(_("unit in French"), max_length=20, blank=True, help_text=_("e.g. ans, min"))
    unit_en = models.CharField(
        _("unit in English"), max_length=20, blank=True, help_text=_("e.g. years, min")
    )
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("For “one of a list”: one choice per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    filterable = models.BooleanField(
        _("filter in search"), default=False, help_text=_("Customers can narrow a search by it.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")
        ordering = ["kind", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="product_attribute_code_per_kind")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        transaction.on_commit(forget_cached_kinds)

    @property
    def name(self) -> str:
        return in_page_language(self.name_fr, self.name_en)

    @property
    def unit(self) -> str:
        return in_page_language(self.unit_fr, self.unit_en)

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def clean(self):
        if self.type == self.Type.CHOICE and not self.choice_list:
            raise ValidationError({"choices": _("Give the choices, one per line.")})
        if self.type != self.Type.CHOICE and self.choice_list:
            raise ValidationError({"choices": _("Only an attribute of type “one of a list” has choices.")})


class Subject(models.Model):
    """A subject of the CLIL classification (the French book trade's shelves), e.g.
    3435 "Littérature générale". Filled by `manage.py import_clil` from CLIL's file."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    label = models.CharField(_("label"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.label}"


class ContributorRole(models.TextChoices):
    AUTHOR = "author", _("Author")
    TRANSLATOR = "translator", _("Translator")
    ILLUSTRATOR = "illustrator", _("Illustrator")
    EDITOR = "editor", _("Editor")
    PREFACE = "preface", _("Preface")
    OTHER = "other", _("Other contribution")


def validate_contributors(value):
    roles = set(ContributorRole.values)
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and isinstance(item.get("name"), str) and item.get("role") in roles
        for item in value
    ):
        raise ValidationError(_("Contributors must be a list of names with a role."), code="contributors")


class Book(models.Model):
    """One product of the catalogue: a book, a board game, a toy, a record… identified by
    its EAN-13 (a book's ISBN-13 is one). Its kind (ProductKind, data head office
    manages) says what describes it: books keep their own columns below (contributors,
    publisher, format, pages, subject, ONIX, the publisher's price and the loi Lang);
    every other kind keeps its values in `attributes`, checked against the kind's
    attributes (catalog/product_kinds.py). The model keeps its first name, Book, and its
    table: millions of rows and every listing and order line point to it.

    A product without a barcode (a craftsman's piece, a shop's own goods) belongs to one
    shop (`owner_shop`), which gives its own reference; it gets an in-store EAN (prefix
    2, which GS1 keeps for restricted circulation) so that everything keyed on the EAN
    works for it, and it never enters the shared catalogue: no other shop may list it.
    """

    class Format(models.TextChoices):
        PAPERBACK = "paperback", _("Paperback")
        POCKET = "pocket", _("Pocket book")
        HARDBACK = "hardback", _("Hardback")
        BOARD_BOOK = "board_book", _("Board book")
        SPIRAL = "spiral", _("Spiral-bound")
        AUDIO = "audio", _("Audiobook")
        OTHER = "other", _("Other")

    class Source(models.TextChoices):
        """Who wrote the book's reference data last (catalog/reference.py ranks them)."""

        ONIX = "onix", _("Publisher or distributor feed")
        STAFF = "staff", _("Head office")
        STOCK_FILE = "stock_file", _("Stock file")
        BOOKSELLER = "bookseller", _("Entered by a bookseller")

    ean = models.CharField(
        _("EAN / ISBN-13"), max_length=13, unique=True, validators=[RegexValidator(r"^\d{13}$")]
    )
    kind = models.ForeignKey(
        ProductKind,
        on_delete=models.PROTECT,
        to_field="code",
        db_column="kind",
        default=ProductKind.BOOK,
        db_default=ProductKind.BOOK,  # the imports insert books without naming their kind
        related_name="products",
        verbose_name=_("kind of product"),
        db_index=False,  # few kinds: an index would only slow the imports
    )
    # {attribute code: value} for the kind's attributes (catalog/product_kinds.py): text,
    # a whole number, [low, high] or one of the attribute's choices. Empty for books.
    attributes = models.JSONField(_("attributes"), default=dict, db_default={}, blank=True)
    owner_shop = models.ForeignKey(
        "shops.Shop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="own_products",
        verbose_name=_("shop's own product"),
        db_index=False,  # the unique constraint below starts with it
    )
    own_reference = models.CharField(
        _("shop's reference"),
        max_length=40,
        blank=True,
        db_default="",  # the imports insert books with COPY, without it
        help_text=_("For a product without a barcode: the shop's own code for it."),
    )
    title = models.CharField(_("title"), max_length=500, blank=True)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    # In order, as on the cover: [{"name": "Albert Camus", "role": "author"}, ...]. Kept
    # with the book (as ONIX does) rather than in a table: one row per book to write
    # when a stock file brings 100,000 new books, and none to join when showing them.
    contributors = models.JSONField(
        _("contributors"), default=list, blank=True, validators=[validate_contributors]
    )
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    imprint = models.CharField(_("imprint"), max_length=200, blank=True)
    publication_date = models.DateField(_("publication date"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=3, blank=True, help_text=_("ISO 639-2 code, e.g. fre.")
    )
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=20, choices=Format.choices, blank=True)
    description = models.TextField(_("description"), blank=True)
    clil_code = models.CharField(
        _("subject (CLIL)"),
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^\d{4}$", _("A CLIL code has 4 digits."))],
    )
    list_price = models.DecimalField(
        _("publisher's price"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "For a book: the fixed price set by the publisher, incl. tax (prix unique du livre), in force today, "
            "kept by the publisher prices below. For other kinds: the brand's recommended price, shown to "
            "customers and never enforced."
        ),
    )
    cover = models.ImageField(
        _("cover"),
        upload_to=cover_upload_to,
        blank=True,
        validators=[ImageUploadValidator(max_bytes=5 * 1024 * 1024)],
    )
    cover_thumbnail = models.ImageField(
        _("cover thumbnail"), upload_to=thumbnail_upload_to, blank=True, editable=False
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # Title, subtitle, contributors and publisher, unaccented and stemmed in French
    # (catalog/search_index.py). NULL until indexed: imports leave that to a task.
    search_vector = SearchVectorField(null=True, editable=False)
    # The shops with a published listing of the book, kept up to date by triggers on the
    # listings (catalog/search_index.py). Indexed with the words, it lets the search find
    # "books with these words listed near here" in the index alone, instead of visiting
    # every offer of every shop around. Whether a copy can be reserved (stock, shop open,
    # distance) is still decided by the listings. db_default: imports insert with COPY.
    shop_ids = ArrayField(models.IntegerField(), default=list, db_default=[], editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("book")
        verbose_name_plural = _("books")
        ordering = ["title"]
        indexes = [
            # One index for both: PostgreSQL intersects the books holding the words with
            # the books listed by the shops around in the index itself.
            GinIndex(fields=["search_vector", "shop_ids"], name="book_words_and_shops"),
            # The other kinds' products by the shops that list them: a search among them
            # (a kind, an age) starts from this small index, not from every offer around.
            GinIndex(fields=["shop_ids"], condition=~Q(kind="book"), name="product_other_kinds_shops"),
            # Books waiting for the search index (few at any time).
            models.Index(fields=["id"], condition=Q(search_vector__isnull=True), name="book_not_indexed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__isnull=True) | Q(list_price__gt=0), name="book_price_positive"
            ),
            models.UniqueConstraint(
                fields=["owner_shop", "own_reference"],
                condition=Q(owner_shop__isnull=False),
                name="product_own_reference_per_shop",
            ),
            models.CheckConstraint(
                condition=Q(owner_shop__isnull=True, own_reference="")
                | (Q(owner_shop__isnull=False) & ~Q(own_reference="")),
                name="product_own_reference_with_owner",
            ),
        ]

    def __str__(self):
        return f"{self.title or _('Untitled')} ({self.isbn})"

    # Written by catalog/search_index.py and the listing triggers only: saving a book
    # loaded a while ago must not put back the words or the shops it had then (nor
    # "not indexed yet").
    DERIVED_FIELDS = ("search_vector", "shop_ids")

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.DERIVED_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def isbn(self) -> str:
        return format_isbn(self.ean) if self.follows_book_rules else self.ean

    @property
    def follows_book_rules(self) -> bool:
        """ISBN, ONIX, the publisher's price and the loi Lang apply (ProductKind.book_rules)."""
        return follows_book_rules(self.kind_id)

    @property
    def lacks_required_details(self) -> bool:
        """An attribute its kind requires has no value (head office may require one
        after products were listed): the moderation rules hold its listings."""
        # Books first, without reading their kind.
        return not self.follows_book_rules and lacks_required_details(self.kind, self.attributes)

    @property
    def is_own_product(self) -> bool:
        return self.owner_shop_id is not None

    @property
    def title_or_isbn(self) -> str:
        """What messages call the book: its title, or its ISBN when it has none."""
        return self.title or self.isbn

    @property
    def authors(self) -> str:
        """The names of the authors, for lists ("Maj Sjöwall, Per Wahlöö")."""
        return ", ".join(c["name"] for c in self.contributors if c.get("role") == ContributorRole.AUTHOR)


# A copy is left to reserve: published, more on the shelf than held. The partial indexes
# of Listing are built on it; catalog/stock.py uses the same test everywhere else.
IN_STOCK = Q(status="published", quantity__gt=F("reserved"))


class Listing(models.Model):
    """One shop's offer of one book in one condition: its price and its stock."""

    class Condition(models.TextChoices):
        NEW = "new", _("New")
        USED_LIKE_NEW = "used_like_new", _("Used — like new")
        USED_VERY_GOOD = "used_very_good", _("Used — very good")
        USED_GOOD = "used_good", _("Used — good")
        USED_ACCEPTABLE = "used_acceptable", _("Used — acceptable")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        HIDDEN = "hidden", _("Hidden")

    # The moves people decide (catalog/moderation_services.py); the automatic rules, the
    # shop's edits and its stock files set draft, pending, published or hidden as the
    # listing's content asks (catalog/moderation.py, status_after_edit).
    MOVES = StateMachine(
        # The chain's moderators: publish what a rule held, reject what a rule held or
        # what is online (reported, or seen to be wrong).
        Move("publish", {Status.PENDING}, Status.PUBLISHED),
        Move("reject", {Status.PENDING, Status.PUBLISHED}, Status.REJECTED),
        # The shop: correct a rejected listing and send it back to the queue.
        Move("resubmit", {Status.REJECTED}, Status.PENDING),
    )

    class Flag(models.TextChoices):
        """Why an automatic rule held a listing for moderation."""

        MISSING_TITLE = "missing_title", _("The book has no title")
        SUSPICIOUS_QUANTITY = "suspicious_quantity", _("Unusually large quantity")
        UNKNOWN_LIST_PRICE = "unknown_list_price", _("New book without a reference publisher's price")
        USED_ABOVE_NEW_PRICE = "used_above_new_price", _("Used copy priced above the new book")
        PRICE_OUTSIDE_LOI_LANG = "price_outside_loi_lang", _("Price outside the fixed book price law")
        MISSING_DETAILS = "missing_details", _("Details its kind of product requires are missing")

    # No index on shop or book alone: the unique constraint and the index below start
    # with them, and every index slows the stock imports down.
    shop = models.ForeignKey(
        "shops.Shop",
        on_delete=models.CASCADE,
        related_name="listings",
        verbose_name=_("shop"),
        db_index=False,
    )
    book = models.ForeignKey(
        Book, on_delete=models.PROTECT, related_name="listings", verbose_name=_("book"), db_index=False
    )
    condition = models.CharField(
        _("condition"), max_length=20, choices=Condition.choices, default=Condition.NEW
    )
    price = models.DecimalField(
        _("price"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    quantity = models.PositiveIntegerField(_("quantity in stock"), default=0)
    # Copies on the shelf held for customers' open orders: they stay in `quantity` (the
    # bookseller still has them) until collected. What customers can reserve is
    # quantity - reserved; the check constraint below makes overselling impossible.
    # db_default: the bulk writers (imports, generator) insert rows with COPY, without it.
    reserved = models.PositiveIntegerField(_("reserved by orders"), default=0, db_default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    moderation_flags = ArrayField(
        models.CharField(max_length=40, choices=Flag.choices),
        verbose_name=_("flags"),
        default=list,
        blank=True,
    )
    # The publisher's price changed and this new book's price is no longer within 95-100 %
    # of it: the shop has until then to change it, after which the listing waits off sale
    # (catalog/price_changes.py). Null when the price is within the law.
    price_review_by = models.DateTimeField(_("price to review by"), null=True, blank=True, editable=False)
    # Kept by a trigger, also through the imports' bulk statements: how long a listing
    # has waited in the moderation queue.
    status_changed_at = models.DateTimeField(_("status since"), db_default=Now(), editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ["-updated_at"]
        permissions = [("moderate_listing", _("Can publish or reject listings held for moderation"))]
        triggers = [
            stamp_status_changed_at(),
            # Created by the hundred thousand by imports: their creation is not audited,
            # every change of their status is.
            *audit_triggers(kind="listing", fields=("status",), shop_column="shop_id", on_insert=False),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "book", "condition"], name="listing_one_per_book_condition"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="listing_price_positive"),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("quantity")), name="listing_reserved_within_stock"
            ),
        ]
        # What customers can reserve: published, with a copy not reserved yet. The search reads offers near
        # a drive by shop, the book page a book's offers; both from small partial
        # indexes that hold price and condition, without touching the table.
        indexes = [
            models.Index(
                fields=["shop", "book"],
                include=["price", "condition"],
                condition=IN_STOCK,
                name="listing_available_by_shop",
            ),
            models.Index(
                fields=["book", "shop"],
                include=["price", "condition", "quantity", "reserved"],
                condition=IN_STOCK,
                name="listing_available_by_book",
            ),
            models.Index(
                fields=["price_review_by"],
                condition=Q(price_review_by__isnull=False),
                name="listing_price_to_review",
            ),
            # The moderation queue, oldest first: a few rows among millions.
            models.Index(
                fields=["status_changed_at"], condition=Q(status="pending"), name="listing_pending_moderation"
            ),
        ]

    def __str__(self):
        return f"{self.book} — {self.get_condition_display()} — {self.shop.trade_name}"

    @property
    def is_used(self) -> bool:
        return self.condition != self.Condition.NEW

    @property
    def available(self) -> int:
        """Copies a customer can still reserve."""
        return self.quantity - self.reserved

    def check_quantity_covers_reservations(self, quantity: int) -> None:
        """The bookseller cannot count away copies promised to customers."""
        if quantity < self.reserved:
            raise ValidationError(
                ngettext(
                    "%(count)s copy is reserved by a customer's order: the quantity cannot go below "
                    "%(count)s. Refuse the order or mark its line unavailable first.",
                    "%(count)s copies are reserved by customers' orders: the quantity cannot go below "
                    "%(count)s. Refuse the orders or mark their lines unavailable first.",
                    self.reserved,
                )
                % {"count": self.reserved},
                code="below_reserved",
            )


class ListingToModerate(Listing):
    """Listings as the moderation queue sees them: held by a rule or reported."""

    class Meta:
        proxy = True
        verbose_name = _("listing to moderate")
        verbose_name_plural = _("listings to moderate")


class ListingStatusChange(StatusChange):
    """The moderation history of a listing, as the shop reads it: who decided what, and why."""

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("listing")
    )
    from_status = models.CharField(_("from"), max_length=16, choices=Listing.Status.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=Listing.Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta(StatusChange.Meta):
        verbose_name = _("listing decision")
        verbose_name_plural = _("listing decisions")

    def __str__(self):
        return f"{self.listing_id}: {self.from_status} → {self.to_status}"


class ListingReport(models.Model):
    """Someone (a customer, anyone) tells the chain a listing is wrong. Reports put the
    listing in the moderation queue until a moderator settles them."""

    class Reason(models.TextChoices):
        WRONG_ITEM = "wrong_item", _("Not the book described (wrong edition, wrong item)")
        WRONG_PRICE = "wrong_price", _("Price looks wrong")
        INAPPROPRIATE = "inappropriate", _("Inappropriate or illegal content")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        OPEN = "open", _("To look at")
        UPHELD = "upheld", _("Upheld: listing rejected")
        DISMISSED = "dismissed", _("Dismissed: listing kept")

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="reports", verbose_name=_("listing")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    message = models.TextField(_("details"), max_length=1000, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reporter_email = models.EmailField(_("reporter's email"), blank=True)
    # A keyed hash of the reporter's address (never the address itself): one report per
    # person and listing, and a limit per person and hour.
    reporter_fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("settled"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settled by"),
    )
    # The reporter's email, message and fingerprint were erased (privacy/retention.py).
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("listing report")
        verbose_name_plural = _("listing reports")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["listing"], condition=Q(status="open"), name="listing_report_open"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "reporter_fingerprint"],
                condition=Q(status="open"),
                name="listing_report_once_per_person",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} — {self.listing_id}"


def import_upload_to(stock_import, filename):
    return f"stock_imports/{stock_import.shop_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class StockImport(models.Model):
    """A stock file a bookseller uploaded: previewed first, then applied on request."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV (till software, spreadsheet)")
        ONIX = "onix", _("ONIX 3.0 (XML)")

    class Status(models.TextChoices):
        PREVIEWING = "previewing", _("Checking the file…")
        PREVIEWED = "previewed", _("Ready to apply")
        APPLYING = "applying", _("Applying…")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="stock_imports", verbose_name=_("shop")
    )
    file = models.FileField(_("file"), upload_to=import_upload_to, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    full_sync = models.BooleanField(
        _("full sync"),
        default=False,
        help_text=_("Set to 0 the quantity of every listing of the shop that is not in the file."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PREVIEWING)
    # When the import last moved (status, progress): one that stops moving in "previewing" or
    # "applying" lost its task, and the watchdog hands it over again (catalog/imports/services.py).
    moved_at = models.DateTimeField(_("last moved"), db_default=Now(), editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1, editable=False)
    rows_total = models.PositiveIntegerField(_("lines"), default=0)
    rows_done = models.PositiveIntegerField(_("lines checked"), default=0)
    counts = models.JSONField(_("summary"), default=dict, blank=True)
    # What the reader found out about the file: its encoding, the columns it recognised
    # and ignored, and warnings the bookseller should read before applying (catalog/imports/records.py).
    file_facts = models.JSONField(_("about the file"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # The report is written in the background, in the language of the person who uploaded.
    language = models.CharField(_("language"), max_length=8, default="fr")
    created_by = models.ForeignKey(
        "marketplace.User",
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock import")
        verbose_name_plural = _("stock imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} — {self.shop.trade_name}"

    @property
    def progress_percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class StockImportLine(models.Model):
    """One line of an import's report: what was (or would be) done, and why."""

    stock_import = models.ForeignKey(StockImport, on_delete=models.CASCADE, related_name="lines")
    line = models.PositiveIntegerField(_("line"))
    ean = models.CharField(_("EAN / ISBN"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    action = models.CharField(_("action"), max_length=16)
    message = models.TextField(_("details"), blank=True)

    class Meta:
        verbose_name = _("import line")
        verbose_name_plural = _("import lines")
        ordering = ["line"]
        indexes = [models.Index(fields=["stock_import", "action", "line"])]

    def __str__(self):
        return f"{self.line}: {self.action}"


class SearchTerm(models.Model):
    """A word (as the index stores it: unaccented, stemmed) of the catalogue, and in how
    many books it appears. The search corrects a mistyped word to a close known one."""

    term = models.CharField(max_length=100, primary_key=True)
    documents = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("search term")
        verbose_name_plural = _("search terms")

    def __str__(self):
        return self.term


class BookShopsPending(models.Model):
    """Books whose shops (Book.shop_ids) may be out of date for one shop: queued by the
    listing triggers for the big statements of stock imports, synced right after they
    commit (catalog/search_index.py). Up to 10,000 books a row, without foreign keys:
    queuing 100,000 of them costs a few rows."""

    shop_id = models.BigIntegerField()
    book_ids = ArrayField(models.BigIntegerField())

    class Meta:
        verbose_name = _("books' shops to sync")
        verbose_name_plural = _("books' shops to sync")

    def __str__(self):
        return f"{len(self.book_ids)} books @ {self.shop_id}"


class BookPrice(models.Model):
    """A publisher's price of a book from a date on, as a feed or head office gave it.

    Book.list_price is the one in force today, kept by catalog/reference.py when prices
    are loaded and by a daily job when a dated price comes into force. Shops never write
    here: what a shop says the publisher's price is stays a BookClaim."""

    class Source(models.TextChoices):
        FEED = "feed", _("Publisher or distributor feed")
        STAFF = "staff", _("Head office")

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="prices", verbose_name=_("book"))
    amount = models.DecimalField(
        _("publisher's price"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    effective_from = models.DateField(_("in force from"))
    # The last day, when the feed gives one (a launch price): the price before it, or
    # none, is in force again the day after.
    effective_until = models.DateField(_("in force until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    feed = models.ForeignKey(
        "CatalogueFeed",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("feed"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("publisher's price")
        verbose_name_plural = _("publisher's prices")
        ordering = ["book", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["book", "effective_from"], name="book_price_one_per_date"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="book_price_amount_positive"),
        ]

    def __str__(self):
        return f"{self.book_id}: {self.amount} from {self.effective_from}"


class BookClaim(models.Model):
    """What one shop says about a book of the shared catalogue: its publisher's price. It
    binds that shop's own listings only, and only while no better source says otherwise;
    head office reads the claims that disagree in the conflicts queue."""

    class Field(models.TextChoices):
        # Only the price binds (the loi Lang check): titles and publishers as tills write
        # them ("HARRY POTTER T1") differ from the reference without being claims.
        LIST_PRICE = "list_price", _("publisher's price")

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="claims", verbose_name=_("book"))
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="book_claims", verbose_name=_("shop")
    )
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    value = models.CharField(_("value"), max_length=500)
    updated_at = models.DateTimeField(_("claimed"), auto_now=True)
    # Head office looked at this claim (and kept or replaced the reference): it leaves the
    # queue until the shop claims something else.
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop's claim")
        verbose_name_plural = _("shops' claims")
        ordering = ["book", "field", "shop"]
        constraints = [
            models.UniqueConstraint(fields=["book", "shop", "field"], name="book_claim_one_per_shop_field"),
        ]
        indexes = [models.Index(fields=["book", "field"], condition=Q(reviewed_at__isnull=True),
                                name="book_claim_to_review")]  # fmt: skip

    def __str__(self):
        return f"{self.book_id} {self.field} = {self.value} ({self.shop_id})"


class BookInConflict(Book):
    """Books as the conflicts queue shows them: shops' claims disagree with each other or
    with the reference."""

    class Meta:
        proxy = True
        verbose_name = _("catalogue conflict")
        verbose_name_plural = _("catalogue conflicts")


def feed_upload_to(feed, filename):
    return f"catalogue_feeds/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class CatalogueFeed(models.Model):
    """A file of reference data loaded by head office: a publisher's or distributor's ONIX
    feed, or a CSV of publisher's prices (catalog/reference.py)."""

    class Status(models.TextChoices):
        LOADING = "loading", _("Loading…")
        LOADED = "loaded", _("Loaded")
        FAILED = "failed", _("Failed")

    file = models.FileField(_("file"), upload_to=feed_upload_to, storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=8, choices=StockImport.Format.choices)
    source = models.CharField(
        _("source"), max_length=8, choices=BookPrice.Source.choices, default=BookPrice.Source.FEED
    )
    # Head office's CSV of prices: the day they take effect (a feed's prices carry their own).
    effective_from = models.DateField(_("prices in force from"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.LOADING)
    # The feed's own date (ONIX header's SentDateTime), the effective date of prices that
    # give none.
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    counts = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Loads handed to the queue: the watchdog hands a feed stuck "loading" again a few
    # times (a lost task, a killed worker), then marks it failed (catalog/reference.py).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1, editable=False)
    created_by = models.ForeignKey(
        "marketplace.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("loaded by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    loaded_at = models.DateTimeField(_("loaded"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalogue feed")
        verbose_name_plural = _("catalogue feeds")
        ordering = ["-created_at"]

    def __str__(self):
        return self.original_name


class CatalogueRules(models.Model):
    """Rules of the shared catalogue that head office sets (one row)."""

    price_change_grace_days = models.PositiveSmallIntegerField(
        _("days to follow a publisher's price change"),
        default=15,
        help_text=_(
            "When a publisher's price changes, a shop's new-book listings outside the range the new price "
            "allows (95 to 100 percent of it) stay on sale this many days; then they wait off sale until their "
            "price is corrected."
        ),
    )

    class Meta:
        verbose_name = _("catalogue rules")
        verbose_name_plural = _("catalogue rules")

    def __str__(self):
        return str(_("Catalogue rules"))

    @classmethod
    def current(cls) -> "CatalogueRules":
        rules, _created = cls.objects.get_or_create(pk=1)
        return rules


class StockSyncSession(models.Model):
    """A full (or partial) stock sync sent through the API in pages: begun, filled page by
    page, then applied at once when committed. Abandoned sessions expire."""

    class Status(models.TextChoices):
        OPEN = "open", _("Receiving pages")
        COMMITTED = "committed", _("Applied")
        ABANDONED = "abandoned", _("Abandoned")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="stock_sync_sessions", verbose_name=_("shop")
    )
    full_sync = models.BooleanField(_("full sync"), default=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("begun"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("stock sync session")
        verbose_name_plural = _("stock sync sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], condition=Q(status="open"), name="stock_sync_open")]

    def __str__(self):
        return f"{self.shop_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class StockSyncPage(models.Model):
    """One page of items of a sync session, as received (validated when committed)."""

    session = models.ForeignKey(StockSyncSession, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    items = models.JSONField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["session", "number"]
        constraints = [models.UniqueConstraint(fields=["session", "number"], name="stock_sync_page_once")]

    def __str__(self):
        return f"{self.session_id} #{self.number}"


def new_alert_token() -> str:
    # The key of the links in the alert's emails (confirm, unsubscribe): unguessable.
    return secrets.token_urlsafe(32)


class StockAlert(models.Model):
    """ "Tell me when it is here": a customer's wish to hear once, by email, when a product
    no shop near their drive holds comes in stock around it (catalog/alerts.py).

    Double opt-in: written `pending` with a confirmation email, `active` once the person
    confirms from it. A trigger on the listings queues the product (StockAlertCheck) when
    one of its listings comes in stock and an alert waits for it; a job sends each
    alert's email once (`sent`). Unsubscribed from any of its emails; `expired` six
    months after it was left (ALERT_MONTHS)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Waiting for the product")
        SENT = "sent", _("Sent")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        EXPIRED = "expired", _("Expired")

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("product"))
    drive = models.ForeignKey(
        "shops.Drive", on_delete=models.CASCADE, related_name="stock_alerts", verbose_name=_("drive")
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_alert_token, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("left"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # What the email announced: the offer found (kept if the listing goes).
    listing = models.ForeignKey(
        Listing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offer found"),
    )
    # Whether the person reserved the product within two weeks of the email, written down
    # before their email is erased (privacy/retention.py): the dashboards count it from the
    # orders until then (backoffice/dashboard.py), and the same after.
    led_to_reservation = models.BooleanField(
        _("reserved after the email"), null=True, blank=True, editable=False
    )
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("stock alert")
        verbose_name_plural = _("stock alerts")
        ordering = ["-created_at"]
        constraints = [
            # One alert waiting per person, product and drive: asking again re-sends the link.
            models.UniqueConstraint(
                "book", "drive", models.functions.Lower("email"),
                name="stock_alert_one_waiting",
                condition=Q(status__in=["pending", "active"]),
            ),
        ]  # fmt: skip
        indexes = [
            # The trigger's and the job's look-up: alerts waiting for a product.
            models.Index(fields=["book"], condition=Q(status="active"), name="stock_alert_active_by_book"),
            models.Index(fields=["expires_at"], condition=Q(status__in=["pending", "active"]),
                         name="stock_alert_to_expire"),
            models.Index(fields=["drive", "status"], name="stock_alert_by_drive"),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.email} — {self.book_id} @ {self.drive_id} ({self.status})"


class StockAlertCheck(models.Model):
    """A product that came in stock at a shop while alerts wait for it: queued by the
    listing trigger (migration catalog 0014), consumed by catalog.alerts.alerts_send."""

    book_id = models.BigIntegerField()
    shop_id = models.BigIntegerField()
    queued_at = models.DateTimeField(db_default=Now())

    class Meta:
        verbose_name = _("stock alert check")
        verbose_name_plural = _("stock alert checks")

    def __str__(self):
        return f"{self.book_id} @ {self.shop_id}"
