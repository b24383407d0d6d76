"""A short-lived cache of whole public pages (search results, book pages).

These pages depend only on their address (path, language, query string: the drive
is in it) and hold no per-visitor data (no form token), so one rendering can serve
everyone for a little while. Stock shown can thus be up to `PAGE_TTL` seconds old;
reserving a copy always checks the real stock.

Any change of a shop (suspended, on holiday, approved) drops every cached page at once:
a page is kept with the shops' cache version it was rendered under and served only
while that is still the version (shops.selectors.shops_changed). Both come back in one
Redis round trip: on a hit, that round trip is most of what the page costs.

Pages are kept compressed (gzip, once, when stored) and served as they are to browsers
that accept gzip, which all do: 20 KB of HTML become ~4 KB on a phone's connection, and
a hit compresses nothing. Other clients get them decompressed. Pages rendered afresh
are compressed on the way out by Django's GZipMiddleware.

Not cached: logged-in people (booksellers checking their own listings want the
truth now), visitors with books in their reservation (the header shows how many),
pages with a message to show, errors.
"""

import gzip
import hashlib
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import translation
from django.utils.cache import patch_vary_headers

from orders.cart import cart_count
from shops.selectors import SHOPS_VERSION_KEY, shops_cache_version

PAGE_TTL = 30
HEADER = "X-Page-Cache"


def cache_public_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        found = cache.get_many([key, SHOPS_VERSION_KEY])
        shops_version = found.get(SHOPS_VERSION_KEY)
        if key in found and shops_version is not None:
            rendered_under, compressed, content_type = found[key]
            if rendered_under == shops_version:
                return _cached_response(request, compressed, content_type)
        # Read before rendering: a shop changing meanwhile makes this page stale at once.
        shops_version = shops_version or shops_cache_version()
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            compressed = gzip.compress(response.content, mtime=0)
            cache.set(key, (shops_version, compressed, response["Content-Type"]), PAGE_TTL)
        response[HEADER] = "miss"
        return response

    return wrapper


def _cached_response(request, compressed: bytes, content_type: str) -> HttpResponse:
    if re_accepts_gzip.search(request.headers.get("Accept-Encoding", "")):
        response = HttpResponse(compressed, content_type=content_type)
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type=content_type)
    patch_vary_headers(response, ("Accept-Encoding",))
    response[HEADER] = "hit"
    return response


def _cacheable(request) -> bool:
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and "messages" not in request.COOKIES  # a message waits to be shown
        and not cart_count(request)  # the header counts their books
    )


def _key(request) -> str:
    query = "&".join(sorted(f"{key}={value}" for key, values in request.GET.lists() for value in values))
    raw = f"{translation.get_language()}|{request.path}|{query}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()
