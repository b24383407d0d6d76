"""Signed links in the shops' emails: accept an order, or accept it and mark it ready,
from a phone, without logging in.

Each link is
- single-purpose: it names one action and one order (its id, and a digest of the order's
  token: a link never outlives the order it was written for);
- signed with SECRET_KEY (django.core.signing): it cannot be forged or edited;
- expiring: LINK_MAX_AGE after the email was written;
- single-use: its nonce is recorded (UsedActionLink, unique) in the transaction that
  moves the order.

Opening a link (GET) never acts: mail scanners and link previews fetch the addresses in
the emails they see. The page shows the order and a button that posts the form (CSRF
protected: Django's CSRF cookie needs no session, so it works without logging in).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace.http import private_page
from orders.models import Order, UsedActionLink
from orders.selectors import customer_details_visible, with_visible_customer_details
from orders.services import order_accept, order_mark_ready

LINK_MAX_AGE = timedelta(hours=72)  # the new-order email says "for three days"
SALT = "pickup.action_links"  # as when this lived in pickup: links sent stay valid

Status = Order.Status


@dataclass(frozen=True)
class Action:
    # What the button says, in the email and on the confirmation page.
    label: str
    # The moves from each status the action starts from, in order; each records its own event.
    moves: dict
    # Statuses in which the action has been done already (by a colleague, another link).
    done: frozenset


ACTIONS = {
    "accept": Action(
        label=gettext_lazy("Accept the order"),
        moves={Status.PLACED: (order_accept,)},
        done=frozenset({Status.ACCEPTED, Status.READY, Status.COLLECTED}),
    ),
    "ready": Action(
        label=gettext_lazy("Accept and mark ready"),
        moves={Status.PLACED: (order_accept, order_mark_ready), Status.ACCEPTED: (order_mark_ready,)},
        done=frozenset({Status.READY, Status.COLLECTED}),
    ),
}


class ActionLinkRefused(Exception):
    """The link cannot be used (the message says why, for the bookseller); nothing was done."""

    status = 400

    def __init__(self, message: str, *, order: Order | None = None):
        self.message, self.order = message, order
        super().__init__(message)


class LinkDamaged(ActionLinkRefused):
    status = 400


class LinkForAnotherOrder(ActionLinkRefused):
    status = 403


class LinkForAnotherAction(ActionLinkRefused):
    status = 403


class LinkExpired(ActionLinkRefused):
    status = 410


class LinkUsed(ActionLinkRefused):
    status = 410


class NothingToDo(ActionLinkRefused):
    """The order is where the link would take it already."""

    status = 200


class OrderMovedOn(ActionLinkRefused):
    """The order went another way (cancelled, refused…): the action makes no sense now."""

    status = 409


@dataclass(frozen=True)
class ActionLink:
    """A link that passed every check: signed by us, recent, for this order and action,
    not used yet."""

    order: Order
    action: str
    nonce: str


# --- Signing ---------------------------------------------------------------------------


def action_link_url(*, order: Order, action: str) -> str:
    """The absolute address of a new link for `order` and `action`, in the active language.

    One link per action and email: the text and HTML parts of an email are rendered from
    the same order instance, which keeps the links it was given.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    written = order.__dict__.setdefault("_action_links", {})
    if action not in written:
        payload = {"o": order.pk, "a": action, "t": _token_digest(order), "n": secrets.token_urlsafe(16)}
        signed = signing.dumps(payload, salt=SALT)
        path = reverse("action_link", kwargs={"order_id": order.pk, "action": action, "signed": signed})
        written[action] = f"{settings.SITE_URL}{path}"
    return written[action]


def _token_digest(order: Order) -> str:
    # Ties the link to this very order without showing its token (the customer's key to
    # the order page) to whoever reads the shop's email.
    return hashlib.sha256(f"{SALT}:{order.token}".encode()).hexdigest()[:24]


def action_link_verify(*, order_id: int, action: str, signed: str) -> ActionLink:
    """The link in the address, checked; raises ActionLinkRefused saying what is wrong."""
    try:
        payload = signing.loads(signed, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired(
            _("This link has expired: links in emails work for %(hours)s hours.")
            % {"hours": int(LINK_MAX_AGE.total_seconds() // 3600)}
        ) from None
    except signing.BadSignature:
        raise LinkDamaged(
            _("This link is damaged or incomplete. Copy the whole address from the email.")
        ) from None
    if not isinstance(payload, dict) or set(payload) != {"o", "a", "t", "n"}:
        raise LinkDamaged(_("This link is damaged or incomplete. Copy the whole address from the email."))

    # Whoever holds the shop's mailbox: they see the customer as the shop's people do.
    orders = with_visible_customer_details(
        Order.objects.all(), visible=customer_details_visible(sees_all_shops=False)
    )
    order = orders.select_related("shop").filter(pk=order_id).first()
    if (
        payload["o"] != order_id
        or order is None
        or not constant_time_compare(str(payload["t"]), _token_digest(order))
    ):
        raise LinkForAnotherOrder(_("This link was written for another order."))
    if payload["a"] != action:
        raise LinkForAnotherAction(
            _("This link was written for another action: use the button of the email you want.")
        )
    if UsedActionLink.objects.filter(nonce=payload["n"]).exists():
        raise LinkUsed(_("This link was already used."), order=order)
    return ActionLink(order=order, action=action, nonce=payload["n"])


# --- Services --------------------------------------------------------------------------


def action_link_check(*, order: Order, action: str) -> None:
    """Raise NothingToDo or OrderMovedOn when the action no longer applies to the order."""
    if order.status in ACTIONS[action].done:
        raise NothingToDo(
            _("Order %(reference)s is already %(status)s: nothing more to do.")
            % {"reference": order.reference, "status": order.get_status_display().lower()},
            order=order,
        )
    if order.status not in ACTIONS[action].moves:
        raise OrderMovedOn(
            _("Order %(reference)s is %(status)s: nothing was done.")
            % {"reference": order.reference, "status": order.get_status_display().lower()},
            order=order,
        )


def action_link_use(*, link: ActionLink) -> Order:
    """Do what the link says, once: the moves go through orders.services as the shop's
    (actor_kind SHOP, no account: whoever holds the shop's mailbox), and the link is
    marked used in the same transaction. Raises LinkUsed, NothingToDo or OrderMovedOn,
    with nothing done.

    Locks the order first, then the moves lock it again and its listings: the order of
    orders/services.py. Two clicks at once queue on the order's lock; the second one
    then finds the nonce taken.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("shop").get(pk=link.order.pk)
        try:
            with transaction.atomic():  # a savepoint, to carry on to a clear refusal
                UsedActionLink.objects.create(nonce=link.nonce, order=order, action=link.action)
        except IntegrityError:
            raise LinkUsed(_("This link was already used."), order=order) from None
        action_link_check(order=order, action=link.action)
        for move in ACTIONS[link.action].moves[order.status]:
            order = move(order=order, by=None)
    return order


# --- Views -----------------------------------------------------------------------------


@private_page
def action_link_view(request, order_id: int, action: str, signed: str):
    """GET shows the order and asks to confirm; POST acts."""
    if action not in ACTIONS:
        raise Http404
    admin_url = reverse("admin:orders_order_change", args=[order_id])
    try:
        link = action_link_verify(order_id=order_id, action=action, signed=signed)
        if request.method == "POST":
            order = action_link_use(link=link)
            return render(
                request,
                "pickup/action_link_done.html",
                {"order": order, "message": _done_message(order), "succeeded": True, "admin_url": admin_url},
            )
        action_link_check(order=link.order, action=action)
    except ActionLinkRefused as refused:
        return render(
            request,
            "pickup/action_link_done.html",
            {"order": refused.order, "message": refused.message, "succeeded": False, "admin_url": admin_url},
            status=refused.status,
        )
    return render(
        request,
        "pickup/action_link_confirm.html",
        {"order": link.order, "action": action, "label": ACTIONS[action].label, "admin_url": admin_url},
    )


def _done_message(order: Order) -> str:
    # The same words as the bookseller space's buttons (orders/admin.py).
    if order.status == Status.READY:
        return _("Order %(reference)s is ready; the customer has been told they can come.") % {
            "reference": order.reference
        }
    return _("Order %(reference)s is accepted; the customer has been told.") % {"reference": order.reference}
