"""What every page of the site knows: the drive, the language links, the cart's count.
Here, the highest app these come from (the cart is orders', the drive shops')."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, translate_url
from django.utils import translation

from orders.cart import cart_count
from shops.drive_session import chosen_drive


def site(request):
    return {
        "DEBUG": settings.DEBUG,
        # A page about a drive (its address says which) shows that one; others, the
        # visitor's choice.
        "chosen_drive": getattr(request, "page_drive", None) or chosen_drive(request),
        "language_links": _language_links(request),
        # Read from the session, no query. Pages showing a count are never page-cached
        # (see marketplace/page_cache.py): a visitor with a cart gets a fresh page.
        "cart_count": cart_count(request),
    }


def _language_links(request):
    """The same page in each language: links, not a form, so that pages carry no
    per-visitor token and can be cached. The query string is kept as it is."""
    current = translation.get_language()
    path, mark, query = request.get_full_path().partition("?")
    return [
        {"code": code, "name": translation.get_language_info(code)["name_local"],
         "url": _path_in(path, code, get_script_prefix()) + mark + query, "current": code == current}
        for code, _name in settings.LANGUAGES
    ]  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _path_in(path: str, code: str, _script_prefix: str) -> str:
    """`path` in the language `code` (under the script prefix given, part of the key).
    Finding it means resolving the address and reversing it, a quarter of the site's
    header on every page; the busiest pages (a search, a popular book) ask for the same
    few paths again and again."""
    return translate_url(path, code)
