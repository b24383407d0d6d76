from django.http import Http404
from django.shortcuts import redirect, render

from catalog.forms_search import RADIUS_CHOICES, SearchForm
from catalog.search import DEFAULT_RADIUS_KM, search_books
from catalog.selectors import book_by_ean, offers_near
from marketplace.page_cache import cache_public_page
from shops.drive_session import URL_PARAMETER, chosen_drive, drive_in_url
from shops.selectors import shops_near


@cache_public_page
def search(request):
    """Books in stock near a drive (named in the address). Without one, the visitor's
    chosen drive is put in the address; without any, the page asks for one."""
    drive = drive_in_url(request)
    if drive is None:
        if (chosen := chosen_drive(request)) is not None:
            return _with_drive(request, chosen)
        return render(request, "catalog/search.html", {"form": SearchForm(), "needs_drive": True})
    request.page_drive = drive
    shops = shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=_radius(request))
    data = request.GET.copy()
    data.setdefault("radius", str(DEFAULT_RADIUS_KM))  # what the select shows when the URL has none
    form = SearchForm(data, shops=shops)
    form.is_valid()  # errors are shown next to the fields; the search runs with defaults
    found = search_books(form.to_query(latitude=drive.latitude, longitude=drive.longitude), shops=shops)
    return render(request, "catalog/search.html", {"form": form, "found": found, "drive": drive})


@cache_public_page
def book_detail(request, ean):
    book = book_by_ean(ean)
    if book is None:
        raise Http404
    drive = drive_in_url(request)
    if drive is None and (chosen := chosen_drive(request)) is not None:
        return _with_drive(request, chosen)
    offers = []
    if drive is not None:
        request.page_drive = drive
        shops = shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=_radius(request))
        offers = offers_near(book=book, shops=shops, with_opening_hours=True)
    return render(request, "catalog/book.html", {"book": book, "offers": offers, "drive": drive})


def _with_drive(request, drive):
    """The same page, with the drive in its address (shareable, cacheable)."""
    query = request.GET.copy()
    query[URL_PARAMETER] = drive.slug
    return redirect(f"{request.path}?{query.urlencode()}")


def _radius(request) -> int:
    """The radius asked for in the URL if it is one the form offers, else the default
    (the form then shows the error)."""
    radius = request.GET.get("radius", "")
    allowed = {str(km): km for km, _label in RADIUS_CHOICES}
    return allowed.get(radius, DEFAULT_RADIUS_KM)
