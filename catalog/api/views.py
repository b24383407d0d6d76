"""The stock API for till software: the key decides the shop.

A stock too big for one request (5,000 items) goes in pages of a sync session
(catalog/stock_sync.py): begin, put the pages, commit. A full sync that would set more
than half of the stock to 0 answers 409 until the caller confirms it.
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import stock_sync
from catalog.api.serializers import (
    CONFIRM_ZEROING,
    MAX_ITEMS,
    StockBulkRequestSerializer,
    StockBulkResultSerializer,
    StockBulkSerializer,
    StockErrorSerializer,
    StockListingParams,
    StockListingSerializer,
    SyncCommitSerializer,
    SyncConflictSerializer,
    SyncPageSerializer,
    SyncSessionBeginSerializer,
    SyncSessionSerializer,
    ZeroingNeedsConfirmationSerializer,
)
from catalog.imports.apply import ZeroingNeedsConfirmation, stock_import_apply
from catalog.models import Book, Listing, StockSyncSession
from catalog.selectors import stock_sync_pages, stock_sync_session_for_shop
from marketplace.api_schema import BAD_PARAMETERS, NO_KEY, NOT_FOUND
from shops.api.views import PublicPagination, valid_params
from shops.authentication import IsShopClient, ShopApiKeyAuthentication

ZEROING_EXAMPLE = {
    "detail": "Listings in stock this full sync would set to 0: 1001 of 1002. Nothing was changed. If that is "
    "what you mean, send the request again with “confirm_zeroing”: true.",
    "code": "zeroing_needs_confirmation",
    "zeroed": 1001,
    "in_stock": 1002,
    "confirm_with": CONFIRM_ZEROING,
}


class ShopApiView:
    """Endpoints for a shop's till software: the key decides the shop, and nothing
    outside that shop is ever read or written."""

    authentication_classes = [ShopApiKeyAuthentication]
    permission_classes = [IsShopClient]

    @property
    def shop(self):
        return self.request.user.shop


class StockPagination(PublicPagination):
    """100 a page. A page that does not exist is a bad parameter (400 naming `page`), as
    a malformed one is: DRF's 404 would read as "no such endpoint" to a till's loop."""

    page_size = 100

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number > paginator.num_pages:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _("There is no page %(page)s: the last one is %(last)s.")
                        % {"page": number, "last": paginator.num_pages}
                    ]
                }
            )
        return number


@extend_schema(
    tags=["stock"],
    parameters=[StockListingParams],
    responses={200: StockListingSerializer(many=True), 400: BAD_PARAMETERS, 401: NO_KEY},
    description=(
        "The shop's listings, most recently changed first, 100 a page. A bad parameter, or a page past the "
        "last one, answers 400 naming it."
    ),
)
class StockListingList(ShopApiView, generics.ListAPIView):
    """The shop's listings, most recently changed first."""

    serializer_class = StockListingSerializer
    pagination_class = StockPagination

    def get_queryset(self):
        params = valid_params(StockListingParams, self.request)
        listings = Listing.objects.filter(shop=self.shop).select_related("book").order_by("-updated_at", "pk")
        if params.get("ean"):
            listings = listings.filter(book__ean=params["ean"])
        if params.get("condition"):
            listings = listings.filter(condition=params["condition"])
        if "updated_since" in params:
            listings = listings.filter(updated_at__gte=params["updated_since"])
        return listings


class StockBulkUpdate(ShopApiView, APIView):
    """Create or update many listings at once, by EAN."""

    @extend_schema(
        tags=["stock"],
        request=StockBulkRequestSerializer,
        responses={200: StockBulkResultSerializer, 400: BAD_PARAMETERS, 401: NO_KEY,
                   409: OpenApiResponse(ZeroingNeedsConfirmationSerializer, description=(
                       "A full sync that would set more than half of the shop's listings in stock to 0, without "
                       "`confirm_zeroing`: nothing was changed; `detail` says how many, in the Accept-Language."),
                       examples=[OpenApiExample("zeroing_needs_confirmation", value=ZEROING_EXAMPLE)])},
        description=(
            "Each item is checked on its own: refused items (bad EAN, price outside the fixed book price "
            "law, negative quantity...) are reported with their reason and not applied; all the others are "
            "applied together in one transaction. Sending the same batch twice changes nothing the second time. "
            "At most 5,000 items: a bigger stock goes in the pages of a sync session.\n\n"
            "With `full_sync`, listings not in the items go to 0; if that is more than half of the listings in "
            "stock, the answer is 409 and nothing changes until the request is sent with `confirm_zeroing`."
        ),
    )  # fmt: skip
    def post(self, request):
        batch = StockBulkSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        rows = [
            stock_sync.stock_row_from_item(line=index + 1, item=item)
            for index, item in enumerate(batch.validated_data["items"])
        ]
        try:
            plan = stock_import_apply(
                shop=self.shop,
                rows=rows,
                full_sync=batch.validated_data["full_sync"],
                source=Book.Source.STOCK_FILE,
                zeroing_confirmed=batch.validated_data[CONFIRM_ZEROING],
            )
        except ZeroingNeedsConfirmation as refusal:
            return _zeroing_refused(refusal)
        results = [
            {"index": line.line - 1, "ean": line.ean, "result": line.action, "message": line.message}
            for line in plan.lines
        ]
        return Response({"summary": plan.counts, "items": results}, status=status.HTTP_200_OK)


def _zeroing_refused(refusal: ZeroingNeedsConfirmation) -> Response:
    message = _(
        "Listings in stock this full sync would set to 0: %(zeroed)s of %(in_stock)s. Nothing was changed. "
        "If that is what you mean, send the request again with “%(flag)s”: true."
    ) % {"zeroed": refusal.zeroed, "in_stock": refusal.in_stock, "flag": CONFIRM_ZEROING}
    answer = {"detail": message, "code": "zeroing_needs_confirmation", "zeroed": refusal.zeroed,
              "in_stock": refusal.in_stock, "confirm_with": CONFIRM_ZEROING}  # fmt: skip
    return Response(answer, status=status.HTTP_409_CONFLICT)


# --- Sync sessions: a stock sent in pages ---------------------------------------------------

SESSION_ID = OpenApiParameter(
    "session_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The session's `id` (from its beginning).",
)
# As the `id` is written in answers (RFC 4122's form): another way of writing it is not found.
UUID_FORM = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SESSION_CLOSED = OpenApiResponse(
    StockErrorSerializer,
    description=(
        "The session takes no more pages: `session_committed`, `session_abandoned` or `session_expired` "
        "(no page for STOCK_SYNC_IDLE_HOURS, 24 by default); `detail` says what to do."
    ),
    examples=[OpenApiExample("session_expired", value={
        "detail": "This sync session expired: it received no page for 24 hours and nothing of it was applied. "
                  "Begin a new session.", "code": "session_expired"})],
)  # fmt: skip


def _shop_session(shop, session_id: str) -> StockSyncSession:
    """The key's shop's session; another shop's is not found, as if it did not exist."""
    session = UUID_FORM.match(session_id) and stock_sync_session_for_shop(shop=shop, session_id=session_id)
    if session is None:
        raise NotFound
    return session


def _session_answer(session: StockSyncSession, *, status_code=status.HTTP_200_OK) -> Response:
    is_open = session.status == StockSyncSession.Status.OPEN
    pages = stock_sync_pages(session=session) if is_open else []  # a finished session's are deleted
    result = session.result if session.status == StockSyncSession.Status.COMMITTED else None
    summary = result["summary"] if result else {}
    answer = {
        "id": session.pk,
        "status": session.status,
        "full_sync": session.full_sync,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "finished_at": session.finished_at,
        "pages": pages,
        "item_count": sum(page["item_count"] for page in pages) if is_open else
                      sum(summary.get(action, 0) for action in ("create", "update", "unchanged", "refuse")),
        "max_items": settings.STOCK_SYNC_MAX_ITEMS,
        "max_page_items": MAX_ITEMS,
        "result": result,
    }  # fmt: skip
    return Response(SyncSessionSerializer(answer).data, status=status_code)


def _conflict(error: stock_sync.SyncSessionError) -> Response:
    return Response({"detail": str(error), "code": error.code}, status=status.HTTP_409_CONFLICT)


class StockSyncSessionBegin(ShopApiView, APIView):
    @extend_schema(
        tags=["stock sync"],
        summary="Begin a sync session",
        description=(
            "For a stock too big for one bulk update: begin a session, put its items in pages of up to 5,000 "
            "(`PUT …/pages/{number}/`, numbered from 1), then commit it: every item of every page is applied "
            "at once, as one bulk update would. A session holds up to `max_items` items (300,000 by default) "
            "and expires when no page comes for 24 hours; nothing is applied before the commit."
        ),
        request=SyncSessionBeginSerializer,
        examples=[OpenApiExample("Full sync", value={"full_sync": True}, request_only=True)],
        responses={201: SyncSessionSerializer, 400: BAD_PARAMETERS, 401: NO_KEY},
    )
    def post(self, request):
        body = SyncSessionBeginSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session = stock_sync.sync_session_begin(shop=self.shop, full_sync=body.validated_data["full_sync"])
        return _session_answer(session, status_code=status.HTTP_201_CREATED)


class StockSyncSessionDetail(ShopApiView, APIView):
    @extend_schema(
        tags=["stock sync"],
        summary="A sync session",
        description="Its status, the pages received and their items, and once committed its result.",
        parameters=[SESSION_ID],
        responses={200: SyncSessionSerializer, 401: NO_KEY, 404: NOT_FOUND},
    )
    def get(self, request, session_id):
        return _session_answer(_shop_session(self.shop, session_id))

    @extend_schema(
        tags=["stock sync"],
        summary="Abandon a sync session",
        description=(
            "Nothing of it is applied and its pages are deleted. Abandoning an abandoned or expired session "
            "changes nothing (204); a committed one cannot be abandoned (409)."
        ),
        parameters=[SESSION_ID],
        responses={
            204: OpenApiResponse(description="Abandoned."),
            401: NO_KEY,
            404: NOT_FOUND,
            409: OpenApiResponse(
                StockErrorSerializer, description="The session is committed (`session_committed`)."
            ),
        },
    )
    def delete(self, request, session_id):
        session = _shop_session(self.shop, session_id)
        try:
            stock_sync.sync_session_abandon(session=session)
        except stock_sync.SyncSessionError as error:
            return _conflict(error)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StockSyncSessionPage(ShopApiView, APIView):
    @extend_schema(
        tags=["stock sync"],
        summary="Put a page of items",
        description=(
            "Up to 5,000 items, as in the bulk update; they are checked when the session is committed. "
            "Putting a page number again replaces that page (a retry is harmless). Each page pushes the "
            "session's expiry back. Pages are numbered from 1, none may be missing when committing."
        ),
        parameters=[
            SESSION_ID,
            OpenApiParameter(
                "number",
                {"type": "integer", "minimum": 1, "maximum": settings.STOCK_SYNC_MAX_ITEMS},
                OpenApiParameter.PATH,
                description="From 1 (at most STOCK_SYNC_MAX_ITEMS: a page holds at least one item).",
            ),
        ],
        request=SyncPageSerializer,
        responses={
            200: SyncSessionSerializer,
            400: OpenApiResponse(BAD_PARAMETERS.response, description=(
                "A bad page number (`number`) or body (`items`), or a session that would hold more than "
                "`max_items` items (`items`): what is wrong, in the Accept-Language.")),
            401: NO_KEY,
            404: NOT_FOUND,
            409: SESSION_CLOSED,
        },
    )  # fmt: skip
    def put(self, request, session_id, number):
        session = _shop_session(self.shop, session_id)
        number = _page_number(number)
        body = SyncPageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            session = stock_sync.sync_session_put_page(
                session=session, number=number, items=body.validated_data["items"]
            )
        except stock_sync.SyncSessionTooLarge as error:
            raise ValidationError({"items": [str(error)]}) from None
        except stock_sync.SyncSessionError as error:
            return _conflict(error)
        return _session_answer(session)


def _page_number(text: str) -> int:
    # A page holds at least one item: no session has more pages than items.
    field = serializers.IntegerField(min_value=1, max_value=settings.STOCK_SYNC_MAX_ITEMS)
    try:
        return field.run_validation(text)
    except ValidationError as error:
        raise ValidationError({"number": error.detail}) from None


class StockSyncSessionCommit(ShopApiView, APIView):
    @extend_schema(
        tags=["stock sync"],
        summary="Commit a sync session",
        description=(
            "Applies every item of every page, in page order, in one transaction, as one bulk update would "
            "(refused items are left out, each with its reason). The answer holds the counts and the refused "
            "items only, with their `position` in the whole session (from 0), their `page` and `index` in it. "
            "Committing again answers the same result and applies nothing more.\n\n"
            "A full sync that would set more than half of the listings in stock to 0 answers 409 "
            "`zeroing_needs_confirmation` and changes nothing; the session stays open: commit again with "
            "`confirm_zeroing` if that is what you mean."
        ),
        parameters=[SESSION_ID],
        request=SyncCommitSerializer,
        responses={
            200: SyncSessionSerializer,
            400: BAD_PARAMETERS,
            401: NO_KEY,
            404: NOT_FOUND,
            409: OpenApiResponse(SyncConflictSerializer, description=(
                "Nothing was applied. `zeroing_needs_confirmation` (with `zeroed`, `in_stock` and `confirm_with`), "
                "`pages_missing` (a page between 1 and the last one, or the `pages` announced), "
                "`session_abandoned` or `session_expired`."),
                examples=[OpenApiExample("zeroing_needs_confirmation", value=ZEROING_EXAMPLE),
                          OpenApiExample("pages_missing", value={
                              "detail": "Pages missing from this sync session: 2. Put them, then commit again.",
                              "code": "pages_missing"})]),
        },
    )  # fmt: skip
    def post(self, request, session_id):
        session = _shop_session(self.shop, session_id)
        body = SyncCommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            session = stock_sync.sync_session_commit(
                session=session,
                confirm_zeroing=body.validated_data[CONFIRM_ZEROING],
                announced_pages=body.validated_data.get("pages"),
            )
        except ZeroingNeedsConfirmation as refusal:
            return _zeroing_refused(refusal)
        except stock_sync.SyncSessionError as error:
            return _conflict(error)
        return _session_answer(session)
