import re
from datetime import UTC, datetime, time

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.ean import normalize_book_ean
from catalog.models import Listing, StockSyncSession
from marketplace.api_fields import StrictBooleanField

MAX_ITEMS = 5_000  # per request: a bulk update, or a page of a sync session
CONFIRM_ZEROING = "confirm_zeroing"


class StockListingSerializer(serializers.ModelSerializer):
    ean = serializers.CharField(source="book.ean")
    title = serializers.CharField(source="book.title")

    class Meta:
        model = Listing
        fields = ["ean", "title", "condition", "price", "quantity", "status", "updated_at"]


class StockItemSerializer(serializers.Serializer):
    """One item of a bulk update, as documented. Items are read as any object and judged
    one by one afterwards, so that a bad item is refused alone (with its reason, in the
    answer's `items`) instead of failing the whole batch: any value is accepted here."""

    ean = serializers.JSONField(
        required=False,
        help_text=(
            "Text: EAN-13 / ISBN-13 (ISBN-10 and hyphens accepted; a 12-digit UPC for products other than "
            "books). An item without it, or without a reference, is refused."
        ),
    )
    kind = serializers.JSONField(
        required=False,
        help_text=(
            "The kind of product, by its code (book, board-game, toy, or one head office added) or its name. "
            "Omit it for the shop's usual kind (book for a bookshop). A product already in the catalogue keeps "
            "its kind."
        ),
    )
    reference = serializers.JSONField(
        required=False,
        help_text=(
            "For a product without a barcode (no ean): the shop's own reference for it. Such a product belongs "
            "to the shop alone."
        ),
    )
    attributes = serializers.JSONField(
        required=False,
        help_text=(
            'For a product not in the catalogue yet, what its kind asks (by attribute code), e.g. {"brand": '
            '"Asmodee", "age-range": "8-12", "players": [2, 4]}. Required attributes missing: the item is refused.'
        ),
    )
    quantity = serializers.JSONField(
        required=False, help_text="Copies in stock (integer ≥ 0). Omit to keep it."
    )
    price = serializers.JSONField(
        required=False, help_text='Selling price in euros incl. tax ("12.50" or 12.5). Omit to keep it.'
    )
    condition = serializers.JSONField(
        required=False,
        help_text="new (the default), used_like_new, used_very_good, used_good or used_acceptable.",
    )
    title = serializers.JSONField(required=False, help_text="Text, for a book not in the catalogue yet.")
    authors = serializers.JSONField(required=False, help_text="A list of names (or one name), idem.")
    publisher = serializers.JSONField(required=False, help_text="Text, idem.")
    list_price = serializers.JSONField(
        required=False,
        help_text=(
            "The publisher's price as the shop knows it. While the shared catalogue has no reference price for "
            "the book, it checks this shop's own listing (fixed book price law), which then waits for moderation; "
            "it never becomes the catalogue's price. A price that differs from the reference is reported to head "
            "office."
        ),
    )


def _confirm_zeroing_field():
    return StrictBooleanField(
        default=False,
        help_text=(
            "With full_sync: apply it even if it sets more than half of the listings in stock to 0. Without "
            "it, such a sync answers 409 (code zeroing_needs_confirmation) and changes nothing."
        ),
    )


class StockBulkSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_ITEMS)
    full_sync = StrictBooleanField(
        default=False, help_text="The items are the whole stock: listings not in them go to quantity 0."
    )
    confirm_zeroing = _confirm_zeroing_field()


class StockBulkRequestSerializer(StockBulkSerializer):
    """The body of a bulk update, as documented: StockBulkSerializer reads it."""

    items = serializers.ListField(child=StockItemSerializer(), min_length=1, max_length=MAX_ITEMS)


class StockItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request, from 0.")
    ean = serializers.CharField()
    result = serializers.ChoiceField(choices=["create", "update", "unchanged", "refuse"])
    message = serializers.CharField(help_text="What changed, or why the item was refused.")


class StockBulkResultSerializer(serializers.Serializer):
    summary = serializers.DictField(child=serializers.IntegerField())
    items = StockItemResultSerializer(many=True)


class StockErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people (in the Accept-Language).")
    code = serializers.CharField(help_text="What went wrong, for programs.")


class ZeroingNeedsConfirmationSerializer(StockErrorSerializer):
    """The 409 of a full sync that would set most of the stock to 0 (code
    zeroing_needs_confirmation)."""

    zeroed = serializers.IntegerField(help_text="Listings in stock the sync would set to 0.")
    in_stock = serializers.IntegerField(help_text="The shop's listings in stock (copies not reserved) now.")
    confirm_with = serializers.CharField(
        help_text=f"The flag to send as true to apply it: {CONFIRM_ZEROING}."
    )


class SyncConflictSerializer(StockErrorSerializer):
    """The 409 of a commit: `zeroed`, `in_stock` and `confirm_with` with
    zeroing_needs_confirmation only."""

    zeroed = serializers.IntegerField(required=False)
    in_stock = serializers.IntegerField(required=False)
    confirm_with = serializers.CharField(required=False)


# --- Parameters of the listings -----------------------------------------------------------


class EanField(serializers.CharField):
    """A book's EAN-13 from an ISBN-13 or ISBN-10, with or without hyphens."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            return normalize_book_ean(text)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


# The ISO 8601 forms MomentField reads: a date, or a date and a time, with or without an
# offset (a "+" left unescaped in a query string arrives as a space). [0-9], not \d: the
# description is read by other regex dialects, where \d may mean other scripts' digits.
_DAY = r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.,][0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[ +-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)"
MOMENT_PATTERN = rf"^{_DAY}(?:[T ]{_TIME}{_OFFSET}?)?$"


@extend_schema_field(
    {
        "type": "string",
        "pattern": MOMENT_PATTERN,
        "example": "2025-03-14T09:30:00+01:00",
        "description": "ISO 8601: 2025-03-14, 2025-03-14T09:30:00 (Paris time) or 2025-03-14T09:30:00+01:00.",
    }
)
class MomentField(serializers.Field):
    """An ISO 8601 date or date-time (MOMENT_PATTERN). A date is its midnight, and a time
    without an offset is the site's local time (Europe/Paris), as a French till writes it."""

    default_error_messages = {
        "invalid": _(
            "Give an ISO 8601 date (2025-03-14) or date and time (2025-03-14T09:30:00+01:00), not “{value}”."
        )
    }
    SHAPE = re.compile(MOMENT_PATTERN)
    # A "+" in a query string arrives as a space ("…T09:30:00 01:00"): it is put back.
    SPACE_FOR_PLUS = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)$")

    def to_internal_value(self, data):
        text = str(data)
        if not self.SHAPE.match(text):
            self.fail("invalid", value=text[:40])
        text = self.SPACE_FOR_PLUS.sub(r"\1+\2", text)
        try:
            moment = parse_datetime(text)
            day = parse_date(text) if moment is None else None
            if day is not None:
                moment = datetime.combine(day, time.min)
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            # In UTC: PostgreSQL takes offsets up to 15:59 only (ISO 8601, up to 23:59); and
            # years 1 and 9999 may overflow it.
            moment = moment.astimezone(UTC)
        except (ValueError, OverflowError):  # well formed, but no such day (2025-02-30, year 0)
            self.fail("invalid", value=text[:40])
        return moment

    def to_representation(self, value):
        return value.isoformat()


class StockListingParams(serializers.Serializer):
    ean = EanField(required=False, help_text="Only this book (EAN-13, ISBN-13 or ISBN-10, hyphens accepted).")
    condition = serializers.ChoiceField(
        choices=Listing.Condition.choices, required=False, allow_blank=True, help_text="Only this condition."
    )
    updated_since = MomentField(
        required=False,
        help_text=(
            "Only listings changed since then: an ISO 8601 date (its midnight) or date-time; without an offset, "
            "the time is Paris time."
        ),
    )


# --- Sync sessions ------------------------------------------------------------------------


class SyncSessionBeginSerializer(serializers.Serializer):
    full_sync = StrictBooleanField(
        default=False,
        help_text="The pages will hold the whole stock: when committed, listings in none of them go to 0.",
    )


class SyncPageSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        max_length=MAX_ITEMS,
        help_text="Items as in the bulk update (StockItem), checked one by one when the session is committed.",
    )


class SyncCommitSerializer(serializers.Serializer):
    confirm_zeroing = _confirm_zeroing_field()
    pages = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="How many pages you put: the commit is refused (409 pages_missing) unless they are 1 to this.",
    )


class SyncPageInfoSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    item_count = serializers.IntegerField()
    received_at = serializers.DateTimeField()


class SyncRefusedItemSerializer(serializers.Serializer):
    position = serializers.IntegerField(
        help_text="Position of the item in the whole session, from 0, in page order."
    )
    page = serializers.IntegerField(help_text="The page it came in.")
    index = serializers.IntegerField(help_text="Its position in that page, from 0.")
    ean = serializers.CharField()
    message = serializers.CharField(help_text="Why it was refused.")


class SyncResultSerializer(serializers.Serializer):
    summary = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Items created, updated, unchanged and refused; listings set to 0 (zeroed).",
    )
    refused = SyncRefusedItemSerializer(many=True, help_text="The refused items only.")


class SyncSessionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=StockSyncSession.Status.choices)
    full_sync = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(
        help_text="While open: when it expires unless another page comes (each page pushes it back)."
    )
    finished_at = serializers.DateTimeField(
        allow_null=True, help_text="When committed, abandoned or expired."
    )
    pages = SyncPageInfoSerializer(many=True, help_text="The pages received, while open.")
    item_count = serializers.IntegerField(
        help_text="Items received (once committed: items applied or refused)."
    )
    max_items = serializers.IntegerField(help_text="Items a session may hold.")
    max_page_items = serializers.IntegerField(help_text="Items a page may hold.")
    result = SyncResultSerializer(allow_null=True, help_text="Once committed: what was applied.")
