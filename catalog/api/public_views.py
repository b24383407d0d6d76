"""Public read endpoints of the catalogue: the search, and where a book is near a point."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from catalog.api.public_serializers import (
    AvailabilityParams,
    AvailabilitySerializer,
    SearchParams,
    SearchResultsSerializer,
    valid_availability_request,
)
from catalog.search import search_books
from catalog.selectors import book_by_ean, offers_near, shops_ordering
from marketplace.api_schema import BAD_PARAMETERS, NOT_FOUND, THROTTLED
from shops.api.views import PublicReadView
from shops.selectors import shops_near


class BookSearch(PublicReadView):
    serializer_class = SearchResultsSerializer
    pagination_class = None  # pages come from the search itself

    @extend_schema(
        tags=["search"],
        summary="Search books in stock near a drive or a point",
        description=(
            "The web search: books that open bookshops within `radius` km have in stock, each with its "
            "price range, number of shops and nearest distance. Give the location as `drive` or as "
            "`lat` and `lon`. A page past the last one is empty."
        ),
        parameters=[SearchParams],
        responses={200: SearchResultsSerializer, 400: BAD_PARAMETERS, 429: THROTTLED},
    )
    def get(self, request):
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = search_books(params.book_query())
        page = found.query.page
        answer = {
            "count": found.total,
            "more": found.more,
            "next": _page_link(request, page + 1) if page < found.pages else None,
            "previous": _page_link(request, min(page - 1, found.pages)) if page > 1 else None,
            "page": page,
            "pages": found.pages,
            "corrections": found.corrections,
            "isbn": found.isbn,
            "results": found.results,
        }
        return Response(self.get_serializer(answer).data)


def _page_link(request, page: int) -> str:
    url = request.build_absolute_uri()
    return remove_query_param(url, "page") if page == 1 else replace_query_param(url, "page", page)


class BookAvailability(PublicReadView):
    serializer_class = AvailabilitySerializer
    pagination_class = None

    @extend_schema(
        tags=["search"],
        summary="A book's offers near a drive or a point",
        description=(
            "The book, and the offers (published, in stock) of the open bookshops within `radius` km, "
            "nearest shop first, then cheapest."
        ),
        parameters=[
            OpenApiParameter(
                "ean",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="EAN-13 / ISBN-13; hyphens and ISBN-10 accepted.",
            ),
            AvailabilityParams,
        ],
        responses={200: AvailabilitySerializer, 400: BAD_PARAMETERS, 404: NOT_FOUND, 429: THROTTLED},
    )
    def get(self, request, ean):
        asked = valid_availability_request(query_params=request.query_params, ean=ean)
        book = book_by_ean(asked["ean"])
        if book is None:
            raise NotFound
        shops = shops_near(
            latitude=asked["latitude"], longitude=asked["longitude"], radius_km=asked["radius"]
        )
        offers = offers_near(book=book, shops=shops)
        order_from = shops_ordering(book=book, shops=shops) if not offers else []
        serializer = self.get_serializer({"book": book, "offers": offers, "order_from": order_from})
        serializer.context["book"] = book
        return Response(serializer.data)
