"""A short-lived cache of whole public pages (search results, book pages).

These pages depend only on their address (path, language, query string: the drive
is in it) and hold no per-visitor data (no form token), so one rendering can serve
everyone for a little while. Stock shown can thus be up to `PAGE_TTL` seconds old;
reserving a copy always checks the real stock.

Any change of a shop (suspended, on holiday, approved) drops every cached page at once:
a page is kept with the shops' cache version it was rendered under and served only
while that is still the version (shops.cache_version.shops_changed; each process rereads
the version at most once a second, so another process's change shows within a second).

Two levels: Redis, shared by every process, and the last few hundred pages served by
this process, in its memory. A popular page then costs no round trip at all: on a hit,
the Redis round trip was most of what the page cost. Both levels honour the same
expiry (the time of rendering + PAGE_TTL) and the same shops' version.

Pages are kept compressed (gzip, once, when stored) and served as they are to browsers
that accept gzip, which all do: 20 KB of HTML become ~4 KB on a phone's connection, and
a hit compresses nothing. Other clients get them decompressed. Pages rendered afresh
are compressed on the way out by Django's GZipMiddleware.

Stale while revalidate: past its fresh time (PAGE_TTL), a page is kept for STALE_GRACE
seconds more. The first process to ask for it then takes a short lock in Redis (SET NX,
LOCK_SECONDS) and renders it again; the others, meanwhile, serve the page they have (a
popular search is otherwise rendered by every worker at once, each time it expires).
Only expiry is forgiven: a page rendered under an older shops' version is never served
(a suspended shop disappears at once), nor a page past its grace, nor anything while
Redis, which holds the locks, cannot be reached.

While the shared cache cannot be reached (marketplace/cache.py), pages are rendered
afresh and kept nowhere, at either level: whether a copy is still current is told by
the shops' version, which lives there.

Not cached: logged-in people (booksellers checking their own listings want the
truth now), visitors with books in their reservation (the header shows how many),
pages with a message to show, errors.

This module is on the ground floor and knows no app: the settings name what versions
the pages (PAGE_CACHE_VERSION: the shops' version) and what makes a visitor's page
personal (PAGE_CACHE_PERSONAL: the cart's count). config/ composes the floors.
"""

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import cache as once
from functools import wraps
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

from marketplace.cache import cache_unreachable

PAGE_TTL = 30
# Seconds past PAGE_TTL during which a page may still be served while one process renders
# it again; the lock that elects that process lasts LOCK_SECONDS (a rendering takes tens of
# milliseconds: if it fails, another process tries again after that).
STALE_GRACE = 30
LOCK_SECONDS = 5
HEADER = "X-Page-Cache"
# Pages each process keeps in memory (~4 KB each, compressed), the least recently served
# dropped first.
LOCAL_PAGES = 500

# A cached page: (shops' version it was rendered under, end of its fresh time as a Unix
# time, gzip bytes, content type). A tuple: it goes through pickle into Redis. It is kept
# STALE_GRACE seconds past that end.
_local_pages: OrderedDict[str, tuple] = OrderedDict()
_local_pages_lock = threading.Lock()  # threaded servers share the copies between requests


def cache_public_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        # Read before rendering: a shop changing meanwhile makes this page stale at once.
        shops_version = _hooks().pages_version()
        if cache_unreachable():
            response = view(request, *args, **kwargs)
            response[HEADER] = "bypass"
            return response
        now = time.time()
        page = _local_page(key, shops_version)
        if page is None or _is_stale(page, now):
            page = _freshest(page, _shared_page(key, shops_version))
        if page is not None and not _is_stale(page, now):
            return _cached_response(request, page, "hit")
        if page is not None and not _renders_again(key):
            return _cached_response(request, page, "stale")  # another process renders it now
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.cookies
            and not response.streaming
            and not cache_unreachable()  # it went away while the page was rendered
        ):
            page = (
                shops_version,
                time.time() + PAGE_TTL,
                gzip.compress(response.content, mtime=0),
                response["Content-Type"],
            )
            cache.set(key, page, PAGE_TTL + STALE_GRACE)
            _keep_locally(key, page)
        response[HEADER] = "miss"
        return response

    return wrapper


def forget_local_pages() -> None:
    """Drop this process's copies (tests empty the cache between them)."""
    with _local_pages_lock:
        _local_pages.clear()


def _is_current(page: tuple | None, shops_version: int, now: float) -> bool:
    """Whether the page may be served at all: rendered under the shops' version of now,
    and fresh or within its grace."""
    return page is not None and page[0] == shops_version and page[1] + STALE_GRACE > now


def _is_stale(page: tuple, now: float) -> bool:
    return page[1] <= now


def _freshest(page: tuple | None, other: tuple | None) -> tuple | None:
    if page is None or (other is not None and other[1] > page[1]):
        return other
    return page


def _renders_again(key: str) -> bool:
    """Whether this process is the one to render a stale page again: the first to take
    its lock (SET NX in Redis). False (serve the stale page) while another holds it. Redis
    gone meanwhile: True, the page is rendered and kept nowhere, as on any outage."""
    taken = cache.add(_rendering_lock(key), 1, LOCK_SECONDS)
    return taken or cache_unreachable()


def _rendering_lock(key: str) -> str:
    return f"{key}:rendering"


def _local_page(key: str, shops_version: int) -> tuple | None:
    with _local_pages_lock:
        page = _local_pages.get(key)
        if not _is_current(page, shops_version, time.time()):
            return None
        _local_pages.move_to_end(key)
        return page


def _shared_page(key: str, shops_version: int) -> tuple | None:
    page = cache.get(key)
    if not _is_current(page, shops_version, time.time()):
        return None
    _keep_locally(key, page)
    return page


def _keep_locally(key: str, page: tuple) -> None:
    with _local_pages_lock:
        _local_pages[key] = page
        _local_pages.move_to_end(key)
        while len(_local_pages) > LOCAL_PAGES:
            _local_pages.popitem(last=False)


def _cached_response(request, page: tuple, served: str) -> HttpResponse:
    _version, _expiry, compressed, content_type = page
    if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(compressed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type=content_type)
    patch_vary_headers(response, ("Accept-Encoding",))
    response[HEADER] = served  # "hit", or "stale" while another process renders it again
    return response


def _cacheable(request) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and not len(messages.get_messages(request))  # a message waits to be shown (read, not consumed)
        and not any(personal(request) for personal in _hooks().personal)  # e.g. the header counts their books
    )


class _Hooks(NamedTuple):
    pages_version: Callable[[], int]
    personal: tuple[Callable[[HttpRequest], object], ...]


@once
def _hooks() -> _Hooks:
    return _Hooks(
        pages_version=import_string(settings.PAGE_CACHE_VERSION),
        personal=tuple(import_string(path) for path in settings.PAGE_CACHE_PERSONAL),
    )


def _key(request) -> str:
    query = "&".join(sorted(f"{key}={value}" for key, values in request.GET.lists() for value in values))
    # The day in it: what a page says can change at midnight without any shop changing
    # (a holiday starting, "open today"), and a page may be served up to
    # PAGE_TTL + STALE_GRACE after it was rendered.
    raw = f"{translation.get_language()}|{timezone.localdate().isoformat()}|{request.path}|{query}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()
