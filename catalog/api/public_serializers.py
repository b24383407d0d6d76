"""Query parameters and answers of the public search and availability endpoints.

The rules are the web search form's (catalog/forms_search.py), except that the API
refuses a bad parameter where the page falls back to its default.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.ean import normalize_any_ean
from catalog.models import Book, ContributorRole, Listing, Subject
from catalog.search import MOST_RELEVANT, PER_PAGE, SORTS, BookQuery
from shops.api.serializers import (
    AbsoluteUrlField,
    DistanceField,
    LocationSerializer,
    PageUrlField,
    radius_field,
)

MAX_PAGE_SIZE = 50
# Euros, and cents if any: 12, 12.5 or 12.50 (up to 99999.99).
PRICE_PATTERN = r"^[0-9]{1,5}(?:\.[0-9]{1,2})?$"


@extend_schema_field({"type": "string", "pattern": PRICE_PATTERN, "example": "12.50"})
class PriceTextField(serializers.DecimalField):
    """A price in euros written as text (PRICE_PATTERN), in a query or a JSON body."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=7, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        price = super().to_internal_value(data)
        # A negative price gets min_value's message; 1e2, +12 or " 12" are numbers, not as described.
        if price >= 0 and not re.match(PRICE_PATTERN, str(data)):
            self.fail("invalid")
        return price


# --- Query parameters ------------------------------------------------------------------


class SearchParams(LocationSerializer):
    q = serializers.CharField(allow_blank=True, max_length=200, default="", help_text="Words, or an ISBN.")
    radius = radius_field()
    condition = serializers.ChoiceField(choices=["new", "used"], required=False, help_text="new or used.")
    shop = serializers.IntegerField(required=False, min_value=1, help_text="Only this shop (its id).")
    price_min = PriceTextField(required=False, help_text="Lowest price in euros.")
    price_max = PriceTextField(required=False, help_text="Highest price in euros.")
    subject = serializers.RegexField(
        r"^\d{4}$", required=False, help_text="A CLIL code: that subject and every subject under it."
    )
    kind = serializers.SlugField(
        required=False,
        max_length=40,
        help_text="Only products of this kind (its code: book, board-game, toy…).",
    )
    sort = serializers.ChoiceField(choices=SORTS, default="relevance")
    page = serializers.IntegerField(min_value=1, max_value=1000, default=1)
    page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=PER_PAGE)

    def validate_subject(self, code):
        if not Subject.objects.filter(code=code).exists():
            raise serializers.ValidationError(_("No subject has the CLIL code “%(code)s”.") % {"code": code})
        return code

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low, high = attrs.get("price_min"), attrs.get("price_max")
        if low is not None and high is not None and low > high:
            # The web form's message: same rule, same words.
            raise serializers.ValidationError(
                {"price_max": [_("The highest price must not be below the lowest.")]}
            )
        return attrs

    def book_query(self) -> BookQuery:
        params = self.validated_data
        return BookQuery(
            latitude=params["latitude"],
            longitude=params["longitude"],
            text=params["q"],
            radius_km=params["radius"],
            condition=params.get("condition", ""),
            shop_id=params.get("shop"),
            price_min=params.get("price_min"),
            price_max=params.get("price_max"),
            subject=params.get("subject", ""),
            kind=params.get("kind", ""),
            sort=params["sort"],
            page=params["page"],
            per_page=params["page_size"],
        )


class AvailabilityParams(LocationSerializer):
    radius = radius_field()


def valid_availability_request(*, query_params, ean: str) -> dict:
    """The query parameters and the EAN of the path, checked together so that one 400
    lists every problem. Adds the normalized `ean` to the validated parameters."""
    params = AvailabilityParams(data=query_params)
    errors = {} if params.is_valid() else dict(params.errors)
    try:
        ean = normalize_any_ean(ean)
    except DjangoValidationError as exc:
        errors["ean"] = exc.messages
    if errors:
        raise serializers.ValidationError(errors)
    return {**params.validated_data, "ean": ean}


# --- Answers ---------------------------------------------------------------------------


class ContributorSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=ContributorRole.choices)


class BookResultSerializer(serializers.Serializer):
    ean = serializers.CharField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    authors = serializers.CharField(help_text="The authors' names, comma-separated.")
    contributors = ContributorSerializer(many=True)
    publisher = serializers.CharField()
    cover_thumbnail_url = AbsoluteUrlField()
    list_price = serializers.DecimalField(
        max_digits=7, decimal_places=2, allow_null=True, help_text="Publisher's fixed price."
    )
    min_price = serializers.DecimalField(max_digits=7, decimal_places=2)
    max_price = serializers.DecimalField(max_digits=7, decimal_places=2)
    shop_count = serializers.IntegerField(help_text="Shops within the radius that have it.")
    has_new = serializers.BooleanField()
    has_used = serializers.BooleanField()
    nearest_km = DistanceField(help_text="Kilometres to the nearest shop that has it.")
    url = PageUrlField("book", lookup="ean", help_text="The book's web page.")
    kind = serializers.CharField(help_text="The product's kind (its code): book, board-game, toy…")
    attributes = serializers.DictField(
        help_text='What describes a product of its kind, by attribute code: {"brand": "Libellud", "age-range": '
        "[10, 99]} (a range is [low, high]). Empty for a book."
    )


class SearchResultsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Books found, on every page.")
    more = serializers.BooleanField(
        help_text=(
            "More books match than the `count` offered. Sorted by relevance, a search offers at most the "
            f"{MOST_RELEVANT} most relevant books (with words) or newest titles (without words or subject). "
            "Add words to narrow it, or sort by price or distance to get them all."
        )
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    corrections = serializers.DictField(
        child=serializers.CharField(), help_text="Mistyped word (as indexed) → the word searched instead."
    )
    isbn = serializers.CharField(help_text="The EAN searched, when the query was an ISBN; else empty.")
    results = BookResultSerializer(many=True)


class BookSerializer(serializers.ModelSerializer):
    contributors = ContributorSerializer(many=True)
    kind = serializers.CharField(
        source="kind_id", help_text="The product's kind (its code): book, board-game…"
    )
    cover_url = AbsoluteUrlField(source="cover")
    cover_thumbnail_url = AbsoluteUrlField(source="cover_thumbnail")
    url = PageUrlField("book", lookup="ean", help_text="The book's web page.")

    class Meta:
        model = Book
        fields = ["ean", "isbn", "title", "subtitle", "authors", "contributors", "publisher", "imprint",
                  "publication_date", "language", "page_count", "format", "description", "clil_code",
                  "list_price", "cover_url", "cover_thumbnail_url", "url", "kind", "attributes"]  # fmt: skip


class OfferShopSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(source="trade_name")
    town = serializers.CharField()
    distance_km = DistanceField()
    url = PageUrlField("shop", help_text="The bookshop's web page.")


class OfferSerializer(serializers.Serializer):
    listing = serializers.IntegerField(
        source="listing.id",
        help_text="The offer's id: what a reservation (POST /api/v1/reservations/) asks for.",
    )
    shop = OfferShopSerializer()
    price = serializers.DecimalField(source="listing.price", max_digits=7, decimal_places=2)
    condition = serializers.ChoiceField(source="listing.condition", choices=Listing.Condition.choices)
    condition_label = serializers.CharField(source="listing.get_condition_display")
    stock = serializers.SerializerMethodField(help_text="in_stock, or last_copy when one copy is left.")

    @extend_schema_field(serializers.ChoiceField(choices=["in_stock", "last_copy"]))
    def get_stock(self, offer) -> str:
        return "last_copy" if offer.is_last_copy else "in_stock"


class OrderFromSerializer(serializers.Serializer):
    """A bookshop near by that orders the book from its distributor ("order it for me")."""

    shop = OfferShopSerializer()
    order_days = serializers.IntegerField(help_text="Its usual time to get an ordered book, in days.")
    url = serializers.SerializerMethodField(help_text="The web page where the customer asks the shop for it.")

    @extend_schema_field(serializers.URLField())
    def get_url(self, option) -> str:
        book = self.context["book"]
        path = reverse("distributor_order", args=[book.ean, option.shop.slug])
        return self.context["request"].build_absolute_uri(path)


class AvailabilitySerializer(serializers.Serializer):
    book = BookSerializer()
    offers = OfferSerializer(many=True, help_text="Nearest shop first, then cheapest.")
    order_from = OrderFromSerializer(
        many=True,
        help_text="When no shop near by has the book in stock: the bookshops around that would order it for the "
        "customer from their distributor, nearest first (empty otherwise, and for products other than books).",
    )
