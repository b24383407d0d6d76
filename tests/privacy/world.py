"""A customer who used everything that keeps personal data, and the tools to look for them
afterwards in every table of the database."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from backoffice.dashboard import Period, dashboard_for_shops
from catalog import alerts
from catalog.models import ListingReport, StockAlert
from catalog.moderation_services import listing_report, listing_reports_dismiss
from marketplace.models import OutgoingEmail, User
from marketplace.services import email_send
from orders.models import Order
from orders.services import order_accept, order_collect, order_mark_ready, order_refuse
from pickup.models import CodeAttempt
from shops.models import Shop
from tests.factories import (
    BookFactory,
    ChainStaffFactory,
    DriveFactory,
    ListingFactory,
    ShopFactory,
    UserFactory,
    reserve,
)

# What names the person, as it may be written anywhere (the phone without its +33 too).
NAME, EMAIL, PHONE = "Maëlle Zzyzx-Kerbrat", "maelle.zzyzx@example.fr", "+33698765432"
MARKS = ("Zzyzx", "maelle.zzyzx", "698765432")


@dataclass
class Customer:
    account: User
    collected: Order
    refused: Order
    alert: StockAlert
    report: ListingReport
    shop: Shop


def customer_who_used_everything(*, with_account: bool = True) -> Customer:
    """Two orders (one collected, one refused with a note), a stock alert sent and followed
    by a reservation, a listing report settled, the emails of all this sent, a pickup code
    typed at the counter, and a change to their account in the admin."""
    drive = DriveFactory(latitude=47.75, longitude=-3.37)
    shop = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    shop.drives.add(drive)
    account = (
        UserFactory(email=EMAIL, first_name="Maëlle", last_name="Zzyzx-Kerbrat") if with_account else None
    )
    customer = {"name": NAME, "email": EMAIL.upper(), "phone": PHONE}  # any case: still theirs

    # A stock alert, sent when the shop lists the book, then the reservation it led to.
    wanted = BookFactory(list_price=Decimal("18.00"))
    alerts.alert_request(book=wanted, drive_id=drive.pk, email=EMAIL, language="fr", client="203.0.113.9")
    alert = StockAlert.objects.get(email=EMAIL)
    alerts.alert_confirm(alert=alert)
    listing = ListingFactory(shop=shop, book=wanted, quantity=3)
    alerts.alerts_send()
    collected = reserve(listing, **customer).orders.get()
    if account:
        Order.objects.filter(pk=collected.pk).update(customer=account)
    order_accept(order=collected, by=None)
    order_mark_ready(order=collected.__class__.objects.get(pk=collected.pk), by=None)
    collected.refresh_from_db()
    CodeAttempt.objects.create(
        shop=shop, user=ChainStaffFactory(), code=collected.pickup_code, succeeded=True
    )
    order_collect(order=collected, by=None)

    refused = reserve(ListingFactory(shop=shop), **customer).orders.get()
    order_refuse(order=refused, by=None, reason=f"Vendu au comptoir, désolée {NAME}.")

    report = listing_report(
        listing=listing, reason=ListingReport.Reason.OTHER, message=f"Signé {NAME}, {PHONE}",
        reporter=account, reporter_email=EMAIL, fingerprint="maelle",
    )  # fmt: skip
    listing_reports_dismiss(listing=listing, by=ChainStaffFactory())
    if account:
        LogEntry.objects.create(
            user=ChainStaffFactory(), content_type=ContentType.objects.get_for_model(User),
            object_id=str(account.pk), object_repr=str(account), action_flag=CHANGE,
            change_message=f"Nom corrigé: {NAME}",
        )  # fmt: skip
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING):
        email_send(email_id=email.pk)
    for row in (collected, refused, alert, report):
        row.refresh_from_db()
    return Customer(
        account=account, collected=collected, refused=refused, alert=alert, report=report, shop=shop
    )


def rows_naming_the_person() -> dict[str, int]:
    """{table: rows whose text mentions the person}, over every table of the database."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        for (table,) in cursor.fetchall():
            conditions = " OR ".join(["t::text ILIKE %s"] * len(MARKS))
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE {conditions}', [f"%{mark}%" for mark in MARKS]
            )
            (count,) = cursor.fetchone()
            if count:
                found[table] = count
    return found


def every_figure():
    """The dashboards of the whole network and of each shop, over the recent weeks."""
    period = Period.recent()
    return [dashboard_for_shops(shops=Shop.objects.all(), period=period)] + [
        dashboard_for_shops(shops=Shop.objects.filter(pk=shop.pk), period=period)
        for shop in Shop.objects.all()
    ]
