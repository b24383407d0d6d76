"""A person's rights over their data: download it, erase it (privacy/register.py says what
"it" is). Three ways in, one service each: from their account, from a link emailed to the
address of one of their orders (guests have no account), or by head office for a request
received by post. Every request is recorded (DataRequest, and through its trigger the
audit trail) without the person's details.

Erasure anonymises what the shops and the chain must keep (orders, for their books and
figures) and deletes the rest (the account, the admin's history of it). It is refused
while an order is open: the shop is preparing it, and the person can cancel it first.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import rate_limits
from marketplace.locking import lock_timeout, lock_wait_failed
from marketplace.services import email_queue_on_commit
from orders.limits import Holder, lock_reservation_holders
from orders.models import Order
from orders.services import LOCK_TIMEOUT
from privacy.models import DataRequest
from privacy.register import REGISTER, Person, kind

LINK_SALT = "privacy.data-link"


class ErasureRefused(Exception):
    """The data cannot be erased now; the message says why, for the person, and
    `open_orders` how many orders are still in progress."""

    def __init__(self, message: str, *, open_orders: int):
        super().__init__(message)
        self.open_orders = open_orders


class DataLinkRefused(Exception):
    """The emailed link cannot be used; the message says why, for the person."""


def personal_data_of(person: Person) -> dict:
    """Everything the register holds about `person`, by kind (the download)."""
    return {entry.key: entry.export(entry.of_person(person)) for entry in REGISTER}


def personal_data_export(*, person: Person, channel: str, handled_by=None) -> dict:
    """The download, recorded as a request."""
    data = personal_data_of(person)
    DataRequest.objects.create(
        kind=DataRequest.Kind.EXPORT,
        channel=channel,
        handled_by=handled_by,
        records={key: len(rows) for key, rows in data.items() if rows},
    )
    return {"generated_at": timezone.now(), "email": person.email, "data": data}


def personal_data_erase(*, person: Person, channel: str, handled_by=None) -> DataRequest:
    """Erase everything the register holds about `person`, in one transaction, and record
    the request. Raises ErasureRefused while one of their orders is open (or, rarely, when a
    reservation of theirs is being placed at the same moment: try again)."""
    try:
        return _erase(person=person, channel=channel, handled_by=handled_by)
    except OperationalError as error:
        if not lock_wait_failed(error):
            raise
        raise ErasureRefused(
            _("A reservation of yours is being placed at this very moment. Please try again in a minute."),
            open_orders=0,
        ) from error


def _erase(*, person: Person, channel: str, handled_by) -> DataRequest:
    now = timezone.now()
    with transaction.atomic():
        lock_timeout(LOCK_TIMEOUT)
        # The person's checkouts queue behind this erasure (and it behind them): no new
        # order of theirs can appear between the check below and the erasure.
        lock_reservation_holders(
            Holder(email=person.email, phone="", user_id=getattr(person.account, "pk", None), client_hash="")
        )
        # Locked: an order cannot close or change hands half-way through.
        orders = list(kind("orders").of_person(person).select_for_update().values_list("pk", "status"))
        still_open = sum(1 for _pk, status in orders if status in Order.OPEN_STATUSES)
        if still_open:
            raise ErasureRefused(
                ngettext(
                    "You have %(count)d reservation in progress. Cancel it, or wait until you have "
                    "collected it, then erase your data.",
                    "You have %(count)d reservations in progress. Cancel them, or wait until you have "
                    "collected them, then erase your data.",
                    still_open,
                )
                % {"count": still_open},
                open_orders=still_open,
            )
        # Everything found first (some kinds find their rows through others: the emails
        # about their orders), then erased, the account last: the other rows point at it.
        found = {
            entry: list(entry.to_erase(person).select_for_update(of=("self",)).values_list("pk", flat=True))
            for entry in REGISTER
        }
        records = {}
        for entry, pks in sorted(found.items(), key=lambda item: item[0].key == "account"):
            if pks:
                records[entry.key] = entry.erase(pks, now=now)
        # Wrong passwords typed for the address (django-axes): kept a day for the lockout,
        # but they name the person.
        AccessAttempt.objects.filter(username__iexact=person.email).delete()
        return DataRequest.objects.create(
            kind=DataRequest.Kind.ERASURE, channel=channel, handled_by=handled_by, records=records
        )


# --- The guest's way in: a link sent to the address of an order ------------------------


@dataclass(frozen=True)
class DataLink:
    order: Order
    person: Person


def data_link_send(*, order: Order, client: str) -> bool:
    """Email the order's customer a link to their data. At most
    PERSONAL_DATA_LINKS_PER_ADDRESS_PER_HOUR per client and per order an hour; returns
    whether it was sent."""
    rate = rate_limits.Rate(settings.PERSONAL_DATA_LINKS_PER_ADDRESS_PER_HOUR, 3600)
    for scope, who in (("data-links", client), ("data-links-order", str(order.pk))):
        if not rate_limits.hit(scope=scope, who=who, rate=rate).allowed:
            return False
    with translation.override(order.language):
        path = reverse("data_link", args=[_sign(order)])
    with transaction.atomic():
        email_queue_on_commit(
            event_key=f"data-link:{order.pk}:{timezone.now().timestamp()}",
            to=order.customer_email,
            template="emails/privacy/data_link",
            context={"link": f"{settings.SITE_URL}{path}", "hours": settings.PERSONAL_DATA_LINK_HOURS,
                     "reference": order.reference},
            language=order.language,
        )  # fmt: skip
    return True


def data_link_verify(signed: str) -> DataLink:
    """The order and person of an emailed link; raises DataLinkRefused when it is damaged,
    too old, or its order no longer names anyone (erased since)."""
    try:
        payload = signing.loads(
            signed, salt=LINK_SALT, max_age=timedelta(hours=settings.PERSONAL_DATA_LINK_HOURS)
        )
    except signing.SignatureExpired:
        raise DataLinkRefused(_("This link has expired. Ask for a new one from your order's page.")) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise DataLinkRefused(_("This link is damaged. Copy the whole link from the email.")) from None
    order = Order.objects.filter(pk=payload.get("order") if isinstance(payload, dict) else None).first()
    if (
        order is None
        or not order.customer_email
        or payload.get("email") != _email_digest(order.customer_email)
    ):
        raise DataLinkRefused(_("There is no longer any data to show or erase for this link."))
    return DataLink(order=order, person=Person.with_email(order.customer_email))


def _sign(order: Order) -> str:
    # The order's number and a keyed digest of its address, never the address itself: the
    # link's address is written to logs and to the audit trail's context.
    return signing.dumps({"order": order.pk, "email": _email_digest(order.customer_email)}, salt=LINK_SALT)


def _email_digest(email: str) -> str:
    key = f"{LINK_SALT}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:24]
