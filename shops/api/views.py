"""Public read endpoints about drives and bookshops: anonymous, throttled, paginated."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from marketplace.api_schema import BAD_PARAMETERS, NOT_FOUND, THROTTLED
from marketplace.rate_limits import AtomicRateThrottle
from shops.api.serializers import (
    DriveDetailSerializer,
    DriveListParams,
    DriveSerializer,
    ShopListParams,
    ShopSerializer,
)
from shops.models import Drive
from shops.selectors import (
    DRIVES_AROUND_KM,
    drives_matching,
    drives_nearest,
    open_shops,
    shop_by_slug,
    shops_near,
)

# drives_matching and drives_nearest return lists cut at a limit; a chain has a few
# hundred drives, so this one never cuts in practice.
DRIVES_LIMIT = 1000

# What Django's <slug:…> path converter matches: anything else is not found.
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"


class PublicReadThrottle(AtomicRateThrottle):
    """Every caller of the public API is anonymous: 240 requests a minute per address.
    The rate lives here rather than in DEFAULT_THROTTLE_RATES: the endpoints own it."""

    scope = "api-public"
    per_minute_setting = "API_PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE"


class PublicPagination(PageNumberPagination):
    page_size = 50

    def get_page_number(self, request, paginator):
        # DRF answers a malformed page with 404 "Invalid page."; it is a bad parameter.
        number = request.query_params.get(self.page_query_param) or "1"
        if number in self.last_page_strings:
            return paginator.num_pages
        try:
            return serializers.IntegerField(min_value=1).run_validation(number)
        except ValidationError as exc:
            raise ValidationError({self.page_query_param: exc.detail}) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


class PublicReadView(GenericAPIView):
    """Anonymous, read-only: no session (so no CSRF or login), one throttle for all."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicReadThrottle]
    pagination_class = PublicPagination


def valid_params(serializer_class, request) -> dict:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class DriveList(PublicReadView):
    serializer_class = DriveSerializer

    @extend_schema(
        tags=["drives"],
        summary="Active drives",
        description=(
            "Every active drive, by town; or those within 100 km of `q` (a town, a postcode, a drive's "
            "name: a town and its postcode give the same drives) or of `near`, nearest first, with their "
            "`distance_km`. `region` narrows any of them."
        ),
        parameters=[DriveListParams],
        responses={200: DriveSerializer(many=True), 400: BAD_PARAMETERS, 404: NOT_FOUND, 429: THROTTLED},
    )
    def get(self, request):
        params = valid_params(DriveListParams, request)
        page = self.paginate_queryset(self.drives(**params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def get_queryset(self):
        return Drive.objects.filter(is_active=True).order_by("town", "name", "pk")

    def drives(self, *, q: str = "", near: tuple[float, float] | None = None, region: str = ""):
        if q.strip():
            drives = drives_matching(text=q, limit=DRIVES_LIMIT)
        elif near:
            drives = drives_nearest(
                latitude=near[0], longitude=near[1], limit=DRIVES_LIMIT, max_km=DRIVES_AROUND_KM
            )
        else:
            return self.get_queryset().filter(region=region) if region else self.get_queryset()
        return [drive for drive in drives if drive.region == region] if region else drives


class DriveDetail(PublicReadView):
    serializer_class = DriveDetailSerializer
    pagination_class = None

    @extend_schema(
        tags=["drives"],
        summary="A drive and its partner bookshops",
        description="An active drive, with the open bookshops that joined it, by name.",
        parameters=[
            OpenApiParameter(
                "slug",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=SLUG_PATTERN,
                description="The drive's slug.",
            )
        ],
        responses={200: DriveDetailSerializer, 404: NOT_FOUND, 429: THROTTLED},
    )
    def get(self, request, slug):
        partners = Prefetch("shops", queryset=open_shops().order_by("trade_name", "pk"), to_attr="partners")
        drive = Drive.objects.filter(slug=slug, is_active=True).prefetch_related(partners).first()
        if drive is None:
            raise NotFound
        return Response(self.get_serializer(drive).data)


class ShopList(PublicReadView):
    serializer_class = ShopSerializer

    @extend_schema(
        tags=["shops"],
        summary="Open bookshops",
        description=(
            "Every open bookshop by name; or, around a point (`near`) or a drive (`drive`), those within "
            "`radius` km, nearest first, with their `distance_km`."
        ),
        parameters=[ShopListParams],
        responses={200: ShopSerializer(many=True), 400: BAD_PARAMETERS, 404: NOT_FOUND, 429: THROTTLED},
    )
    def get(self, request):
        params = valid_params(ShopListParams, request)
        drive = params.get("drive")
        point = (drive.latitude, drive.longitude) if drive else params.get("near")
        if not point:
            page = self.paginate_queryset(self.get_queryset())
            return self.get_paginated_response(self.get_serializer(page, many=True).data)

        nearby = self.paginate_queryset(
            shops_near(latitude=point[0], longitude=point[1], radius_km=params["radius"])
        )
        by_id = open_shops().prefetch_related("drives").in_bulk([shop.id for shop in nearby])
        shops = []
        for near in nearby:
            if (shop := by_id.get(near.id)) is not None:  # closed between the two queries
                shop.distance_km = near.distance_km
                shops.append(shop)
        return self.get_paginated_response(self.get_serializer(shops, many=True).data)

    def get_queryset(self):
        return open_shops().order_by("trade_name", "pk").prefetch_related("drives")


class ShopDetail(PublicReadView):
    serializer_class = ShopSerializer
    pagination_class = None

    @extend_schema(
        tags=["shops"],
        summary="An open bookshop",
        description="An open (approved) bookshop, with the active drives it joined. Others are not found.",
        parameters=[
            OpenApiParameter(
                "slug",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=SLUG_PATTERN,
                description="The shop's slug.",
            )
        ],
        responses={200: ShopSerializer, 404: NOT_FOUND, 429: THROTTLED},
    )
    def get(self, request, slug):
        shop = shop_by_slug(slug)
        if shop is None:
            raise NotFound
        return Response(self.get_serializer(shop).data)
