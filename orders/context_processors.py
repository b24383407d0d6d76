"""What every page of the site knows: the drive, the language links, the cart's count.
Here, the highest app these come from (the cart is orders', the drive shops')."""

from django.conf import settings
from django.urls import translate_url
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
    per-visitor token and can be cached."""
    current = translation.get_language()
    path = request.get_full_path()
    return [
        {"code": code, "name": translation.get_language_info(code)["name_local"], "url": translate_url(path, code),
         "current": code == current}
        for code, _name in settings.LANGUAGES
    ]  # fmt: skip
