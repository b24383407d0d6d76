"""Django's Redis cache backend, keeping one redis-py client per connection pool, and
keeping the site up when Redis is not.

One client per pool: Django's `RedisCacheClient.get_client` builds a new `redis.Redis`
for every cache call. The client holds no connection (its pool does), but building one
with redis-py 8 fills its table of ~170 response callbacks: ~0.1 ms of CPU per call, as
much as Django then spends on a whole cached page. A client is safe to share between
threads, and redis-py's pool notices a fork (gunicorn's workers) and opens fresh
connections in the child.

When Redis cannot be reached (stopped, restarting, loading its data, frozen, cut off),
the cache behaves as an empty cache that keeps nothing: reads miss, writes are dropped,
`incr` finds no key (ValueError). Every caller then does what it does on a miss —
sessions are read from the database, pages and shop lookups are computed — so nothing
raises into a request; callers for which a miss is not enough ask `cache_unreachable()`
(the page cache, the rate limits). Nor does a request wait for Redis: connecting gives
up after CONNECT_TIMEOUT, a command after COMMAND_TIMEOUT, and once a call has failed
the process leaves Redis alone for RETRY_EVERY before it tries again.

A write that may not have reached Redis (a session changed or ended, a shop's new
version) would leave the old value there, to be served again once Redis answers if it
kept its data (a network cut, a restart from its snapshot): a logged-out session
coming back, a cart going back in time. So each process remembers the keys it wrote
during an outage and deletes them when Redis answers again, before anything else.

An outage is logged twice per process: when it begins, and when it ends.
"""

import logging
import threading
import time
from functools import partial

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends import redis as django_redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Seconds. Redis sits next to the application: it connects in well under a millisecond
# and answers in one; a page must not wait seconds for a cache that is gone. Both can be
# set in CACHE_URL's query string (?socket_timeout=1).
CONNECT_TIMEOUT = 0.25
COMMAND_TIMEOUT = 0.5
# While Redis is unreachable, a process tries it again at most this often (seconds).
RETRY_EVERY = 1.0
# Keys written during one outage that a process remembers, at most (a few per request
# that changes a session). Past it, the others expire on their own.
MAX_KEYS_TO_FORGET = 100_000

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)  # BusyLoadingError is a ConnectionError
_NOT_REACHED = object()


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # connection pool → its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


class Outage:
    """What a process knows of its Redis being unreachable. Shared by the process's
    threads: Django gives each thread a cache object of its own."""

    def __init__(self):
        self.lock = threading.Lock()
        self.since: float | None = None  # monotonic time of the first failure; None while Redis answers
        self.retry_at = 0.0
        self.keys_to_forget: set[str] = set()
        self.calls_missed = 0


_outages: dict[tuple[str, ...], Outage] = {}
_outages_lock = threading.Lock()


def _outage_of(servers) -> Outage:
    with _outages_lock:
        return _outages.setdefault(tuple(servers), Outage())


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        options = {
            "socket_connect_timeout": CONNECT_TIMEOUT,
            "socket_timeout": COMMAND_TIMEOUT,
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = RedisCacheClient
        self._outage = _outage_of(self._servers)

    @property
    def unreachable(self) -> bool:
        """Whether this process found Redis unreachable and has not seen it answer since."""
        return self._outage.since is not None

    # Every call goes through `_call`; clear() does not: emptying a cache that cannot be
    # reached is a failure to report (tests, benchmarks), not a miss.

    def get(self, key, default=None, version=None):
        return self._call(partial(super().get, key, default, version), miss=default)

    def get_many(self, keys, version=None):
        return self._call(partial(super().get_many, keys, version), miss={})

    def has_key(self, key, version=None):
        return self._call(partial(super().has_key, key, version), miss=False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        call = partial(super().add, key, value, timeout, version)
        return self._call(call, miss=False, writes=[key], version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        call = partial(super().set, key, value, timeout, version)
        self._call(call, miss=None, writes=[key], version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        call = partial(super().set_many, data, timeout, version)
        return self._call(call, miss=list(data), writes=list(data), version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(partial(super().touch, key, timeout, version), miss=False)

    def delete(self, key, version=None):
        return self._call(partial(super().delete, key, version), miss=False, writes=[key], version=version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._call(partial(super().delete_many, keys, version), miss=None, writes=keys, version=version)

    def incr(self, key, delta=1, version=None):
        call = partial(super().incr, key, delta, version)
        value = self._call(call, miss=_NOT_REACHED, writes=[key], version=version)
        if value is _NOT_REACHED:
            raise ValueError(f"Key '{key}' not found (the cache cannot be reached).")
        return value

    def _call(self, call, *, miss, writes=(), version=None):
        if self._outage.since is not None and not self._answers_again(writes, version):
            return miss
        try:
            return call()
        except UNREACHABLE as error:
            self._failed(error, writes, version)
            return miss

    def _failed(self, error: Exception, writes, version) -> None:
        outage = self._outage
        with outage.lock:
            now = time.monotonic()
            if outage.since is None:
                outage.since = now
                outage.calls_missed = 0
                logger.error(
                    "The cache (Redis) cannot be reached (%s): until it answers, pages are rendered "
                    "afresh, sessions come from the database and rate limits let requests through.",
                    error,
                )
            outage.retry_at = now + RETRY_EVERY
            self._remember(writes, version)

    def _answers_again(self, writes, version) -> bool:
        """Try Redis again if it is time: first forget what was written meanwhile. True
        if Redis answers (the call can go ahead), False if it is still out of reach."""
        outage = self._outage
        with outage.lock:  # the other threads wait: none reads before the keys are forgotten
            if outage.since is None:
                return True
            now = time.monotonic()
            if now >= outage.retry_at:
                outage.retry_at = now + RETRY_EVERY
                try:
                    self._forget(outage.keys_to_forget)
                except UNREACHABLE:
                    pass
                else:
                    logger.warning(
                        "The cache (Redis) answers again after %.1f s: %s calls missed it, %s keys "
                        "written meanwhile deleted%s.",
                        now - outage.since,
                        outage.calls_missed,
                        len(outage.keys_to_forget),
                        " (the most remembered: others may be served stale until they expire)"
                        if len(outage.keys_to_forget) >= MAX_KEYS_TO_FORGET
                        else "",
                    )
                    outage.since = None
                    outage.keys_to_forget = set()
                    return True
            outage.calls_missed += 1
            self._remember(writes, version)
            return False

    def _remember(self, writes, version) -> None:
        """Called with the outage's lock held."""
        keys = self._outage.keys_to_forget
        for key in writes:
            if len(keys) >= MAX_KEYS_TO_FORGET:
                return
            keys.add(self.make_key(key, version=version))

    def _forget(self, keys) -> None:
        client = self._cache.get_client(write=True)
        if not keys:
            client.ping()
        keys = list(keys)
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


def cache_unreachable(alias: str = DEFAULT_CACHE_ALIAS) -> bool:
    """Whether this process currently finds the cache unreachable (then it keeps
    nothing). Always False for caches that cannot be (in memory)."""
    return getattr(caches[alias], "unreachable", False)


# --- Short-lived copies in the process, in front of the shared cache --------------------

# key → (monotonic time it expires, value). Emptied when it holds MAX_LOCAL_COPIES (a
# guard: the keys kept are drives, the shops around them, kinds and subjects, a few
# thousand).
MAX_LOCAL_COPIES = 10_000
_local_copies: dict[str, tuple[float, object]] = {}


def cached_with_local_copy(key: str, read, *, timeout: int, local_seconds: float, keep_if=None):
    """`cache.get_or_set(key, read, timeout)`, and what it gave is kept by this process for
    `local_seconds`: for what every page reads and nobody changes often (the kinds of
    product, the subjects), one trip to Redis per process every few seconds instead of
    one per page. A change then shows in the other processes within `local_seconds` of
    its key leaving the shared cache. `keep_if(value)`: whether this process keeps a copy
    (a drive's slug comes from the address: only real drives are kept, so that a flood of
    made-up ones does not push the others out)."""
    kept = _local_copies.get(key)
    if kept is not None and kept[0] > time.monotonic():
        return kept[1]
    value = caches[DEFAULT_CACHE_ALIAS].get_or_set(key, read, timeout)
    if keep_if is not None and not keep_if(value):
        return value
    if len(_local_copies) >= MAX_LOCAL_COPIES:
        _local_copies.clear()
    _local_copies[key] = (time.monotonic() + local_seconds, value)
    return value


def forget_local_copies(keys=None) -> None:
    """Drop this process's copies of `keys` (all of them by default)."""
    if keys is None:
        _local_copies.clear()
    for key in keys or ():
        _local_copies.pop(key, None)
