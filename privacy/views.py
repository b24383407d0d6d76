"""People's pages about their personal data: the privacy notice, and downloading or erasing
what the marketplace keeps about them, from their account or from a link emailed to the
address of one of their orders (privacy/rights.py does the work)."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.http import private_page
from orders.selectors import order_by_token
from privacy import rights
from privacy.forms import AccountErasureForm, ErasureForm
from privacy.models import DataRequest
from privacy.register import REGISTER, Person, kept_elsewhere
from privacy.selectors import export_sections


def privacy_notice(request):
    """What is kept, why, for how long, and whom to ask: from the register and the settings."""
    return render(
        request,
        "privacy/notice.html",
        {
            "register": REGISTER,
            "kept_elsewhere": kept_elsewhere(),
            "contact_email": settings.PRIVACY_CONTACT_EMAIL,
            "postal_address": settings.PRIVACY_POSTAL_ADDRESS,
            "shops_see_days": settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS,
        },
    )


# --- From the account --------------------------------------------------------------


@never_cache
@login_required(login_url="customer_login")
def my_data(request):
    form = AccountErasureForm(user=request.user) if not request.user.is_staff else None
    return render(request, "privacy/my_data.html", _my_data_context(request, form))


@never_cache
@login_required(login_url="customer_login")
def my_data_download(request):
    if request.user.is_staff:
        raise Http404  # staff accounts: head office answers (their data is the shops' too)
    return _download(request, person=_account_person(request.user), channel=DataRequest.Channel.ACCOUNT)


@never_cache
@login_required(login_url="customer_login")
def my_data_erase(request):
    if request.user.is_staff:
        raise Http404
    if request.method != "POST":
        return redirect("my_data")  # the form is on the page
    if not _erasure_attempt_allowed(f"account:{request.user.pk}"):
        # An unbound form: a bound one would check the password and say whether it was right.
        return _too_many_attempts(request, _my_data_context(request, AccountErasureForm(user=request.user)))
    form = AccountErasureForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            rights.personal_data_erase(
                person=_account_person(request.user), channel=DataRequest.Channel.ACCOUNT
            )
        except rights.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            logout(request)
            messages.success(request, _("Your account and your personal data have been erased."))
            return redirect("home")
    return render(request, "privacy/my_data.html", _my_data_context(request, form), status=400)


def _erasure_attempt_allowed(who: str) -> bool:
    """A few tries an hour: the password asked before an erasure must not be guessable by
    whoever holds the session."""
    rate = rate_limits.Rate(settings.ERASURE_ATTEMPTS_PER_HOUR, 3600)
    return rate_limits.hit(scope="erasure-attempts", who=who, rate=rate).allowed


def _too_many_attempts(request, context: dict) -> HttpResponse:
    messages.error(request, _("Many attempts in the last hour. Please try again later."))
    response = render(request, "privacy/my_data.html", context, status=429)
    response["Retry-After"] = "3600"
    return response


def _my_data_context(request, form) -> dict:
    return {
        "person": _account_person(request.user),
        "form": form,
        "download_url": reverse("my_data_download"),
        "erase_url": reverse("my_data_erase"),
    }


def _account_person(user) -> Person:
    return Person(email=user.email, account=None if user.is_staff else user)


# --- From a link emailed to an order's address ------------------------------------


@private_page
def order_data(request, token):
    """The order page's "your personal data": a link is emailed to the order's address
    (whoever holds the order's link may not be the person it names)."""
    order = order_by_token(token)
    if order is None or not order.customer_email:
        raise Http404
    sent, status = False, 200
    if request.method == "POST":
        sent = rights.data_link_send(order=order, client=client_key(request))
        if not sent:
            messages.error(request, _("Many links were asked in the last hour. Please try again later."))
            status = 429
    response = render(request, "privacy/order_data.html", {"order": order, "sent": sent}, status=status)
    if status == 429:
        response["Retry-After"] = "3600"
    return response


@private_page
def data_link(request, signed):
    found = _verify(request, signed)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "privacy/my_data.html", _link_context(found, signed, ErasureForm()))


@private_page
def data_link_download(request, signed):
    found = _verify(request, signed)
    if isinstance(found, HttpResponse):
        return found
    return _download(request, person=found.person, channel=DataRequest.Channel.EMAIL_LINK)


@private_page
def data_link_erase(request, signed):
    found = _verify(request, signed)
    if isinstance(found, HttpResponse):
        return found
    if request.method != "POST":
        return redirect("data_link", signed)  # the form is on the page
    form = ErasureForm(request.POST)
    if form.is_valid():
        try:
            rights.personal_data_erase(person=found.person, channel=DataRequest.Channel.EMAIL_LINK)
        except rights.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            if request.user.is_authenticated and request.user.email.lower() == found.person.email.lower():
                logout(request)
            return render(request, "privacy/erased.html")
    return render(request, "privacy/my_data.html", _link_context(found, signed, form), status=400)


def _verify(request, signed: str):
    """The link's order and person, or the page saying why the link cannot be used."""
    try:
        return rights.data_link_verify(signed)
    except rights.DataLinkRefused as refused:
        return render(request, "privacy/link_refused.html", {"message": str(refused)}, status=410)


def _link_context(found: rights.DataLink, signed: str, form) -> dict:
    return {
        "person": found.person,
        "form": form,
        "download_url": reverse("data_link_download", args=[signed]),
        "erase_url": reverse("data_link_erase", args=[signed]),
    }


# --- The download, as a file or as a page ------------------------------------------


def _download(request, *, person: Person, channel: str) -> HttpResponse:
    exported = rights.personal_data_export(person=person, channel=channel)
    if request.GET.get("format") == "json":
        return json_attachment(exported, name="drive-solidaire-my-data")
    return render(
        request,
        "privacy/download.html",
        {"exported": exported, "sections": export_sections(exported["data"])},
    )


def json_attachment(exported: dict, *, name: str) -> HttpResponse:
    """The download as a JSON file, dated."""
    response = HttpResponse(
        json.dumps(exported, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate().isoformat()}.json"'
    return response
