"""Places and distances: town names as La Poste writes them, great-circle distances.

Distances are between commune centroids or shop coordinates, in kilometres, on a
spherical Earth: plenty for "which drives are near this shop".
"""

import math
import re
import unicodedata

from django.db.models import F, FloatField, Func, Value
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin

EARTH_RADIUS_KM = 6371.0088
# How far around a drive (or a point) shops are looked for: the search's default, and
# the most anyone may ask (the search, the shops' API).
DEFAULT_RADIUS_KM = 30
MAX_RADIUS_KM = 100

# La Poste abbreviates "Saint"/"Sainte" and drops accents, hyphens and apostrophes.
_ABBREVIATIONS = {"SAINT": "ST", "SAINTE": "STE"}


def town_key(name: str) -> str:
    """A comparison key under which "Saint-Étienne", "ST ETIENNE" and "st étienne" agree."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    ascii_only = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = re.split(r"[^A-Z0-9]+", ascii_only.upper().replace("Œ", "OE").replace("Æ", "AE"))
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words if word)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def distance_km_expression(
    latitude: float, longitude: float, lat_field="latitude", lon_field="longitude"
) -> Func:
    """SQL expression of the distance from a point to each row's coordinates.

    Spherical law of cosines; the cosine is clamped to [-1, 1] because rounding can
    push it just past 1 for identical points, where ACOS would fail.
    """
    cosine = Sin(Radians(Value(latitude))) * Sin(Radians(F(lat_field))) + Cos(Radians(Value(latitude))) * Cos(
        Radians(F(lat_field))
    ) * Cos(Radians(F(lon_field)) - Radians(Value(longitude)))
    clamped = Least(Greatest(cosine, Value(-1.0)), Value(1.0))
    return ACos(clamped, output_field=FloatField()) * Value(EARTH_RADIUS_KM)
