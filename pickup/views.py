"""The counter page, where shop staff hand orders over, and the QR code of a pickup code.

The counter works on a phone without JavaScript. Looking a code up is a POST: each one
counts as an attempt against the guessing limits (pickup/services.py), so a link — the
QR code's, or one anybody sends a bookseller — must not count as one: a GET with ?code=
only fills the form in. Handing over is a POST of its own.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.http import private_page
from orders.pickup_qr import pickup_qr_png as qr_png
from pickup.forms import HandOverForm, PickupCodeForm
from pickup.selectors import counter_shops_for_user, ready_order_by_token
from pickup.services import CounterAnswer, pickup_code_check, pickup_hand_over

COUNTER_SHOP_SESSION_KEY = "counter_shop"
QR_MAX_AGE = 3600  # seconds; the image never changes while the order waits


@private_page  # the code may be in the address: never cached, never sent to another site
@login_required
@require_http_methods(["GET", "POST"])
def counter(request):
    shops = _counter_shops(request.user)
    answer = None
    if request.method == "POST":
        shop = _chosen_shop(request, shops, asked=request.POST.get("shop"))
        form = PickupCodeForm(request.POST)
        if form.is_valid():
            answer = pickup_code_check(shop=shop, user=request.user, typed=form.cleaned_data["code"])
    else:
        shop = _chosen_shop(request, shops, asked=request.GET.get("shop"))
        form = PickupCodeForm(initial={"code": request.GET.get("code", "")[:40]})
    if answer is None:
        form.fields["code"].widget.attrs["autofocus"] = True  # ready to type the next code
    locked_out = answer is not None and answer.outcome == CounterAnswer.Outcome.LOCKED_OUT
    response = render(
        request,
        "pickup/counter.html",
        {
            "shops": shops,
            "shop": shop,
            "form": form,
            "answer": answer,
            "code": form.cleaned_data["code"] if form.is_bound and form.is_valid() else "",
        },
        status=429 if locked_out else 200,
    )
    if locked_out:
        response["Retry-After"] = str(answer.retry_in_minutes * 60)
    return response


@never_cache
@login_required
@require_POST
def counter_hand_over(request):
    shops = _counter_shops(request.user)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        return redirect("counter")
    shop = _chosen_shop(request, shops, asked=form.cleaned_data["shop"])
    answer = pickup_hand_over(
        order_id=form.cleaned_data["order"], code=form.cleaned_data["code"], shop=shop, user=request.user
    )
    if answer.outcome == CounterAnswer.Outcome.HANDED_OVER:
        messages.success(request, answer.message)
    else:
        messages.error(request, answer.message)
    return redirect("counter")


def pickup_qr_png(request, token):
    """The QR code of a ready order's pickup code, for the customer's email. The order's
    unguessable token is the key; nothing once the order is no longer waiting."""
    order = ready_order_by_token(token)
    if order is None:
        raise Http404
    response = HttpResponse(qr_png(order.pickup_code), content_type="image/png")
    # Private: the customer's mail client or browser may keep it, shared caches may not.
    patch_cache_control(response, private=True, max_age=QR_MAX_AGE)
    response["Referrer-Policy"] = "same-origin"
    return response


def _counter_shops(user) -> list:
    shops = list(counter_shops_for_user(user))
    if not shops:
        # The chain's staff and customers' accounts: the counter is for shop members.
        raise PermissionDenied
    return shops


def _chosen_shop(request, shops: list, *, asked):
    """The shop asked for (then remembered in the session), else the remembered one,
    else the first. A shop the person does not serve at is "not found", whichever it is."""
    by_id = {shop.pk: shop for shop in shops}
    if asked not in (None, ""):
        try:
            shop = by_id[int(asked)]
        except (TypeError, ValueError, KeyError):
            raise Http404 from None
        request.session[COUNTER_SHOP_SESSION_KEY] = shop.pk
        return shop
    return by_id.get(request.session.get(COUNTER_SHOP_SESSION_KEY), shops[0])
