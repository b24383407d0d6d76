"""Reads about shops, drives and places."""

import hmac

from django.db.models import QuerySet

from shops import api_keys
from shops.geo import distance_km_expression, town_key
from shops.models import Drive, Locality, Shop, ShopApiToken


def user_sees_all_shops(user) -> bool:
    """The chain's staff see the whole network; everyone else only their own shops."""
    return user.is_active and user.has_perm("shops.view_all_shops")


def shops_for_user(user) -> QuerySet[Shop]:
    """The shops `user` may see and manage. The one place that decides it: the admin,
    the API and every page about a shop's data go through here."""
    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    if user_sees_all_shops(user):
        return Shop.objects.all()
    return Shop.objects.filter(memberships__user=user)


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
