""" "Tell me when it is here": alerts customers leave on a product no shop near their
drive holds, and the one email each gets when it comes in stock around the drive.

- Leaving one (`alert_request`) writes it `pending` and emails a confirmation link
  (double opt-in: nobody can subscribe an address they do not read). The same page is
  shown whatever happened, so nobody learns whether an address asked already; the
  emails to one address and the alerts from one client are limited per hour.
- Confirming (`alert_confirm`, a POST from the link's page: mail scanners only GET) makes
  it `active`; if the product is already in stock around the drive, it is sent at once.
- A trigger on the listings (migration catalog 0014) queues a product and a shop in
  StockAlertCheck when one of its listings comes in stock while alerts wait for it: no
  scan of the alerts or of the stock. `alerts_send` (a job every minute) takes the
  queue, finds the active alerts of that product whose drive is within the search's
  default radius of the shop, and emails each once: the alert is locked (SKIP LOCKED)
  and marked `sent` in the transaction that queues its email, whose outbox key is the
  last guard. Two imports of the same book at once: one email.
- Every email has an unsubscribe link (`alert_unsubscribe`); alerts expire
  STOCK_ALERT_MONTHS after they were left, unconfirmed ones after
  STOCK_ALERT_CONFIRM_DAYS (`alerts_expire`).
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.models import IN_STOCK, Book, Listing, StockAlert
from marketplace import rate_limits
from marketplace.services import email_queue_on_commit
from shops.geo import DEFAULT_RADIUS_KM, distance_km_expression
from shops.models import Drive
from shops.selectors import reservable_shops, shops_near

logger = logging.getLogger(__name__)

# Queue rows taken per transaction by alerts_send.
CHECKS_PER_BATCH = 100


class AlertRefused(Exception):
    """The alert cannot be left now (the message says why, for people)."""


@dataclass(frozen=True)
class AlertsSent:
    checks: int  # queue rows taken (a product coming in stock at a shop)
    sent: int  # emails queued


def alert_request(*, book: Book, drive_id: int, email: str, language: str, client: str) -> None:
    """Leave an alert for `book` around the drive and email its confirmation link (again,
    for one waiting confirmation). Raises AlertRefused past the hourly limit of the client;
    past the limit of emails to one address, sends nothing and says nothing."""
    per_client = rate_limits.Rate(settings.STOCK_ALERTS_PER_ADDRESS_PER_HOUR, 3600)
    if client and not rate_limits.hit(scope="stock-alerts", who=client, rate=per_client).allowed:
        raise AlertRefused(_("Many alerts were left from your connection this hour. Please try again later."))
    email = email.strip()
    per_recipient = rate_limits.Rate(settings.STOCK_ALERT_EMAILS_PER_RECIPIENT_PER_HOUR, 3600)
    if not rate_limits.hit(scope="stock-alert-emails", who=email.lower(), rate=per_recipient).allowed:
        logger.info("Stock alerts: too many emails to one address this hour; none sent.")
        return
    with transaction.atomic():
        alert = _waiting_alert(
            book=book, drive=Drive.objects.get(pk=drive_id), email=email, language=language
        )
        if alert.status == StockAlert.Status.PENDING:
            _queue_confirmation(alert)
        # An alert already confirmed stays as it is: the person is told when the product comes.


def _waiting_alert(*, book: Book, drive: Drive, email: str, language: str) -> StockAlert:
    waiting = StockAlert.objects.select_for_update().filter(
        book=book,
        drive=drive,
        email__iexact=email,
        status__in=[StockAlert.Status.PENDING, StockAlert.Status.ACTIVE],
    )
    if (alert := waiting.first()) is not None:
        return alert
    try:
        with transaction.atomic():  # a savepoint: the same alert left at this very moment wins
            return StockAlert.objects.create(
                book=book,
                drive=drive,
                email=email,
                language=language,
                expires_at=timezone.now() + timedelta(days=30 * settings.STOCK_ALERT_MONTHS),
            )
    except IntegrityError:
        return waiting.get()


def _queue_confirmation(alert: StockAlert) -> None:
    with translation.override(alert.language):
        link = settings.SITE_URL + reverse("alert_confirm", args=[alert.token])
        unsubscribe = settings.SITE_URL + reverse("alert_unsubscribe", args=[alert.token])
    email_queue_on_commit(
        event_key=f"stock-alert:{alert.pk}:confirm:{uuid.uuid4().hex}",  # each request its own link email
        to=alert.email,
        template="emails/alerts/confirm",
        context={
            "alert": alert,
            "book": alert.book,
            "drive": alert.drive,
            "link": link,
            "unsubscribe": unsubscribe,
        },
        language=alert.language,
    )


def alert_by_token(token: str) -> StockAlert | None:
    return StockAlert.objects.select_related("book", "drive").filter(token=token).first()


def alert_confirm(*, alert: StockAlert) -> StockAlert:
    """The person confirmed from the emailed link: the alert waits for the product (or is
    sent at once when the product is in stock around the drive already). Quietly nothing
    for an alert no longer pending."""
    with transaction.atomic():
        alert = StockAlert.objects.select_for_update().select_related("book", "drive").get(pk=alert.pk)
        if alert.status != StockAlert.Status.PENDING:
            return alert
        alert.status, alert.confirmed_at = StockAlert.Status.ACTIVE, timezone.now()
        alert.save(update_fields=["status", "confirmed_at"])
        if (listing := _offer_near(alert)) is not None:
            _send(alert, listing)
    return alert


def alert_unsubscribe(*, alert: StockAlert) -> StockAlert:
    """No email about this alert any more (nothing if it had ended already)."""
    with transaction.atomic():
        alert = StockAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.status in (StockAlert.Status.PENDING, StockAlert.Status.ACTIVE):
            alert.status = StockAlert.Status.UNSUBSCRIBED
            alert.save(update_fields=["status"])
    return alert


def _offer_near(alert: StockAlert) -> Listing | None:
    """The nearest offer of the alert's product in stock around its drive, if any."""
    drive = alert.drive
    shops = shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=DEFAULT_RADIUS_KM)
    distance = {shop.id: shop.distance_km for shop in shops}
    listings = Listing.objects.filter(IN_STOCK, book_id=alert.book_id, shop_id__in=list(distance))
    return min(listings.select_related("shop"), key=lambda listing: distance[listing.shop_id], default=None)


# --- The job: one email per alert when its product comes ------------------------------------


def alerts_send() -> AlertsSent:
    """Take the queue of products that came in stock at a shop, and email each active
    alert of that product whose drive is within reach of the shop, once. Safe to run twice
    at once: queue rows and alerts are claimed with SKIP LOCKED."""
    checks = sent = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    """DELETE FROM catalog_stockalertcheck
                        WHERE id IN (SELECT id FROM catalog_stockalertcheck ORDER BY id
                                     LIMIT %s FOR UPDATE SKIP LOCKED)
                    RETURNING book_id, shop_id""",
                    [CHECKS_PER_BATCH],
                )
                claimed = sorted(set(cursor.fetchall()))
            if not claimed:
                return AlertsSent(checks=checks, sent=sent)
            checks += len(claimed)
            for book_id, shop_id in claimed:
                sent += _send_alerts_for(book_id=book_id, shop_id=shop_id)


def _send_alerts_for(*, book_id: int, shop_id: int) -> int:
    shop = reservable_shops().filter(pk=shop_id).first()
    listing = (
        Listing.objects.filter(IN_STOCK, book_id=book_id, shop_id=shop_id).select_related("shop").first()
    )
    if shop is None or listing is None:
        return 0  # gone again, or the shop takes no reservation now: the next coming tells
    # Only the alerts within reach of this shop are locked: another run, for another shop
    # of the same product, must still find those it can serve.
    alerts = (
        StockAlert.objects.filter(book_id=book_id, status=StockAlert.Status.ACTIVE)
        .annotate(distance_km=distance_km_expression(shop.latitude, shop.longitude, "drive__latitude",
                                                     "drive__longitude"))
        .filter(distance_km__lte=DEFAULT_RADIUS_KM)
        .select_related("drive", "book")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")
    )  # fmt: skip
    sent = 0
    for alert in alerts:
        _send(alert, listing)
        sent += 1
    return sent


def _send(alert: StockAlert, listing: Listing) -> None:
    """Mark the (locked) alert sent and queue its email, in the caller's transaction."""
    alert.status, alert.sent_at, alert.listing = StockAlert.Status.SENT, timezone.now(), listing
    alert.save(update_fields=["status", "sent_at", "listing"])
    with translation.override(alert.language):
        book_url = f"{settings.SITE_URL}{reverse('book', args=[alert.book.ean])}?drive={alert.drive.slug}"
        reserve_url = f"{settings.SITE_URL}{reverse('cart_add', args=[listing.pk])}?drive={alert.drive.slug}"
    email_queue_on_commit(
        event_key=f"stock-alert:{alert.pk}:in-stock",
        to=alert.email,
        template="emails/alerts/in_stock",
        context={
            "alert": alert,
            "book": alert.book,
            "drive": alert.drive,
            "shop": listing.shop,
            "price": listing.price,
            "book_url": book_url,
            "reserve_url": reserve_url,
        },
        language=alert.language,
    )


def alerts_expire(*, now=None) -> int:
    """End the alerts past their time: left STOCK_ALERT_MONTHS ago, or never confirmed
    within STOCK_ALERT_CONFIRM_DAYS. One statement per kind: idempotent, safe twice."""
    now = now or timezone.now()
    waiting = StockAlert.objects.filter(status__in=[StockAlert.Status.PENDING, StockAlert.Status.ACTIVE])
    ended = waiting.filter(expires_at__lte=now).update(status=StockAlert.Status.EXPIRED)
    unconfirmed = now - timedelta(days=settings.STOCK_ALERT_CONFIRM_DAYS)
    ended += waiting.filter(status=StockAlert.Status.PENDING, created_at__lte=unconfirmed).update(
        status=StockAlert.Status.EXPIRED
    )
    return ended
