"""Counting requests per client without a race: "at most N per period", atomically.

Each limit counts hits in fixed windows (the current minute, hour…) with one cache key
per window: `add` creates it at 0 with an expiry (SET NX in Redis), `incr` adds one and
returns the new count (INCRBY: atomic in Redis, under a lock in the local-memory cache).
The hit is counted *before* the answer is decided, so twenty requests sent at once
against a limit of ten get ten "yes" and ten "no" — a read-then-write counter (read the
history, decide, write it back) lets most of them through.

A fixed window allows up to twice the rate across a window's boundary; for limits meant
to stop scripts and leave people alone that is fine, and it costs one round trip.

When the cache cannot be reached, limits let requests through (logged once per process
until the cache answers again): a broken cache must not lock every customer out, and
what must never be exceeded (copies held, stock, wrong passwords per account) is
enforced in the database (docs/resilience.md).
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from marketplace.cache import cache_unreachable
from marketplace.client_address import client_key

logger = logging.getLogger(__name__)

UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400,
         "day": 86400}  # fmt: skip
RATE_PATTERN = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """N hits per window of `seconds`; written "20/min", "5/hour", "3/10min"."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = RATE_PATTERN.match(str(text).lower())
        if not match or match.group(3) not in UNITS:
            raise ValueError(f"not a rate: {text!r} (write it like '20/min', '5/hour' or '3/10min')")
        count, multiple, unit = match.groups()
        return cls(int(count), int(multiple or 1) * UNITS[unit])

    def __str__(self):
        return f"{self.count}/{self.seconds}s"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int  # hits in the current window, this one included
    retry_after: int  # seconds until the window ends (when a refused client may retry)


_cache_failing = False


def hit(*, scope: str, who: str, rate: Rate | str) -> Verdict:
    """Count one hit of `who` for `scope` and say whether it is within `rate`."""
    global _cache_failing
    rate = rate if isinstance(rate, Rate) else Rate.parse(rate)
    now = time.time()
    window = int(now // rate.seconds)
    retry_after = max(1, int((window + 1) * rate.seconds - now + 0.999))
    key = _key(scope, who, rate, window)
    try:
        count = _increment(key, timeout=rate.seconds + 1)
    except Exception:
        _cache_fails(exc_info=True)
        return Verdict(allowed=True, count=0, retry_after=0)
    if count is None:
        _cache_fails()
        return Verdict(allowed=True, count=0, retry_after=0)
    if _cache_failing:
        logger.warning("Rate limits: the cache answers again.")
        _cache_failing = False
    return Verdict(allowed=count <= rate.count, count=count, retry_after=retry_after)


def count(*, scope: str, who: str, rate: Rate | str) -> int:
    """Hits of `who` for `scope` in the current window, without counting one more. Only
    race-free where the caller serialises the requests of `who` (a lock of its own), as
    log-in does; otherwise use `hit`, which counts first and decides after."""
    rate = rate if isinstance(rate, Rate) else Rate.parse(rate)
    try:
        return int(cache.get(_key(scope, who, rate, int(time.time() // rate.seconds))) or 0)
    except Exception:
        _cache_fails(exc_info=True)
        return 0


def _cache_fails(*, exc_info: bool = False) -> None:
    global _cache_failing
    if not _cache_failing:
        logger.error("Rate limits: the cache cannot be reached; letting requests through.", exc_info=exc_info)
    _cache_failing = True


def _increment(key: str, *, timeout: int) -> int | None:
    """The new count, or None when the cache cannot be reached (marketplace/cache.py: it
    then keeps nothing)."""
    for _attempt in range(3):
        cache.add(key, 0, timeout)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr (create it again), or unreachable
            if cache_unreachable():
                return None
            continue
    raise RuntimeError(f"could not count {key}")


def _key(scope: str, who: str, rate: Rate, window: int) -> str:
    # Hashed: addresses and emails are not kept readable in the cache, and any text fits a key.
    digest = hashlib.sha256(f"{scope}\0{who}".encode()).hexdigest()[:32]
    return f"rate:{scope}:{rate.seconds}:{window}:{digest}"


class AtomicRateThrottle(BaseThrottle):
    """A DRF throttle counting with `hit` (atomic), per client (`client_key`): `rate`, or
    the setting named by `per_minute_setting` (requests a minute)."""

    scope: str = ""
    rate: str = ""
    per_minute_setting: str = ""

    def allow_request(self, request, view) -> bool:
        rate = self.rate or f"{getattr(settings, self.per_minute_setting)}/min"
        self.verdict = hit(scope=self.scope, who=self.get_ident(request), rate=rate)
        return self.verdict.allowed

    def get_ident(self, request) -> str:
        return client_key(request)

    def wait(self) -> float | None:
        return self.verdict.retry_after
