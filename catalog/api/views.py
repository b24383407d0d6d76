from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.serializers import (
    StockBulkResultSerializer,
    StockBulkSerializer,
    StockItemSerializer,
    StockListingSerializer,
)
from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import parse_price
from catalog.imports.records import ContributorRecord, StockRow
from catalog.models import Book, Listing
from shops.authentication import IsShopClient, ShopApiKeyAuthentication


class ShopApiView:
    """Endpoints for a shop's till software: the key decides the shop, and nothing
    outside that shop is ever read or written."""

    authentication_classes = [ShopApiKeyAuthentication]
    permission_classes = [IsShopClient]

    @property
    def shop(self):
        return self.request.user.shop


@extend_schema(
    tags=["stock"],
    parameters=[
        OpenApiParameter("ean", description="Only this EAN-13."),
        OpenApiParameter("updated_since", description="Only listings changed since this ISO 8601 date-time."),
    ],
)
class StockListingList(ShopApiView, generics.ListAPIView):
    """The shop's listings, most recently changed first."""

    serializer_class = StockListingSerializer

    def get_queryset(self):
        listings = Listing.objects.filter(shop=self.shop).select_related("book").order_by("-updated_at", "pk")
        if ean := self.request.query_params.get("ean"):
            listings = listings.filter(book__ean=ean)
        if since := self.request.query_params.get("updated_since"):
            listings = listings.filter(updated_at__gte=since)
        return listings


class StockBulkUpdate(ShopApiView, APIView):
    """Create or update many listings at once, by EAN."""

    @extend_schema(
        tags=["stock"],
        request=inline_serializer("StockBulkRequest", {"items": StockItemSerializer(many=True),
                                                       "full_sync": serializers.BooleanField(default=False)}),
        responses={200: StockBulkResultSerializer},
        description=(
            "Each item is checked on its own: refused items (bad EAN, price outside the fixed book price "
            "law, negative quantity...) are reported with their reason and not applied; all the others are "
            "applied together in one transaction. Sending the same batch twice changes nothing the second time."
        ),
    )  # fmt: skip
    def post(self, request):
        batch = StockBulkSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        rows = [_row(index, item) for index, item in enumerate(batch.validated_data["items"])]
        plan = stock_import_apply(
            shop=self.shop,
            rows=rows,
            full_sync=batch.validated_data["full_sync"],
            source=Book.Source.STOCK_FILE,
        )
        results = [
            {"index": line.line - 1, "ean": line.ean, "result": line.action, "message": line.message}
            for line in plan.lines
        ]
        return Response({"summary": plan.counts, "items": results}, status=status.HTTP_200_OK)


def _row(index: int, item: dict) -> StockRow:
    """An API item as a line of a stock file, for the same planner."""

    def text(key, default=None):
        value = item.get(key, default)
        return None if value is None else str(value)

    ean = item.get("ean")
    authors = item.get("authors") or []
    list_price = parse_price(text("list_price") or "") if item.get("list_price") is not None else None
    return StockRow(
        line=index + 1,
        ean=ean if isinstance(ean, str) else "",
        quantity=text("quantity"),
        price=text("price"),
        condition=text("condition", "new"),
        title=text("title", ""),
        contributors=[
            ContributorRecord(name=str(name), role="author") for name in authors if str(name).strip()
        ],
        publisher=text("publisher", ""),
        list_price=list_price,
        error="" if isinstance(ean, str) and ean else _("Each item needs an “ean” (text)."),
    )
