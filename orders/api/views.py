"""The orders API.

Customers (anonymous, throttled): reserve, then read or cancel an order with its token.
Shops (their API key, like the stock API): list their orders and move them along.
Every write is one service of orders/services.py; a move the order's life does not
allow answers 409 with the service's message.
"""

from django.db.models import Prefetch, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.views import ShopApiView
from marketplace.api_schema import BAD_PARAMETERS, NO_KEY, NOT_FOUND, THROTTLED, ErrorSerializer
from marketplace.client_address import client_key
from marketplace.rate_limits import AtomicRateThrottle
from orders import services
from orders.api.serializers import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    CheckoutSerializer,
    CustomerOrderSerializer,
    LineUnavailableRequestSerializer,
    RefuseRequestSerializer,
    ReservationLimitSerializer,
    ReservationRequestSerializer,
    ShopOrderListParams,
    ShopOrderSerializer,
    StockChangedSerializer,
    valid_reservation_request,
)
from orders.limits import RESERVATION_REQUESTS_SCOPE, ReservationLimitReached
from orders.models import Order, OrderLine
from orders.selectors import (
    customer_details_visible,
    order_by_token,
    orders_for_shop,
    with_visible_customer_details,
)
from shops.api.views import PublicPagination, valid_params

# How long a client waits before retrying a reservation the database was too busy for:
# locks are held for milliseconds, a crowd around one title thins out in about that.
BUSY_RETRY_AFTER_SECONDS = 2


class ReservationThrottle(AtomicRateThrottle):
    """Each reservation holds copies until the shop answers: a generous rate for people,
    a short one for a script emptying the shelves. Per address, as the public API."""

    scope = RESERVATION_REQUESTS_SCOPE  # shared with the web checkout
    per_minute_setting = "RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE"


class CustomerOrderThrottle(AtomicRateThrottle):
    scope = "api-customer-orders"
    per_minute_setting = "API_ORDER_REQUESTS_PER_ADDRESS_PER_MINUTE"


class CustomerApiView(APIView):
    """Anonymous: the order's token is the customer's key. No session, so no CSRF."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [CustomerOrderThrottle]


def _error(message: str, *, code: str, status_code: int, **headers) -> Response:
    return Response({"detail": message, "code": code}, status=status_code, headers=headers or None)


def _conflict(error: Exception, *, code: str) -> Response:
    return _error(str(error), code=code, status_code=status.HTTP_409_CONFLICT)


def _error_response(description: str, *, example_detail: str, code: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[OpenApiExample(code, value={"detail": example_detail, "code": code})],
    )


STATUS_CONFLICT = _error_response(
    "The order's life does not allow this move now; `detail` says why.",
    example_detail="Order 7KQ4MX is collected: it cannot become “cancelled”.",
    code="status",
)

# --- Customers -------------------------------------------------------------------------

RESERVATION_EXAMPLE = {
    "customer": {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78",
                 "language": "fr"},
    "accept_terms": True,
    "lines": [{"listing": 1042, "quantity": 1}, {"listing": 2210, "quantity": 2, "price": "8.50"}],
}  # fmt: skip
ORDER_EXAMPLE = {
    "token": "s8Zl0n0X1rQbQ4tYkqQm0GmXv7c9mXyU2m8mQbPcE1k",
    "url": "https://drive-solidaire.example/orders/s8Zl0n0X1rQbQ4tYkqQm0GmXv7c9mXyU2m8mQbPcE1k/",
    "reference": "7KQ4MX",
    "status": "placed",
    "status_label": "Placed",
    "placed_at": "2025-03-14T10:02:11.532Z",
    "updated_at": "2025-03-14T10:02:11.532Z",
    "answer_by": "2025-03-15T18:00:00Z",
    "lines": [
        {"id": 311, "listing": 1042, "ean": "9782070360024", "title": "L'Étranger", "condition": "new",
         "condition_label": "New", "unit_price": "8.50", "quantity": 1, "amount": "8.50",
         "is_unavailable": False, "unavailable_reason": ""},
    ],
    "amount": "8.50",
    "refusal_reason": "",
    "events": [{"at": "2025-03-14T10:02:11.540Z", "from_status": "", "to_status": "placed", "by": "customer",
                "line": None, "note": ""}],
    "shop": {"name": "Librairie du Port", "address": "12 rue du Port", "postcode": "56100", "town": "Lorient",
             "phone": "+33297640000"},
    "can_cancel": True,
}  # fmt: skip
CHECKOUT_EXAMPLE = {
    "token": "Fq3Hn2mWc0tY9xRkU7pLz4aVb6eQs1dJg8oNi5rTyKw",
    "url": "https://drive-solidaire.example/reservation/done/Fq3Hn2mWc0tY9xRkU7pLz4aVb6eQs1dJg8oNi5rTyKw/",
    "orders": [ORDER_EXAMPLE],
}
SHORT = "Librairie du Port has 1 copies of “L'Étranger” left (you asked for 2)."
STOCK_CHANGED_EXAMPLE = {
    "detail": SHORT,
    "code": "stock_changed",
    "problems": [
        {"listing": 1042, "kind": "short", "title": "L'Étranger", "shop": "Librairie du Port", "asked": 2,
         "available": 1, "seen_price": None, "price": None, "message": SHORT},
    ],
}  # fmt: skip


class ReservationCreate(CustomerApiView):
    throttle_classes = [ReservationThrottle]

    @extend_schema(
        tags=["reservations"],
        summary="Reserve books (one order per shop)",
        description=(
            "Holds the copies asked for, all or nothing: one order per shop, each with its own reference "
            "and token. The customer collects and pays at each shop.\n\n"
            f"**`{IDEMPOTENCY_HEADER}` is required**: a random value (a UUID) of up to 100 characters, new "
            "for each reservation. Sending the same request again with the same key (a network retry) "
            "reserves nothing more and answers the same checkout (as it stands now), again with **201**. "
            "The same key with a different request (other lines, email or phone) answers 409 "
            "`idempotency_conflict`.\n\n"
            "If a listing is gone, short or repriced since the customer saw it, nothing is reserved and the "
            "answer (409 `stock_changed`) lists every problem; show them and send the confirmed lines again "
            "with a new key. 503 `busy` means many people are reserving the same books: retry after "
            "`Retry-After` seconds with the same key."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                pattern=IDEMPOTENCY_KEY_PATTERN,
                description="A random value (a UUID), up to 100 printable ASCII characters; reuse it to retry.",
                examples=[OpenApiExample("A UUID", value="0b6f2a4e-5c1d-4e0a-9d7b-3f8e2c1a6b90")],
            )
        ],
        request=ReservationRequestSerializer,
        examples=[OpenApiExample("Two books", value=RESERVATION_EXAMPLE, request_only=True)],
        responses={
            201: OpenApiResponse(
                CheckoutSerializer,
                description="Reserved (or the same request again with the same key).",
                examples=[OpenApiExample("Reserved", value=CHECKOUT_EXAMPLE)],
            ),
            400: OpenApiResponse(
                BAD_PARAMETERS.response,
                description=(
                    "The body or the Idempotency-Key header is missing or invalid: for each field (nested for "
                    "`customer` and `lines`), what is wrong, in the Accept-Language."
                ),
                examples=[
                    OpenApiExample(
                        "Bad request",
                        value={
                            "customer": {
                                "phone": ["Enter a valid phone number, for example 02 97 64 12 34."]
                            },
                            "lines": {"1": {"quantity": ["Ensure this value is less than or equal to 20."]}},
                            IDEMPOTENCY_HEADER: ["Send an Idempotency-Key header: a random value (a UUID)…"],
                        },
                    )
                ],
            ),
            409: OpenApiResponse(
                StockChangedSerializer,
                description=(
                    "Nothing was reserved. `stock_changed`: some lines cannot be reserved as asked "
                    "(`problems`, one per line). `idempotency_conflict`: the key was already used for a "
                    "different request (no `problems`). `reservation_limit`: the customer would hold more "
                    "copies than allowed (`limit` says which: `held_per_shop`, `held_in_network`, "
                    "`held_per_shop_per_address`, `held_in_network_per_address`, `copies_per_line`, "
                    "`lines_per_checkout`); `detail` says what to do."
                ),
                examples=[
                    OpenApiExample("stock_changed", value=STOCK_CHANGED_EXAMPLE),
                    OpenApiExample(
                        "reservation_limit",
                        value={
                            "detail": "At Librairie du Port, one person can hold up to 20 books at a time, "
                            "counting the orders already made with the same email, phone or account. Collect or "
                            "cancel an order there, or reserve fewer books.",
                            "code": "reservation_limit",
                            "limit": "held_per_shop",
                        },
                    ),
                    OpenApiExample(
                        "idempotency_conflict",
                        value={
                            "detail": "This request key was already used for a different reservation.",
                            "code": "idempotency_conflict",
                        },
                    ),
                ],
            ),
            429: OpenApiResponse(
                ReservationLimitSerializer,
                description=(
                    "Too many requests from this address (`detail` alone), or too many reservations from it in "
                    "the last hour (`code` `reservation_limit`, `limit` `checkouts_per_hour`): nothing was "
                    "reserved; wait the `Retry-After` seconds."
                ),
            ),
            503: _error_response(
                "Too many people are reserving these books right now: nothing was reserved; retry after "
                "the `Retry-After` seconds, with the same key.",
                example_detail="Many people are reserving right now. Please try again in a moment.",
                code="busy",
            ),
        },
    )
    def post(self, request):
        asked = valid_reservation_request(
            data=request.data, idempotency_key=request.headers.get(IDEMPOTENCY_HEADER)
        )
        try:
            checkout = services.checkout_place(
                key=asked.key, lines=asked.lines, customer=asked.customer, client=client_key(request)
            )
        except services.StockChanged as error:
            answer = {"detail": str(error), "code": "stock_changed", "problems": error.problems}
            return Response(StockChangedSerializer(answer).data, status=status.HTTP_409_CONFLICT)
        except ReservationLimitReached as error:
            if error.retry_after:
                return Response(
                    {"detail": str(error), "code": "reservation_limit", "limit": error.limit},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(error.retry_after)},
                )
            return Response(
                {"detail": str(error), "code": "reservation_limit", "limit": error.limit},
                status=status.HTTP_409_CONFLICT,
            )
        except services.IdempotencyConflict as error:
            return _conflict(error, code="idempotency_conflict")
        except services.ReservationBusy as error:
            return _error(
                str(error),
                code="busy",
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                **{"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
            )
        except services.EmptyReservation as error:
            return Response({"lines": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
        prefetch_related_objects(
            [checkout],
            Prefetch(
                "orders",
                queryset=Order.objects.select_related("shop")
                .prefetch_related("lines", "events")
                .order_by("pk"),
            ),
        )
        answer = CheckoutSerializer(checkout, context={"request": request}).data
        return Response(answer, status=status.HTTP_201_CREATED)


TOKEN = OpenApiParameter(
    "token",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The order's token (from the reservation's answer, or the link in the customer's emails).",
)


def _customer_order(token: str) -> Order:
    order = order_by_token(token)
    if order is None:
        raise NotFound
    return order


class CustomerOrderDetail(CustomerApiView):
    @extend_schema(
        tags=["reservations"],
        summary="A customer's order",
        description=(
            "The order behind a token: status, lines (with those the shop cannot serve, and why), the "
            "amount to pay at the shop, the shop's address, and the history."
        ),
        parameters=[TOKEN],
        responses={
            200: OpenApiResponse(
                CustomerOrderSerializer, examples=[OpenApiExample("Placed", value=ORDER_EXAMPLE)]
            ),
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
    def get(self, request, token):
        order = _customer_order(token)
        return Response(CustomerOrderSerializer(order, context={"request": request}).data)


class CustomerOrderCancel(CustomerApiView):
    @extend_schema(
        tags=["reservations"],
        summary="Cancel an order",
        description=(
            "The customer calls the order off (until it is collected): the copies go back on sale and the "
            "shop is told. Cancelling a cancelled order changes nothing and answers 200. No body."
        ),
        parameters=[TOKEN],
        request=None,
        responses={200: CustomerOrderSerializer, 404: NOT_FOUND, 409: STATUS_CONFLICT, 429: THROTTLED},
    )
    def post(self, request, token):
        order = _customer_order(token)
        try:
            services.order_cancel(order=order)
        except services.OrderStatusError as error:
            return _conflict(error, code="status")
        return Response(CustomerOrderSerializer(_customer_order(token), context={"request": request}).data)


# --- Shops -----------------------------------------------------------------------------

REFERENCE = OpenApiParameter(
    "reference", OpenApiTypes.STR, OpenApiParameter.PATH, description="The order's reference, e.g. 7KQ4MX."
)


def _shop_orders(shop):
    # The key acts for the shop: it sees the customers as the shop's people do.
    orders = with_visible_customer_details(
        orders_for_shop(shop), visible=customer_details_visible(sees_all_shops=False)
    )
    return orders.select_related("shop").prefetch_related("lines", "events").order_by("-placed_at", "-pk")


def _shop_order(shop, reference: str) -> Order:
    """The shop's order with this reference; another shop's is not found, as if it did
    not exist."""
    order = _shop_orders(shop).filter(reference=reference.upper()).first()
    if order is None:
        raise NotFound
    return order


class ShopOrderList(ShopApiView, GenericAPIView):
    serializer_class = ShopOrderSerializer
    pagination_class = PublicPagination

    @extend_schema(
        tags=["shop orders"],
        summary="The shop's orders",
        description="The orders of the key's shop, newest first, 50 a page; `status` narrows them.",
        parameters=[ShopOrderListParams],
        responses={200: ShopOrderSerializer(many=True), 400: BAD_PARAMETERS, 401: NO_KEY, 404: NOT_FOUND},
    )
    def get(self, request):
        params = valid_params(ShopOrderListParams, request)
        orders = _shop_orders(self.shop)
        if params.get("status"):
            orders = orders.filter(status=params["status"])
        page = self.paginate_queryset(orders)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ShopOrderView(ShopApiView, APIView):
    def answer(self, reference: str) -> Response:
        return Response(ShopOrderSerializer(_shop_order(self.shop, reference)).data)


class ShopOrderDetail(ShopOrderView):
    @extend_schema(
        tags=["shop orders"],
        summary="One of the shop's orders",
        parameters=[REFERENCE],
        responses={200: ShopOrderSerializer, 401: NO_KEY, 404: NOT_FOUND},
    )
    def get(self, request, reference):
        return self.answer(reference)


class ShopOrderMove(ShopOrderView):
    """A move without a body: accept, ready, collect. The key acts for the shop (by=None)."""

    move = None  # one of orders.services' moves, as a staticmethod

    def post(self, request, reference):
        order = _shop_order(self.shop, reference)
        try:
            self.move(order=order, by=None)
        except services.OrderStatusError as error:
            return _conflict(error, code="status")
        return self.answer(reference)


def _move_schema(summary: str, description: str):
    return extend_schema(
        tags=["shop orders"],
        summary=summary,
        description=description + " Doing it twice changes nothing the second time. No body.",
        parameters=[REFERENCE],
        request=None,
        responses={200: ShopOrderSerializer, 401: NO_KEY, 404: NOT_FOUND, 409: STATUS_CONFLICT},
    )


@extend_schema_view(
    post=_move_schema("Accept an order", "The shop will prepare a placed order; the customer is told.")
)
class ShopOrderAccept(ShopOrderMove):
    move = staticmethod(services.order_accept)


@extend_schema_view(
    post=_move_schema(
        "Mark an order ready",
        "The books of an accepted order wait at the counter; the customer is told to come.",
    )
)
class ShopOrderReady(ShopOrderMove):
    move = staticmethod(services.order_mark_ready)


@extend_schema_view(
    post=_move_schema(
        "Mark an order collected",
        "The customer paid and took the books of a ready order: the copies leave the shop's stock.",
    )
)
class ShopOrderCollect(ShopOrderMove):
    move = staticmethod(services.order_collect)


class ShopOrderRefuse(ShopOrderView):
    @extend_schema(
        tags=["shop orders"],
        summary="Refuse an order",
        description=(
            "The shop cannot serve a placed order: the copies go back on sale and the customer receives the "
            "reason."
        ),
        parameters=[REFERENCE],
        request=RefuseRequestSerializer,
        examples=[OpenApiExample("Refuse", value={"reason": "Closed for inventory until Monday."})],
        responses={
            200: ShopOrderSerializer,
            400: BAD_PARAMETERS,
            401: NO_KEY,
            404: NOT_FOUND,
            409: STATUS_CONFLICT,
        },
    )
    def post(self, request, reference):
        order = _shop_order(self.shop, reference)
        body = RefuseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.order_refuse(order=order, by=None, reason=body.validated_data["reason"])
        except services.OrderStatusError as error:
            return _conflict(error, code="status")
        return self.answer(reference)


class ShopOrderLineUnavailable(ShopOrderView):
    @extend_schema(
        tags=["shop orders"],
        summary="Mark a line unavailable",
        description=(
            "The shop cannot serve one line of a placed or accepted order (damaged, sold at the counter): its "
            "copies are no longer held and the customer is told; the order goes on with the other lines. "
            "When no line is left, the order is refused."
        ),
        parameters=[
            REFERENCE,
            OpenApiParameter(
                "line_id",
                {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                OpenApiParameter.PATH,
                description="The line's `id` in the order.",
            ),
        ],
        request=LineUnavailableRequestSerializer,
        examples=[OpenApiExample("Damaged", value={"reason": "The last copy is damaged."})],
        responses={
            200: ShopOrderSerializer,
            400: BAD_PARAMETERS,
            401: NO_KEY,
            404: NOT_FOUND,
            409: STATUS_CONFLICT,
        },
    )
    def post(self, request, reference, line_id):
        order = _shop_order(self.shop, reference)
        line = OrderLine.objects.filter(pk=line_id, order=order).first()
        if line is None:
            raise NotFound
        body = LineUnavailableRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.order_line_mark_unavailable(line=line, by=None, reason=body.validated_data["reason"])
        except services.OrderStatusError as error:
            return _conflict(error, code="status")
        return self.answer(reference)
