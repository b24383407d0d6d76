"""What the orders API reads (a reservation, a shop's decision) and what it answers.

The customer's answers carry the order's token (their key to it); the shop's answers
carry the customer's contact details instead, and never the token.
"""

import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from catalog.api.public_serializers import PriceTextField
from catalog.models import Listing
from marketplace.api_fields import StrictBooleanField, StrictCharField
from marketplace.api_schema import ErrorSerializer
from orders.models import Checkout, Order, OrderEvent, OrderLine
from orders.services import (
    CartLine,
    CustomerDetails,
    LineProblem,
)
from shops.forms import PHONE_ERROR
from shops.models import Shop

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 100
_IDEMPOTENCY_KEY_SHAPE = re.compile(rf"^[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$")
# The same, as the description says it: the header's value is read without the spaces around it.
IDEMPOTENCY_KEY_PATTERN = rf"^[\x21-\x7e](?:[\x20-\x7e]{{0,{IDEMPOTENCY_KEY_MAX_LENGTH - 2}}}[\x21-\x7e])?$"
PRICE = {"max_digits": 7, "decimal_places": 2}


def checkout_key(idempotency_key: str) -> str:
    """The checkout's key for an API request: its Idempotency-Key, kept apart from the
    web form's keys by a prefix. Checkout.key holds 100 characters, so a key too long
    for the prefix is hashed, under another prefix: it can never meet a key sent as is."""
    key = "api:" + idempotency_key
    if len(key) <= Checkout._meta.get_field("key").max_length:
        return key
    return "api#" + hashlib.sha256(idempotency_key.encode()).hexdigest()


# --- Requests --------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": "[0-9]", "example": "06 12 34 56 78"})
class PhoneField(PhoneNumberField):
    """A telephone number: the description can only say it holds digits."""


class CustomerRequestSerializer(serializers.Serializer):
    name = StrictCharField(max_length=150, help_text="The name the shop asks for at the counter.")
    email = serializers.EmailField(max_length=254, help_text="Where the confirmation and updates go.")
    phone = PhoneField(
        region="FR",
        error_messages={"invalid": PHONE_ERROR},
        help_text="French formats (06 12 34 56 78) or international (+33 6 12 34 56 78); answered in E.164.",
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text="Language of the emails and order pages: fr (default) or en.",
    )


class LineRequestSerializer(serializers.Serializer):
    listing = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The listing's id.")
    # The reservation limits (orders/limits.py) as the contract states them; the service
    # checks them again whatever the caller.
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=settings.RESERVATION_MAX_COPIES_PER_LINE,
        help_text=f"Copies, 1 to {settings.RESERVATION_MAX_COPIES_PER_LINE}.",
    )
    price = PriceTextField(
        required=False,
        help_text=(
            "Optional: the unit price in euros the customer was shown (text: 8.50). If the shop changed it "
            "since, nothing is reserved and the answer reports a `price` problem."
        ),
    )


@extend_schema_field({"type": "boolean", "enum": [True]})
class AcceptedField(StrictBooleanField):
    """A box the customer must tick: anything but true is refused (by the serializer)."""


class ReservationRequestSerializer(serializers.Serializer):
    customer = CustomerRequestSerializer()
    accept_terms = AcceptedField(
        help_text="Must be true: the customer accepted the reservation terms (the site's /reservation/terms/ page)."
    )
    lines = serializers.ListField(
        child=LineRequestSerializer(),
        allow_empty=False,
        min_length=1,  # for the description: allow_empty refuses [] with its own message first
        max_length=settings.RESERVATION_MAX_LINES_PER_CHECKOUT,
        help_text=f"1 to {settings.RESERVATION_MAX_LINES_PER_CHECKOUT} lines, each listing once; any shops.",
    )

    def validate_accept_terms(self, accepted):
        if not accepted:
            raise serializers.ValidationError(_("Please accept the reservation terms to reserve."))
        return accepted

    def validate_lines(self, lines):
        asked = [line["listing"] for line in lines]
        known = set(Listing.objects.filter(pk__in=asked).values_list("pk", flat=True))
        # Errors by position in the list, as DRF reports those of each line's fields.
        errors, seen = {}, set()
        for index, listing_id in enumerate(asked):
            if listing_id not in known:
                errors[index] = {"listing": [_("No listing has the id %(id)s.") % {"id": listing_id}]}
            elif listing_id in seen:
                errors[index] = {
                    "listing": [
                        _("Listing %(id)s is given twice: give each listing once.") % {"id": listing_id}
                    ]
                }
            seen.add(listing_id)
        if errors:
            raise serializers.ValidationError(errors)
        return lines


@dataclass(frozen=True)
class Reservation:
    """A valid reservation request, in the service's terms."""

    key: str
    lines: list[CartLine]
    customer: CustomerDetails


def valid_reservation_request(*, data, idempotency_key: str | None) -> Reservation:
    """The body and the Idempotency-Key header, checked together so that one 400 lists
    every problem."""
    body = ReservationRequestSerializer(data=data)
    errors = {} if body.is_valid() else dict(body.errors)
    idempotency_key = (idempotency_key or "").strip()
    if not idempotency_key:
        errors[IDEMPOTENCY_HEADER] = [
            _("Send an Idempotency-Key header: a random value (a UUID) you send again to retry this request.")
        ]
    elif not _IDEMPOTENCY_KEY_SHAPE.match(idempotency_key):
        errors[IDEMPOTENCY_HEADER] = [
            _("The Idempotency-Key must be 1 to %(max)s printable ASCII characters, for example a UUID.")
            % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
        ]
    if errors:
        raise serializers.ValidationError(errors)

    customer = body.validated_data["customer"]
    return Reservation(
        key=checkout_key(idempotency_key),
        lines=[
            CartLine(listing_id=line["listing"], quantity=line["quantity"], seen_price=line.get("price"))
            for line in body.validated_data["lines"]
        ],
        customer=CustomerDetails(
            name=customer["name"],
            email=customer["email"],
            phone=customer["phone"].as_e164,
            language=customer["language"],
        ),
    )


class RefuseRequestSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=2000, help_text="Why the shop refuses: the customer reads it.")


class LineUnavailableRequestSerializer(serializers.Serializer):
    reason = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=OrderLine._meta.get_field("unavailable_reason").max_length,
        help_text="Optional: why (damaged, sold at the counter); the customer reads it.",
    )


class ShopOrderListParams(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Order.Status.choices,
        required=False,
        allow_blank=True,
        help_text="Only the orders in this status (placed: waiting for the shop's answer).",
    )


# --- Answers ---------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.URI)
class CustomerPageUrlField(serializers.Field):
    """The absolute address of the customer's page of an order or a checkout, in the
    customer's language (the link of their emails)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        with translation.override(value.language):
            path = value.customer_url()
        return self.context["request"].build_absolute_uri(path)


class OrderShopSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="trade_name")
    phone = serializers.CharField()

    class Meta:
        model = Shop
        fields = ["name", "address", "postcode", "town", "phone"]


class OrderLineSerializer(serializers.ModelSerializer):
    listing = serializers.IntegerField(
        source="listing_id", allow_null=True, help_text="None for a book ordered from the distributor."
    )
    condition_label = serializers.CharField(source="get_condition_display")
    amount = serializers.DecimalField(max_digits=9, decimal_places=2, help_text="unit_price × quantity.")
    unavailable_reason = serializers.CharField(help_text="Why the shop cannot serve the line, if it said.")

    class Meta:
        model = OrderLine
        fields = ["id", "listing", "ean", "title", "condition", "condition_label", "unit_price", "quantity",
                  "amount", "is_unavailable", "unavailable_reason"]  # fmt: skip
        extra_kwargs = {
            "is_unavailable": {"help_text": "The shop cannot serve this line: it is not paid for."}
        }


class OrderEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at")
    by = serializers.ChoiceField(source="actor_kind", choices=OrderEvent.Actor.choices)
    line = serializers.IntegerField(
        source="line_id", allow_null=True, help_text="The line the event is about (marked unavailable)."
    )

    class Meta:
        model = OrderEvent
        fields = ["at", "from_status", "to_status", "by", "line", "note"]


class OrderBaseSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    lines = OrderLineSerializer(many=True)
    amount = serializers.DecimalField(
        source="total",
        max_digits=9,
        decimal_places=2,
        help_text="What the customer pays at the shop, in euros: the lines the shop can serve.",
    )
    events = OrderEventSerializer(many=True, help_text="The order's history, oldest first.")

    class Meta:
        model = Order
        fields = ["reference", "status", "status_label", "placed_at", "updated_at", "answer_by", "lines",
                  "amount", "refusal_reason", "events", "from_distributor", "expected_on"]  # fmt: skip
        extra_kwargs = {
            "from_distributor": {
                "help_text": "A book the shop did not hold, ordered from its distributor for the customer "
                '("order it for me"): accepted, then `ordered`, then ready.'
            },
            "expected_on": {
                "help_text": "For such an order: the day the shop expects the book (once accepted)."
            },
            "answer_by": {
                "help_text": "The shop accepts or refuses the order by then; a placed order still unanswered "
                "is then closed with the status `unanswered` and its copies released."
            },
        }


class CustomerOrderSerializer(OrderBaseSerializer):
    shop = OrderShopSerializer(help_text="Where to collect the books (and pay for them).")
    url = CustomerPageUrlField(help_text="The order's web page (the link of the customer's emails).")
    can_cancel = serializers.BooleanField(source="can_be_cancelled")

    class Meta(OrderBaseSerializer.Meta):
        fields = ["token", "url", *OrderBaseSerializer.Meta.fields, "shop", "can_cancel"]
        extra_kwargs = {
            **OrderBaseSerializer.Meta.extra_kwargs,
            "token": {"help_text": "The customer's key to the order in this API."},
        }


class CheckoutSerializer(serializers.ModelSerializer):
    url = CustomerPageUrlField(help_text="The confirmation page, with every order of the reservation.")
    orders = CustomerOrderSerializer(many=True, help_text="One order per shop.")

    class Meta:
        model = Checkout
        fields = ["token", "url", "orders"]


class OrderCustomerSerializer(serializers.Serializer):
    name = serializers.CharField(source="customer_name")
    email = serializers.EmailField(source="customer_email")
    phone = serializers.CharField(source="customer_phone", help_text="E.164.")
    language = serializers.CharField()

    def get_attribute(self, order):
        # What the shop may still see of its customer (orders.selectors.
        # customer_details_visible, annotated by the views): nothing when unsure.
        return order if getattr(order, "customer_details_visible", False) else None


class ShopOrderSerializer(OrderBaseSerializer):
    customer = OrderCustomerSerializer(
        source="*",
        allow_null=True,
        help_text=(
            "Who reserved it. Null once the shop no longer sees it: "
            f"{settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS} days after the order closed (collected, refused, "
            "cancelled, expired, not answered), or once the customer's details were erased. The reference "
            "stays."
        ),
    )

    class Meta(OrderBaseSerializer.Meta):
        fields = [*OrderBaseSerializer.Meta.fields, "customer"]

    def to_representation(self, order):
        data = super().to_representation(order)
        if not getattr(order, "customer_details_visible", False):
            # The shop's own words (a refusal's reason, a note, why a line is unavailable)
            # may quote the customer: past the period they go with the details.
            data["refusal_reason"] = ""
            for item in (*data["events"], *data["lines"]):
                for key in ("note", "unavailable_reason"):
                    if key in item:
                        item[key] = ""
        return data


class LineProblemSerializer(serializers.Serializer):
    listing = serializers.IntegerField(
        source="listing_id", allow_null=True, help_text="None for a book ordered from the distributor."
    )
    kind = serializers.ChoiceField(
        choices=[
            LineProblem.Kind.GONE,
            LineProblem.Kind.AWAY,
            LineProblem.Kind.SHORT,
            LineProblem.Kind.PRICE,
        ],
        help_text=(
            "gone: no longer offered; away: the shop is on holiday until `away_until`; "
            "short: fewer copies left than asked; price: the price changed."
        ),
    )
    title = serializers.CharField()
    shop = serializers.CharField(source="shop_name")
    asked = serializers.IntegerField()
    available = serializers.IntegerField(help_text="Copies that can be reserved now.")
    seen_price = serializers.DecimalField(allow_null=True, help_text="The price the request gave.", **PRICE)
    price = serializers.DecimalField(allow_null=True, help_text="The price now (for `price`).", **PRICE)
    away_until = serializers.DateField(
        allow_null=True,
        help_text="Last day of the shop's holiday (for `away`): reservations resume the day after.",
    )
    message = serializers.CharField(help_text="The problem in words, for the customer.")


class ReservationLimitSerializer(ErrorSerializer):
    limit = serializers.CharField(
        required=False, help_text="With `reservation_limit`: which limit the reservation would go past."
    )


class StockChangedSerializer(ReservationLimitSerializer):
    """The 409 answers of a reservation: `problems` with `stock_changed`, `limit` with
    `reservation_limit`, neither with `idempotency_conflict`."""

    problems = LineProblemSerializer(many=True, required=False)
