"""The customer's side of reservations: the cart, checkout, and the pages of an order.

Pages reached by a token (a checkout's confirmation, an order) are the customer's key
to their order: never cached, and never announced to other sites by the Referer header.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from catalog.selectors import book_by_ean
from catalog.stock import listings_offered, listings_reservable
from marketplace.client_address import client_key
from marketplace.http import private_page
from orders.answer_deadline import search_again_url
from orders.cart import (
    Cart,
    CartFull,
    copies_allowed,
    gone_message,
    short_message,
)
from orders.elsewhere import copies_elsewhere, elsewhere_for_order, offer_elsewhere
from orders.forms import AddToCartForm, CartQuantityForm, CheckoutForm, DistributorOrderForm, ElsewhereForm
from orders.limits import (
    ReservationLimitReached,
    max_copies_per_line,
    max_lines_per_checkout,
    reservation_request_count,
)
from orders.models import Order, OrderEvent
from orders.selectors import (
    checkout_by_token,
    checkout_placed_elsewhere,
    order_by_token,
    order_ready_by,
    orders_of_customer,
)
from orders.services import (
    CartLine,
    CustomerDetails,
    DistributorOrderRefused,
    EmptyReservation,
    IdempotencyConflict,
    OrderStatusError,
    ReservationBusy,
    StockChanged,
    checkout_place,
    distributor_order_place,
    distributor_order_problem,
    order_cancel,
)
from shops.drive_session import chosen_drive, drive_in_url
from shops.geo import haversine_km
from shops.selectors import shop_by_slug

ORDERS_PER_PAGE = 20


# --- Cart ------------------------------------------------------------------------------


@never_cache
def cart_add(request, listing_id):
    """One offer of the book page ("Reserve"): how many copies, then into the cart.

    The book page is cached for everyone, so it links here instead of holding a form.
    """
    listing = listings_offered().filter(pk=listing_id).first()
    if listing is None:
        raise Http404
    # Holiday mode: the offer stays reachable (links, bookmarks) but cannot be reserved.
    away = listing.shop.is_on_holiday(timezone.localdate())
    cart = Cart(request.session)
    in_cart = cart.quantity_of(listing.pk)
    addable = 0 if away else max(0, copies_allowed(listing) - in_cart)
    form = None
    if addable:
        form = AddToCartForm(
            request.POST or None, max_quantity=addable, initial={"seen_price": listing.price}
        )
        if request.method == "POST" and form.is_valid():
            try:
                cart.add(listing, form.cleaned_data["quantity"], seen_price=form.cleaned_data["seen_price"])
            except CartFull:
                messages.error(
                    request,
                    _("Your reservation already holds %(count)s different items: confirm it first.")
                    % {"count": max_lines_per_checkout()},
                )
            else:
                messages.success(
                    request,
                    _("“%(title)s” (%(shop)s) is in your reservation.")
                    % {"title": listing.book.title, "shop": listing.shop.trade_name},
                )
            return redirect("cart")
    drive = drive_in_url(request) or chosen_drive(request)
    distance_km = (
        haversine_km(drive.latitude, drive.longitude, listing.shop.latitude, listing.shop.longitude)
        if drive is not None
        else None
    )
    return render(
        request,
        "orders/cart_add.html",
        {
            "listing": listing,
            "form": form,
            "in_cart": in_cart,
            "drive": drive,
            "distance_km": distance_km,
            "available": copies_allowed(listing),
            "away": away,
        },
    )


@never_cache
def cart_detail(request):
    cart = Cart(request.session)
    contents = cart.refresh()
    for change in contents.changes:
        messages.warning(request, change)
    return render(request, "orders/cart.html", {"contents": contents})


@require_POST
def cart_update(request, listing_id):
    cart = Cart(request.session)
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, _("Choose a number of copies from 0 to %(max)s.") % {"max": max_copies_per_line()}
        )
        return redirect("cart")
    listing = listings_reservable().filter(pk=listing_id).first()
    if listing is None:
        return redirect("cart")  # which drops the line and says which book went away
    wanted = form.cleaned_data["quantity"]
    if wanted == 0:
        return cart_remove(request, listing_id)
    kept = cart.set_quantity(listing, wanted)
    if kept == 0:
        messages.warning(request, gone_message(listing.book.title, listing.shop.trade_name))
    elif kept < wanted:
        messages.warning(request, short_message(listing, kept))
    return redirect("cart")


@require_POST
def cart_remove(request, listing_id):
    title = Cart(request.session).remove(listing_id)
    if title is not None:
        messages.success(request, _("“%(title)s” is no longer in your reservation.") % {"title": title})
    return redirect("cart")


# --- Checkout --------------------------------------------------------------------------


@never_cache
def checkout(request):
    """The customer's details, then one submission places one order per shop.

    The form carries a key drawn when it is shown: the same form sent twice (a double
    click, a refresh, a retry) reserves once and shows the same confirmation.
    """
    cart = Cart(request.session)
    problems, busy, refused, retry_after, status = [], False, "", None, 200
    if request.method == "POST":
        form = CheckoutForm(request.POST)
        if form.is_valid():
            key = form.cleaned_data["token"]
            if (token := cart.checkout_placed_with(key)) is not None:
                return redirect("checkout_done", token)
            drive = chosen_drive(request)
            try:
                reservation_request_count(client_key(request))
                placed = checkout_place(
                    key=key,
                    lines=cart.lines_for_checkout(),
                    customer=form.customer_details(user=request.user, language=translation.get_language()),
                    client=client_key(request),
                    drive_id=drive.id if drive else None,
                )
            except StockChanged as changed:
                problems = [cart.problem_message(problem) for problem in changed.problems]
                cart.apply_problems(changed.problems)
            except ReservationLimitReached as limit:
                refused, retry_after = str(limit), limit.retry_after
                status = 429 if retry_after else 200
            except ReservationBusy as error:
                busy, status = str(error), 503
            except IdempotencyConflict:
                messages.error(
                    request, _("This form was already sent for another reservation. Please confirm again.")
                )
                form.renew_token()
            except EmptyReservation:
                return redirect("cart")  # emptied in another tab: the cart page says it is empty
            else:
                cart.placed(key=key, checkout_token=placed.token)
                return redirect(placed.customer_url())
        elif "token" in form.errors:
            form.renew_token()
    else:
        form = CheckoutForm(initial=_details_of(request.user))

    contents = cart.refresh()
    for change in contents.changes:
        messages.warning(request, change)
    if contents.is_empty:
        for problem in problems:
            messages.warning(request, problem)
        return redirect("cart")
    response = render(
        request,
        "orders/checkout.html",
        {"form": form, "contents": contents, "problems": problems, "busy": busy, "refused": refused},
        status=status,
    )
    if busy:
        response["Retry-After"] = "5"
    elif retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
def distributor_order(request, ean, shop_slug):
    """ "Order it for me": ask a shop near the drive for a book no shop around has in
    stock; it orders the book from its distributor. The customer's details as at
    checkout, one submission places one order (idempotent by the form's key)."""
    book = book_by_ean(ean)
    shop = shop_by_slug(shop_slug)
    if book is None or shop is None:
        raise Http404
    problem = distributor_order_problem(shop=shop, book=book)
    refused, busy, status = problem or "", "", 200
    if request.method == "POST" and problem is None:
        form = DistributorOrderForm(request.POST)
        if form.is_valid():
            drive = drive_in_url(request) or chosen_drive(request)
            try:
                reservation_request_count(client_key(request))
                placed = distributor_order_place(
                    key=f"distributor:{form.cleaned_data['token']}",
                    shop_id=shop.pk,
                    book_id=book.pk,
                    quantity=form.cleaned_data["quantity"],
                    customer=form.customer_details(user=request.user, language=translation.get_language()),
                    client=client_key(request),
                    drive_id=drive.id if drive else None,
                )
            except (DistributorOrderRefused, ReservationLimitReached, IdempotencyConflict) as error:
                refused = str(error)
                status = 429 if getattr(error, "retry_after", None) else 200
                form.renew_token()
            except ReservationBusy as error:
                busy, status = str(error), 503
            else:
                return redirect(placed.customer_url())
        elif "token" in form.errors:
            form.renew_token()
    else:
        form = DistributorOrderForm(initial=_details_of(request.user))
    return render(
        request,
        "orders/distributor_order.html",
        {
            "book": book,
            "shop": shop,
            "form": form,
            "refused": refused,
            "busy": busy,
            "can_order": problem is None,
        },
        status=status,
    )


def _details_of(user) -> dict:
    """What the form can fill in for an account holder: their name and email, and the
    phone of their last order."""
    if not user.is_authenticated:
        return {}
    details = {"name": user.get_full_name(), "email": user.email}
    last_phone = orders_of_customer(user).values_list("customer_phone", flat=True).first()
    if last_phone:
        details["phone"] = last_phone
    return details


@private_page
def checkout_done(request, token):
    checkout = checkout_by_token(token)
    if checkout is None:
        raise Http404
    orders = list(
        checkout.orders.select_related("shop").prefetch_related("lines").order_by("shop__trade_name")
    )
    return render(request, "orders/checkout_done.html", {"checkout": checkout, "orders": orders})


def terms(request):
    return render(request, "orders/terms.html")


# --- Orders ----------------------------------------------------------------------------


@private_page
def order_detail(request, token):
    order = order_by_token(token)
    if order is None:
        raise Http404
    return render(
        request,
        "orders/order.html",
        {
            "order": order,
            "history": _history(order),
            "ready_by": order_ready_by(order),
            "search_again": search_again_url(order) if order.status == Order.Status.UNANSWERED else "",
            "elsewhere": elsewhere_for_order(order, with_opening_hours=True),
            "elsewhere_form": ElsewhereForm(),
        },
    )


@private_page
def order_elsewhere(request, token, listing_id):
    """Reserve at another shop nearby what the order's shop did not serve (one of the
    offers its page lists), with the details the customer gave for the order.

    The order page's buttons POST here at once; an email's link GETs this page, which
    shows the reservation and one button (a link must never reserve by itself). Underneath,
    an ordinary checkout: stock checked under lock, the reservation limits, and the form's
    key making a double click reserve once.
    """
    order = order_by_token(token)
    if order is None:
        raise Http404
    form = ElsewhereForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        # A second click of a button that reserved already: its confirmation again.
        done = checkout_placed_elsewhere(order=order, key=_elsewhere_key(form))
        if done is not None:
            return redirect(done.customer_url())
    found = offer_elsewhere(order, listing_id)
    if found is None:
        messages.warning(
            request, _("This offer is no longer available. Here are the ones still in stock, if any.")
        )
        return redirect("order", token)
    line, offer = found
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            reservation_request_count(client_key(request))
            placed = checkout_place(
                key=_elsewhere_key(form),
                lines=[CartLine(offer.listing.pk, copies_elsewhere(line, offer), offer.listing.price)],
                customer=CustomerDetails(
                    name=order.customer_name,
                    email=order.customer_email,
                    phone=str(order.customer_phone),
                    language=translation.get_language(),
                    user=order.customer,
                ),
                client=client_key(request),
                drive_id=order.checkout.drive_id,
                instead_of=order,
            )
        except StockChanged as changed:
            messages.warning(request, " ".join(problem.message for problem in changed.problems))
            return redirect("order", token)
        except (ReservationLimitReached, ReservationBusy, IdempotencyConflict) as error:
            messages.error(request, str(error))
            form = ElsewhereForm()
            if isinstance(error, ReservationBusy):
                status = 503
            elif getattr(error, "retry_after", None):
                status = 429
        else:
            return redirect(placed.customer_url())
    return render(
        request,
        "orders/order_elsewhere.html",
        {"order": order, "line": line, "offer": offer, "copies": copies_elsewhere(line, offer), "form": form},
        status=status,
    )


@private_page
def order_cancel_view(request, token):
    """Cancel, after a confirmation page (a plain form: works without JavaScript)."""
    order = order_by_token(token)
    if order is None:
        raise Http404
    if request.method == "POST":
        try:
            order_cancel(order=order, by=request.user if request.user.is_authenticated else None)
        except OrderStatusError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Order %(reference)s is cancelled. The shop has been told.")
                % {"reference": order.reference},
            )
        return redirect("order", token)
    if not order.can_be_cancelled:
        messages.info(
            request,
            _("Order %(reference)s can no longer be cancelled online: please call the shop.")
            % {"reference": order.reference},
        )
        return redirect("order", token)
    return render(request, "orders/order_cancel.html", {"order": order})


def _elsewhere_key(form: ElsewhereForm) -> str:
    return f"elsewhere:{form.cleaned_data['token']}"


def _history(order: Order) -> list[dict]:
    """The order's events in words, from the prefetched lines and events (no query each)."""
    titles = {line.pk: line.title for line in order.lines.all()}
    history = []
    for event in order.events.all():
        if event.line_id is not None:
            text = _("“%(title)s” cannot be served") % {"title": titles.get(event.line_id, "")}
        elif not event.from_status:
            text = _("Order placed")
        else:
            text = Order.Status(event.to_status).label
        history.append({"event": event, "text": text, "by": OrderEvent.Actor(event.actor_kind).label})
    return history


@never_cache
@login_required(login_url="customer_login")
def my_orders(request):
    orders = orders_of_customer(request.user).prefetch_related("lines")
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orders/my_orders.html", {"page": page})
