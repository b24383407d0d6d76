from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache

from catalog import alerts, moderation_services
from catalog.forms_moderation import ListingReportForm, StockAlertForm
from catalog.forms_search import RADIUS_CHOICES, SearchForm, ShopCatalogueForm
from catalog.models import Listing, ProductKind
from catalog.moderation_selectors import reportable_listing
from catalog.search import DEFAULT_RADIUS_KM, BookQuery, books_to_order, search_books
from catalog.selectors import book_by_ean, offers_near, shops_ordering, shops_ordering_kind
from marketplace.client_address import client_key
from marketplace.http import private_page
from marketplace.page_cache import cache_public_page
from shops.drive_session import URL_PARAMETER, chosen_drive, drive_in_url
from shops.selectors import NearbyShop, shop_by_slug, shops_near


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
    ordering, to_order = [], []
    if not found.results and found.query.text.strip() and not found.query.among_other_kinds:
        # Nothing in stock around: the books the words find, to order from a bookshop near by.
        ordering = shops_ordering_kind(kind=ProductKind.BOOK, shops=found.shops)
        to_order = books_to_order(found.query.text) if ordering else []
    return render(
        request,
        "catalog/search.html",
        {"form": form, "found": found, "drive": drive, "to_order": to_order, "ordering": ordering},
    )


@cache_public_page
def book_detail(request, ean):
    book = book_by_ean(ean)
    if book is None:
        raise Http404
    drive = drive_in_url(request)
    if drive is None and (chosen := chosen_drive(request)) is not None:
        return _with_drive(request, chosen)
    offers, ordering = [], []
    if drive is not None:
        request.page_drive = drive
        shops = shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=_radius(request))
        offers = offers_near(book=book, shops=shops, with_opening_hours=True)
        if not offers:  # "order it for me": the shops around that would get it
            ordering = shops_ordering(book=book, shops=shops)
    return render(
        request, "catalog/book.html", {"book": book, "offers": offers, "drive": drive, "ordering": ordering}
    )


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


def listing_report(request, listing_id):
    """Anyone reports an offer that looks wrong (online offers of approved shops only).
    Not cached: the form carries a CSRF token."""
    listing = reportable_listing(listing_id)
    if listing is None:
        raise Http404
    form = ListingReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if form.is_from_a_robot():
            return redirect("listing_report_done", listing.pk)
        try:
            moderation_services.listing_report(
                listing=listing,
                reason=form.cleaned_data["reason"],
                message=form.cleaned_data["message"],
                reporter=request.user,
                reporter_email=form.cleaned_data["email"],
                fingerprint=reporter_fingerprint(request),
            )
        except moderation_services.ListingNotReportable:
            raise Http404 from None
        except moderation_services.AlreadyReported:
            return render(request, "catalog/listing_report_done.html", {"listing": listing, "already": True})
        except moderation_services.TooManyReports as error:
            form.add_error(None, str(error))
        else:
            return redirect("listing_report_done", listing.pk)
    return render(request, "catalog/listing_report.html", {"listing": listing, "form": form})


def listing_report_done(request, listing_id):
    listing = get_object_or_404(Listing.objects.select_related("book"), pk=listing_id)
    return render(request, "catalog/listing_report_done.html", {"listing": listing, "already": False})


def reporter_fingerprint(request) -> str:
    """Who is reporting, as a keyed hash (the address itself is not kept): their account
    when logged in, else the address the request comes from (marketplace/client_address.py)."""
    user = request.user
    who = f"user:{user.pk}" if user.is_authenticated else f"address:{client_key(request)}"
    return salted_hmac("catalog.listing_report", who, algorithm="sha256").hexdigest()


def shop_detail(request, slug):
    """A bookshop's public page: who they are, where, when they are open, and what they
    have in stock."""
    shop = shop_by_slug(slug)
    if shop is None:
        raise Http404
    # What the opening hours block reads: two queries, however many ranges and closures.
    prefetch_related_objects([shop], "opening_periods", "closures")
    here = NearbyShop(shop.pk, shop.trade_name, shop.slug, shop.town, 0.0)
    form = ShopCatalogueForm(request.GET or None)
    wanted = form.cleaned_data if form.is_valid() else {}
    text, page = wanted.get("q") or "", wanted.get("page") or 1
    found = search_books(
        BookQuery(latitude=shop.latitude, longitude=shop.longitude, text=text, shop_id=shop.pk, page=page),
        shops=[here],
    )
    return render(request, "shops/shop_detail.html", {"shop": shop, "form": form, "found": found})


# --- "Tell me when it is here" (catalog/alerts.py) --------------------------------------------


@never_cache
def alert_new(request, ean):
    """Leave an email to be told when the product is in stock near the drive. Linked from
    the product's page (cached for everyone: it holds no form)."""
    book = book_by_ean(ean)
    if book is None:
        raise Http404
    drive = drive_in_url(request) or chosen_drive(request)
    if drive is None:
        return redirect("drives")
    form = StockAlertForm(request.POST or None)
    refused, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            alerts.alert_request(
                book=book,
                drive_id=drive.id,
                email=form.cleaned_data["email"],
                language=translation.get_language(),
                client=client_key(request),
            )
        except alerts.AlertRefused as error:
            refused, status = str(error), 429
        else:
            # The same page whatever happened: nobody learns whether an address asked already.
            return render(request, "catalog/alerts/sent.html", {"book": book, "drive": drive})
    return render(
        request, "catalog/alerts/new.html", {"book": book, "drive": drive, "form": form, "refused": refused},
        status=status,
    )  # fmt: skip


@private_page
def alert_confirm_view(request, token):
    """The confirmation link's page: one button (mail scanners open links; they do not post)."""
    return _alert_page(request, token, act=alerts.alert_confirm, template="catalog/alerts/confirm.html")


@private_page
def alert_unsubscribe_view(request, token):
    return _alert_page(
        request, token, act=alerts.alert_unsubscribe, template="catalog/alerts/unsubscribe.html"
    )


def _alert_page(request, token, *, act, template: str):
    """An alert's page behind the token of its emails: shows it, and `act`s on a POST."""
    alert = alerts.alert_by_token(token)
    if alert is None:
        raise Http404
    if request.method == "POST":
        alert = act(alert=alert)
    return render(request, template, {"alert": alert})
