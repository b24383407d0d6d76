"""The shops' cache version: bumped by every change of a shop, so that what was cached
under an older one (shops near a drive, public pages) is known to be stale.

Apart from the selectors and the page cache that read it, because Shop.save bumps it: a
model must not import the selectors.
"""

import math
import time

from django.core.cache import cache

SHOPS_VERSION_KEY = "shops-near-version"

# A process trusts the shops' version it last read for this long (seconds) before
# asking the shared cache again: every search and book page needs it, cached or not.
# A change made in another process is thus seen within a second; in this one, at once.
SHOPS_VERSION_RECHECK = 1.0
_version_read = (0, -math.inf)  # (version, monotonic time it was read), this process's


def shops_cache_version() -> int:
    """Bumped by every change of a shop: what was cached under an older one is stale."""
    global _version_read
    version, read_at = _version_read
    now = time.monotonic()
    if now - read_at > SHOPS_VERSION_RECHECK:
        version = cache.get_or_set(SHOPS_VERSION_KEY, _first_version, None)
        _version_read = (version, now)
    return version


def _first_version() -> int:
    """From the clock: if the cache is emptied, the version starts again from a value no
    page was ever cached under (from 1, it would meet old ones)."""
    return time.time_ns() // 1000


def shops_changed() -> None:
    """Forget every cached `shops_near` answer and public page (a shop was approved,
    suspended, moved, renamed, went on holiday…). Called by Shop.save, and again once the
    change is committed."""
    global _version_read
    try:
        version = cache.incr(SHOPS_VERSION_KEY)
    except ValueError:  # not set (or evicted)
        version = _first_version()
        cache.set(SHOPS_VERSION_KEY, version, None)
    _version_read = (version, time.monotonic())


def forget_shops_version() -> None:
    """Read the version from the shared cache next time (tests empty the cache)."""
    global _version_read
    _version_read = (0, -math.inf)
