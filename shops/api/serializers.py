"""Query parameters and answers of the public API about drives and bookshops.

Parameter serializers read `request.query_params`: an empty parameter (`?lat=`) counts
as absent, as in the web forms, and every refusal names the parameter at fault.
"""

import math
import re

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shops.geo import DEFAULT_RADIUS_KM, MAX_RADIUS_KM
from shops.models import Drive, Shop
from shops.regions import Region

# --- Fields shared by the shops' and the catalogue's endpoints --------------------------


# Decimal degrees, latitude -90 to 90, longitude -180 to 180. [0-9], not \d: the
# description is read by other regex dialects, where \d may mean other scripts' digits.
_LATITUDE = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
POINT_PATTERN = rf"^{_LATITUDE},{_LONGITUDE}$"


@extend_schema_field({"type": "string", "pattern": POINT_PATTERN, "example": "47.7507,-3.3789"})
class PointField(serializers.Field):
    """A point written `latitude,longitude` in decimal degrees (POINT_PATTERN); gives a
    (lat, lon) tuple."""

    default_error_messages = {
        "invalid": gettext_lazy("Give a point as “latitude,longitude” in decimal degrees, e.g. 47.75,-3.37."),
        "latitude": gettext_lazy("The latitude must be between -90 and 90."),
        "longitude": gettext_lazy("The longitude must be between -180 and 180."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 100 or data.count(",") != 1:
            self.fail("invalid")
        try:
            latitude, longitude = (float(part) for part in data.split(","))
        except ValueError:
            self.fail("invalid")
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            self.fail("invalid")
        if not -90 <= latitude <= 90:
            self.fail("latitude")
        if not -180 <= longitude <= 180:
            self.fail("longitude")
        if not re.match(POINT_PATTERN, data):  # 4.7e1, +47, spaces: numbers, but not as described
            self.fail("invalid")
        return latitude, longitude

    def to_representation(self, value):
        return f"{value[0]},{value[1]}"


class DriveField(serializers.SlugField):
    """An active drive, given by its slug."""

    def run_validation(self, data=serializers.empty):
        slug = super().run_validation(data)  # a well-formed slug: the validators see text
        drive = Drive.objects.filter(slug=slug, is_active=True).first()
        if drive is None:
            raise serializers.ValidationError(_("No drive has the slug “%(slug)s”.") % {"slug": slug})
        return drive

    def to_representation(self, value):
        return value.slug


def radius_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=1,
        max_value=MAX_RADIUS_KM,
        default=DEFAULT_RADIUS_KM,
        help_text=f"Kilometres around the point, 1 to {MAX_RADIUS_KM} (default {DEFAULT_RADIUS_KM}).",
    )


class DistanceField(serializers.FloatField):
    """Kilometres to the point asked about, to the nearest 100 m; null without a point."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Kilometres from the point asked about; null when none was given.")
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return round(value, 1)


@extend_schema_field(OpenApiTypes.URI)
class PageUrlField(serializers.Field):
    """The absolute address of the object's web page, in the language of the request."""

    def __init__(self, view_name: str, lookup: str = "slug", **kwargs):
        self.view_name, self.lookup = view_name, lookup
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        path = reverse(self.view_name, args=[getattr(value, self.lookup)])
        return self.context["request"].build_absolute_uri(path)


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class AbsoluteUrlField(serializers.Field):
    """A file (or a file's URL) as an absolute address: media may be served by Django
    itself, under a relative MEDIA_URL. Null when there is no file."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        if not value:
            return None
        return self.context["request"].build_absolute_uri(getattr(value, "url", value))


class LocationSerializer(serializers.Serializer):
    """Where to look from: a drive (its coordinates) or a point. Gives `latitude`,
    `longitude` and `drive` (None for a point)."""

    drive = DriveField(required=False, help_text="Slug of a drive: look around it.")
    lat = serializers.FloatField(
        required=False, min_value=-90, max_value=90, help_text="Latitude in decimal degrees (with lon)."
    )
    lon = serializers.FloatField(
        required=False, min_value=-180, max_value=180, help_text="Longitude in decimal degrees (with lat)."
    )

    def validate(self, attrs):
        drive, latitude, longitude = attrs.get("drive"), attrs.get("lat"), attrs.get("lon")
        if drive is not None:
            if latitude is not None or longitude is not None:
                raise serializers.ValidationError(
                    {"drive": [_("Give either drive or lat and lon, not both.")]}
                )
            latitude, longitude = drive.latitude, drive.longitude
        elif latitude is None and longitude is None:
            raise serializers.ValidationError(
                {"drive": [_("Say where to look: give drive (a drive's slug), or lat and lon.")]}
            )
        elif longitude is None:
            raise serializers.ValidationError({"lon": [_("Give lon along with lat.")]})
        elif latitude is None:
            raise serializers.ValidationError({"lat": [_("Give lat along with lon.")]})
        return {**attrs, "drive": drive, "latitude": latitude, "longitude": longitude}


# --- Query parameters ------------------------------------------------------------------


class DriveListParams(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="A town, a drive's name or a postcode."
    )
    near = PointField(
        required=False, help_text="latitude,longitude: drives within 100 km of it, nearest first."
    )
    region = serializers.ChoiceField(choices=Region.choices, required=False, help_text="A region's code.")

    def validate(self, attrs):
        if attrs.get("q", "").strip() and attrs.get("near"):
            raise serializers.ValidationError({"near": [_("Give q or near, not both.")]})
        return attrs


class ShopListParams(serializers.Serializer):
    near = PointField(required=False, help_text="latitude,longitude: open shops within the radius of it.")
    drive = DriveField(required=False, help_text="Slug of a drive: open shops within the radius of it.")
    radius = radius_field()

    def validate(self, attrs):
        if attrs.get("near") and attrs.get("drive"):
            raise serializers.ValidationError({"near": [_("Give near or drive, not both.")]})
        return attrs


# --- Answers ---------------------------------------------------------------------------


class DriveSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="get_region_display", read_only=True)
    distance_km = DistanceField()
    url = PageUrlField("drive", help_text="The drive's web page.")

    class Meta:
        model = Drive
        fields = ["slug", "name", "address", "postcode", "town", "region", "region_name",
                  "latitude", "longitude", "distance_km", "url"]  # fmt: skip


class PartnerShopSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="trade_name")
    url = PageUrlField("shop", help_text="The bookshop's web page.")

    class Meta:
        model = Shop
        fields = ["slug", "name", "address", "postcode", "town", "latitude", "longitude", "url"]


class DriveDetailSerializer(DriveSerializer):
    shops = PartnerShopSerializer(
        many=True, source="partners", help_text="Open bookshops joined to the drive."
    )

    class Meta(DriveSerializer.Meta):
        fields = [*DriveSerializer.Meta.fields, "shops"]


class ShopDriveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drive
        fields = ["slug", "name", "town"]


class ShopSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="trade_name")
    phone = serializers.CharField()
    logo_url = AbsoluteUrlField(source="logo")
    drives = serializers.SerializerMethodField(help_text="The active drives the shop joined.")
    distance_km = DistanceField()
    url = PageUrlField("shop", help_text="The bookshop's web page.")

    class Meta:
        model = Shop
        fields = ["slug", "name", "description", "address", "postcode", "town", "latitude", "longitude",
                  "phone", "email", "website", "logo_url", "drives", "distance_km", "url"]  # fmt: skip

    @extend_schema_field(ShopDriveSerializer(many=True))
    def get_drives(self, shop):
        # Filtered here, not in SQL: callers prefetch `drives` (shop_by_slug does).
        return ShopDriveSerializer([drive for drive in shop.drives.all() if drive.is_active], many=True).data
