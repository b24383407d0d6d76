"""Reads about shops, drives and places."""

import hmac
import math
from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from marketplace.cache import cached_with_local_copy
from shops import api_keys
from shops.cache_version import shops_cache_version
from shops.geo import distance_km_expression, haversine_km, town_key
from shops.models import Drive, Locality, Membership, Shop, ShopApiToken

# shops_near's cache: entries live at most this long (seconds), and all of them are
# dropped at once when the version changes.
SHOPS_NEAR_TIMEOUT = 600


def user_sees_all_shops(user) -> bool:
    """The chain's staff see the whole network; everyone else only their own shops."""
    return user.is_active and user.has_perm("shops.view_all_shops")


def shops_for_user(user) -> QuerySet[Shop]:
    """The shops `user` may see: their own (members), those attached to their drives
    (drive staff), all of them (head office). The one place that decides it: the admin,
    the API and every page about a shop's data go through here; what the person may *do*
    with them is their permissions' business."""
    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    if user_sees_all_shops(user):
        return Shop.objects.all()
    # Subqueries rather than joins: no duplicate rows, whatever the number of drives.
    return Shop.objects.filter(
        Q(pk__in=Membership.objects.filter(user=user).values("shop_id"))
        | Q(pk__in=Shop.drives.through.objects.filter(drive__staff_assignments__user=user).values("shop_id"))
    )


def drives_for_user(user) -> QuerySet[Drive]:
    """The drives whose network figures and queues `user` may look at: all of them for
    head office, their own for drive staff, none for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return Drive.objects.none()
    if user_sees_all_shops(user):
        return Drive.objects.all()
    return Drive.objects.filter(staff_assignments__user=user)


def localities_for_postcode(postcode: str) -> list[Locality]:
    return list(Locality.objects.filter(postcode=postcode).order_by("name", "place"))


def locality_matching(postcode: str, town: str) -> Locality | None:
    """The locality of `postcode` whose commune (or place) is `town`, however it is
    spelled; with a single commune for the postcode, an empty `town` picks it."""
    localities = localities_for_postcode(postcode)
    key = town_key(town)
    if not key:
        communes = {locality.insee_code for locality in localities}
        return localities[0] if len(communes) == 1 else None
    for locality in localities:
        if key in (town_key(locality.name), town_key(locality.place)):
            return locality
    return None


def drives_nearest(*, latitude: float, longitude: float, limit: int, max_km: float) -> list[Drive]:
    """The `limit` nearest active drives within `max_km`, nearest first, each with a
    `distance_km` attribute."""
    return list(
        Drive.objects.filter(is_active=True)
        .annotate(distance_km=distance_km_expression(latitude, longitude))
        .filter(distance_km__lte=max_km)
        .order_by("distance_km", "name")[:limit]
    )


def api_token_for_key(key: str) -> ShopApiToken | None:
    """The active API key matching `key`, if any (constant-time comparison of hashes)."""
    prefix = api_keys.prefix_of(key)
    if not prefix:
        return None
    token = ShopApiToken.objects.select_related("shop").filter(prefix=prefix, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.key_hash, api_keys.hash_of(key)):
        return None
    return token


def api_tokens_for_user(user) -> QuerySet[ShopApiToken]:
    return ShopApiToken.objects.filter(shop__in=shops_for_user(user))


@dataclass(frozen=True)
class NearbyShop:
    id: int
    trade_name: str
    slug: str
    town: str
    distance_km: float


# Shops the public sees: approved (suspended, pending and rejected ones never show).
# Their pages and drive listings stay up while they are away on holiday.
def open_shops() -> QuerySet[Shop]:
    return Shop.objects.filter(status=Shop.Status.APPROVED)


def reservable_shops(*, day: date | None = None) -> QuerySet[Shop]:
    """Approved shops not away on holiday on `day` (today in Paris by default): the only
    ones whose books appear in search and on book pages, and that take reservations."""
    day = day or timezone.localdate()
    return open_shops().exclude(holiday_starts_on__lte=day, holiday_ends_on__gte=day)


def shops_near(*, latitude: float, longitude: float, radius_km: float) -> list[NearbyShop]:
    """Reservable shops (approved, not on holiday) within `radius_km` of a point, nearest first.

    Every search and book page asks this for its drive: the answer is cached (a few
    thousand drive × radius pairs) until any shop changes (`shops_changed`) or the day
    does (holidays are counted in days).
    """
    day = timezone.localdate()
    key = f"shops-near:{shops_cache_version()}:{day}:{latitude}:{longitude}:{radius_km}"
    # The key holds the shops' version and the day: the process's copy is as current as
    # the shared one, and a page saves a trip to Redis and unpickling tens of shops.
    nearby = cached_with_local_copy(
        key,
        lambda: _shops_near(latitude=latitude, longitude=longitude, radius_km=radius_km, day=day),
        timeout=SHOPS_NEAR_TIMEOUT,
        local_seconds=SHOPS_NEAR_TIMEOUT,
    )
    return list(nearby)  # the caller's own list: the copy is shared


def _shops_near(*, latitude: float, longitude: float, radius_km: float, day: date) -> list[NearbyShop]:
    # A bounding box (an index-friendly range on latitude and longitude) keeps the exact
    # distance computation to the few shops that can be inside the circle.
    lat_margin = radius_km / 111.0
    lon_margin = radius_km / (111.0 * max(math.cos(math.radians(latitude)), 0.01))
    rows = (
        reservable_shops(day=day)
        .filter(
            latitude__range=(latitude - lat_margin, latitude + lat_margin),
            longitude__range=(longitude - lon_margin, longitude + lon_margin),
        )
        .annotate(distance_km=distance_km_expression(latitude, longitude))
        .filter(distance_km__lte=radius_km)
        .order_by("distance_km", "pk")
        .values_list("pk", "trade_name", "slug", "town", "distance_km")
    )
    return [NearbyShop(*row) for row in rows]


def drives_by_region() -> dict[str, list[Drive]]:
    """Every active drive, grouped by region (in the regions' alphabetical order)."""
    grouped: dict[str, list[Drive]] = {}
    for drive in Drive.objects.filter(is_active=True).order_by("region", "town", "name"):
        grouped.setdefault(drive.get_region_display(), []).append(drive)
    return dict(sorted(grouped.items()))


# How far from the place a customer typed the drive finder looks.
DRIVES_AROUND_KM = 100


def drives_matching(*, text: str, limit: int = 12) -> list[Drive]:
    """Drives for what a customer typed (a postcode, a town, a drive's name): the drives
    nearest to that place, within DRIVES_AROUND_KM, nearest first, each with a
    `distance_km` attribute. A town and its postcode give the same drives."""
    point = _point_typed(text.strip())
    if point is None:
        return []
    return drives_nearest(latitude=point[0], longitude=point[1], limit=limit, max_km=DRIVES_AROUND_KM)


def _point_typed(text: str) -> tuple[float, float] | None:
    """Where a postcode (or its first digits), a town or a drive's name is."""
    if text.isdigit():
        return _postcode_point(text) if len(text) >= 2 else None
    key = town_key(text)
    if not key:
        return None
    return _town_point(key) or _drive_point(key)


def _postcode_point(digits: str) -> tuple[float, float] | None:
    """The centre of the communes served by the first postcode that starts with `digits`."""
    postcode = (
        Locality.objects.filter(postcode__startswith=digits)
        .order_by("postcode")
        .values_list("postcode", flat=True)
        .first()
    )
    if postcode is None:
        return None
    return _centre(_communes(Locality.objects.filter(postcode=postcode)))


def _town_point(key: str) -> tuple[float, float] | None:
    """A town by its name (`town_key`), as La Poste writes it: a commune; a city that
    La Poste splits into arrondissements ("PARIS 01" … "PARIS 20", "LYON 01",
    "MARSEILLE 01"…): the centre of them all; a place within a commune (La Poste's
    "ligne 5": a former commune, a hamlet); else the shortest commune name that begins
    with it ("quimp": QUIMPER). Several communes of that name (a dozen SAINT-PAUL): the
    one nearest to a drive, which is where the customer is more likely to be."""
    communes = _communes(Locality.objects.filter(name=key))
    if communes:
        return _nearest_to_a_drive(communes)
    # `key` holds only capitals, digits and spaces (town_key): nothing to escape.
    arrondissements = _communes(Locality.objects.filter(name__regex=rf"^{key} [0-9]{{2}}$"))
    if arrondissements:
        return _centre(arrondissements)
    communes = _communes(Locality.objects.filter(place=key))
    if communes:
        return _nearest_to_a_drive(communes)
    begun = (
        Locality.objects.filter(name__startswith=key)
        .order_by(Length("name"), "name")
        .values_list("name", flat=True)
        .first()
    )
    if begun is None:
        return None
    return _nearest_to_a_drive(_communes(Locality.objects.filter(name=begun)))


def _drive_point(key: str) -> tuple[float, float] | None:
    """Where the first drive (by name) whose name or town holds `key` is ("keryado")."""
    for drive in Drive.objects.filter(is_active=True).order_by("name", "pk"):
        if key in town_key(drive.name) or key in town_key(drive.town):
            return drive.latitude, drive.longitude
    return None


def _communes(localities: QuerySet[Locality]) -> list[tuple[float, float]]:
    """Each commune's centroid once (La Poste repeats it on each of its places), in the
    order of their INSEE codes."""
    rows = localities.order_by("insee_code").values_list("insee_code", "latitude", "longitude")
    return list({insee_code: (latitude, longitude) for insee_code, latitude, longitude in rows}.values())


def _centre(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    if not points:
        return None
    return sum(point[0] for point in points) / len(points), sum(point[1] for point in points) / len(points)


def _nearest_to_a_drive(points: list[tuple[float, float]]) -> tuple[float, float]:
    if len(points) == 1:
        return points[0]
    drives = list(Drive.objects.filter(is_active=True).values_list("latitude", "longitude"))
    if not drives:
        return points[0]
    return min(points, key=lambda point: min(haversine_km(*point, *drive) for drive in drives))


def shop_by_slug(slug: str) -> Shop | None:
    """An open shop's public profile, with the active drives it joined."""
    active_drives = Prefetch("drives", queryset=Drive.objects.filter(is_active=True).order_by("name"))
    return open_shops().filter(slug=slug).prefetch_related(active_drives).first()
