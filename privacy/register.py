"""The register of processing: every kind of personal data about customers the marketplace
keeps, what for, for how long, where it lives and how it ends.

One declaration read by everything else: the nightly job that applies the periods
(privacy/retention.py), a person's download and erasure (privacy/rights.py), the privacy
page, and the test that walks every model and fails on a text field nobody classified
(tests/privacy/test_register.py). docs/privacy.md describes the same register for people.

Anonymised rather than deleted where the row carries figures the chain and the shops
count (orders, checkouts, alerts, reports, emails sent): names, emails, phones and free
text are emptied, statuses, dates, amounts and links between rows stay, so the dashboards
and "sales kept local" are the same before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from catalog.models import ListingReport, StockAlert
from marketplace.models import OutgoingEmail, User
from orders.alert_outcomes import alerts_outcome_freeze
from orders.models import Checkout, Order, OrderEvent, OrderLine
from pickup.models import CodeAttempt


@dataclass(frozen=True)
class Person:
    """Whom a request is about: an email address (its owner proved they read it, or is
    logged in with it) and the customer account with that address, if any."""

    email: str
    account: models.Model | None = None

    @classmethod
    def with_email(cls, email: str) -> Person:
        account = User.objects.filter(email__iexact=email, is_staff=False).first()
        return cls(email=email, account=account)

    def matches(self, field: str, *, account_field: str | None = None) -> Q:
        """Rows whose `field` is this person's email (any case), or that point at their
        account through `account_field`."""
        condition = Q(**{f"{field}__iexact": self.email}) if self.email else Q(pk__in=[])
        if account_field and self.account is not None:
            condition |= Q(**{account_field: self.account})
        return condition


class PersonalData:
    """One kind of personal data. Subclasses say what it is (`what`, `why`), where it lives
    (`holds`: {model label: fields that name or reach the person}), how long it is kept
    (`period_setting`, in days from `period_start`), and implement the four operations."""

    key: str
    what: str
    why: str
    period_start: str
    period_setting: str | None  # None: kept until the person erases it
    holds: dict[str, tuple[str, ...]]
    model: type[models.Model]  # where `erase` acts
    ends_by_deletion = False  # otherwise anonymised: the figures of the row stay
    blanks: dict = {}  # what an anonymised row's personal fields become

    @property
    def period(self) -> timedelta | None:
        return timedelta(days=getattr(settings, self.period_setting)) if self.period_setting else None

    def past_period(self, *, now: datetime) -> QuerySet:
        """Rows the nightly job must end: past their period, never in use (an open order)."""
        raise NotImplementedError

    def of_person(self, person: Person) -> QuerySet:
        """The rows about `person`: what they download."""
        raise NotImplementedError

    def to_erase(self, person: Person) -> QuerySet:
        """The rows that name `person`: what their erasure ends."""
        return self.of_person(person)

    def erase(self, pks: list[int], *, now: datetime) -> int:
        """Anonymise (or delete) the rows `pks`, skipping those done already. Returns how
        many it changed."""
        rows = self.model.objects.filter(pk__in=pks)
        if self.ends_by_deletion:
            return rows.delete()[0]
        return rows.filter(anonymised_at__isnull=True).update(**self.blanks, anonymised_at=now)

    # Personal fields left out of the download, and why (the register test checks that the
    # download holds every other field of `holds`).
    not_downloaded: dict[str, str] = {}

    def export(self, rows: QuerySet) -> list[dict]:
        """The rows as the person downloads them: what they hold about them, readable."""
        raise NotImplementedError


class CustomerAccounts(PersonalData):
    key = "account"
    what = _(
        "Your customer account: name, email address, language, password (encrypted), dates of sign-up and log-in"
    )
    why = _("To log you in and show your reservations together.")
    period_start = _("until you erase it")
    period_setting = None
    holds = {"marketplace.User": ("first_name", "last_name", "email", "password", "preferred_language")}
    model = User
    ends_by_deletion = True
    not_downloaded = {"password": "a secret, even hashed: a download may be lost or forwarded"}

    def past_period(self, *, now):
        return User.objects.none()

    def of_person(self, person):
        if person.account is None:
            return User.objects.none()
        return User.objects.filter(pk=person.account.pk, is_staff=False)

    def erase(self, pks, *, now):
        # The admin's history of changes to the account names it (its email): it goes too.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id__in=[str(pk) for pk in pks]
        ).delete()
        deleted, _by_model = User.objects.filter(pk__in=pks, is_staff=False).delete()
        return len(pks) if deleted else 0

    def export(self, rows):
        return list(
            rows.values("email", "first_name", "last_name", "preferred_language", "date_joined", "last_login")
        )


class Orders(PersonalData):
    key = "orders"
    what = _("Your reservations: name, email address and phone number, with what you reserved and where")
    why = _("So that the shop can prepare your order, reach you about it and hand it over to you.")
    period_start = _("after the order is closed (collected, refused, cancelled or expired)")
    period_setting = "RETENTION_CLOSED_ORDERS_DAYS"
    holds = {
        "orders.Order": ("customer_name", "customer_email", "customer_phone", "customer", "refusal_reason"),
        # The shop's notes may quote the customer.
        "orders.OrderEvent": ("note", "actor"),
        "orders.OrderLine": ("unavailable_reason",),
    }
    model = Order
    blanks = {
        "customer_name": "",
        "customer_email": "",
        "customer_phone": "",
        "customer": None,
        "refusal_reason": "",
    }

    def past_period(self, *, now):
        return Order.objects.filter(closed_at__lt=now - self.period, anonymised_at__isnull=True)

    def of_person(self, person):
        return Order.objects.filter(person.matches("customer_email", account_field="customer"))

    def to_erase(self, person):
        # Never an open order: erasure is refused while one is, and a reservation placed at
        # the same moment (it waits for the erasure's locks) keeps what its shop needs.
        return self.of_person(person).exclude(status__in=Order.OPEN_STATUSES)

    def erase(self, pks, *, now):
        orders = Order.objects.filter(pk__in=pks, anonymised_at__isnull=True)
        # The dashboards count the alerts followed by a reservation by their shared email:
        # written down on the alerts before the email goes.
        emails = set(orders.values_list("customer_email", flat=True))
        alerts_outcome_freeze(alerts=StockAlert.objects.filter(_email_among("email", emails)))
        OrderEvent.objects.filter(order__in=pks).exclude(note="").update(note="")
        OrderEvent.objects.filter(order__in=pks, actor_kind=OrderEvent.Actor.CUSTOMER).update(actor=None)
        OrderLine.objects.filter(order__in=pks).exclude(unavailable_reason="").update(unavailable_reason="")
        return super().erase(pks, now=now)

    def export(self, rows):
        return [
            {
                "reference": order.reference,
                "shop": order.shop.trade_name,
                "status": order.get_status_display(),
                "placed_at": order.placed_at,
                "closed_at": order.closed_at,
                "customer_name": order.customer_name,
                "customer_email": order.customer_email,
                "customer_phone": str(order.customer_phone or ""),
                "refusal_reason": order.refusal_reason,
                "events": [
                    {
                        "created_at": event.created_at,
                        "status": event.get_to_status_display(),
                        "note": event.note,
                    }
                    for event in order.events.all()
                ],
                "lines": [
                    {
                        "ean": line.ean,
                        "title": line.title,
                        "quantity": line.quantity,
                        "unit_price": line.unit_price,
                        "unavailable_reason": line.unavailable_reason,
                    }
                    for line in order.lines.all()
                ],
            }
            for order in rows.select_related("shop").prefetch_related("lines", "events").order_by("placed_at")
        ]


class Checkouts(PersonalData):
    key = "checkouts"
    what = _("Each time you reserved: email address and a fingerprint of your connection (never the address)")
    why = _("To limit how much one person may hold, so that shelves are not emptied by a few.")
    period_start = _("after the reservation, once none of its orders is open")
    period_setting = "RETENTION_CHECKOUTS_DAYS"
    # The fingerprint is a plain hash of the email, the phone and the books: erased too.
    holds = {"orders.Checkout": ("email", "client_hash", "fingerprint", "customer")}
    model = Checkout
    blanks = {"email": "", "client_hash": "", "fingerprint": "", "customer": None}

    def past_period(self, *, now):
        open_orders = Order.objects.filter(checkout=OuterRef("pk"), status__in=Order.OPEN_STATUSES)
        return Checkout.objects.filter(created_at__lt=now - self.period, anonymised_at__isnull=True).exclude(
            Exists(open_orders)
        )

    def of_person(self, person):
        return Checkout.objects.filter(person.matches("email", account_field="customer"))

    def export(self, rows):
        return list(
            rows.order_by("created_at").values(
                "created_at", "email", "language", "client_hash", "fingerprint"
            )
        )


class EmailsSent(PersonalData):
    key = "emails"
    what = _("The emails we sent you: address, subject and text")
    why = _("To send them, to send them again if they got lost, and to answer your questions about them.")
    period_start = _("after they were sent")
    period_setting = "RETENTION_SENT_EMAILS_DAYS"
    holds = {
        "marketplace.OutgoingEmail": ("to", "context", "subject", "body_text", "body_html", "last_error")
    }
    model = OutgoingEmail
    blanks = {
        "to": "", "context": {}, "subject": "", "body_text": "", "body_html": "", "last_error": "",
        # A message not sent yet (erasure on request) never will be: nobody to send it to.
        "status": Case(When(status=OutgoingEmail.Status.PENDING, then=Value(OutgoingEmail.Status.FAILED)),
                       default=F("status")),
    }  # fmt: skip

    def past_period(self, *, now):
        # A message still to be sent is in use; a failed one counts from its creation.
        return (
            OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.PENDING)
            .alias(done_at=Coalesce("sent_at", "created_at"))
            .filter(done_at__lt=now - self.period, anonymised_at__isnull=True)
        )

    def of_person(self, person):
        # Sent to them: to their address, or about their checkouts and orders (a customer
        # with an account may have typed another address at the checkout).
        their_orders = Orders().of_person(person)
        about_them = Q(
            context__checkout__pk__in=list(Checkouts().of_person(person).values_list("pk", flat=True))
        ) | Q(context__reference__in=list(their_orders.values_list("reference", flat=True)))
        return OutgoingEmail.objects.filter(person.matches("to") | about_them)

    def to_erase(self, person):
        # Also those sent to a shop about one of their orders: they quote the customer's
        # name, email and phone (not in the download: they carry the shop's one-time links).
        their_orders = list(Orders().of_person(person).values_list("pk", flat=True))
        return self.of_person(person) | OutgoingEmail.objects.filter(context__order__pk__in=their_orders)

    def export(self, rows):
        return [
            {"created_at": email.created_at, "sent_at": email.sent_at, "to": email.to, "subject": email.subject,
             "body_text": email.body_text, "body_html": email.body_html, "context": email.context,
             "last_error": email.last_error}
            for email in rows.order_by("created_at")  # read whole: the text is rendered if need be
        ]  # fmt: skip


class StockAlerts(PersonalData):
    key = "stock_alerts"
    what = _("Your “tell me when it is here” alerts: email address, product and drive")
    why = _("To email you once when the product comes in stock near your drive.")
    period_start = _("after the alert ended (email sent, expired or unsubscribed)")
    period_setting = "RETENTION_STOCK_ALERTS_DAYS"
    holds = {"catalog.StockAlert": ("email",)}
    model = StockAlert
    blanks = {"email": ""}

    ENDED = (StockAlert.Status.SENT, StockAlert.Status.EXPIRED, StockAlert.Status.UNSUBSCRIBED)

    def past_period(self, *, now):
        ended_at = Case(
            When(status=StockAlert.Status.SENT, then="sent_at"),
            # Never confirmed: ended a few days after it was left (catalog/alerts.py), and
            # the address may not even be its owner's.
            When(status=StockAlert.Status.EXPIRED, confirmed_at__isnull=True, then="created_at"),
            When(status=StockAlert.Status.EXPIRED, then="expires_at"),
            default="created_at",  # unsubscribed: when is not kept, the alert's start is earlier
        )
        return StockAlert.objects.alias(ended_at=ended_at).filter(
            status__in=self.ENDED, ended_at__lt=now - self.period, anonymised_at__isnull=True
        )

    def of_person(self, person):
        return StockAlert.objects.filter(person.matches("email"))

    def erase(self, pks, *, now):
        alerts = StockAlert.objects.filter(pk__in=pks, anonymised_at__isnull=True)
        alerts_outcome_freeze(alerts=alerts)
        # An alert still waiting (erasure on request) ends: nobody to tell any more.
        alerts.filter(status__in=[StockAlert.Status.PENDING, StockAlert.Status.ACTIVE]).update(
            status=StockAlert.Status.UNSUBSCRIBED
        )
        return super().erase(pks, now=now)

    def export(self, rows):
        return [
            {"product": alert.book.title, "ean": alert.book.ean, "drive": alert.drive.name,
             "email": alert.email, "status": alert.get_status_display(), "created_at": alert.created_at,
             "sent_at": alert.sent_at}
            for alert in rows.select_related("book", "drive").order_by("created_at")
        ]  # fmt: skip


class ListingReports(PersonalData):
    key = "listing_reports"
    what = _("The listings you reported as wrong: your email address and message")
    why = _("So that a moderator can look into it and ask you about it.")
    period_start = _("after a moderator settled the report")
    period_setting = "RETENTION_LISTING_REPORTS_DAYS"
    holds = {"catalog.ListingReport": ("reporter_email", "message", "reporter_fingerprint", "reporter")}
    model = ListingReport
    blanks = {"reporter_email": "", "message": "", "reporter_fingerprint": "", "reporter": None}

    def past_period(self, *, now):
        return ListingReport.objects.exclude(status=ListingReport.Status.OPEN).filter(
            resolved_at__lt=now - self.period, anonymised_at__isnull=True
        )

    def of_person(self, person):
        return ListingReport.objects.filter(person.matches("reporter_email", account_field="reporter"))

    def export(self, rows):
        return [
            {"listing": str(report.listing), "reason": report.get_reason_display(), "message": report.message,
             "reporter_email": report.reporter_email, "reporter_fingerprint": report.reporter_fingerprint,
             "status": report.get_status_display(), "created_at": report.created_at}
            for report in rows.select_related("listing__book", "listing__shop").order_by("created_at")
        ]  # fmt: skip


class CounterAttempts(PersonalData):
    key = "counter_attempts"
    what = _("Pickup codes typed at a shop's counter")
    why = _("To stop anyone guessing codes, and to look into a dispute about a handover.")
    period_start = _("after they were typed")
    period_setting = "RETENTION_COUNTER_ATTEMPTS_DAYS"
    holds = {"pickup.CodeAttempt": ("code",)}
    model = CodeAttempt
    ends_by_deletion = True

    def past_period(self, *, now):
        return CodeAttempt.objects.filter(created_at__lt=now - self.period)

    def of_person(self, person):
        # Typed by the shop, tied to no customer: nothing to find by a person.
        return CodeAttempt.objects.none()

    def export(self, rows):
        return []


class AdminHistory(PersonalData):
    key = "admin_history"
    what = _("The history of changes made in the back office (it may name a customer account)")
    why = _("To know who changed what in the back office, and to undo a mistake.")
    period_start = _("after the change")
    period_setting = "RETENTION_LOGS_DAYS"
    holds = {"admin.LogEntry": ("object_repr", "change_message")}
    model = LogEntry
    ends_by_deletion = True

    def past_period(self, *, now):
        return LogEntry.objects.filter(action_time__lt=now - self.period)

    def of_person(self, person):
        if person.account is None:
            return LogEntry.objects.none()
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(person.account.pk)
        )

    def export(self, rows):
        return [
            {
                "action_time": entry.action_time,
                "object_repr": entry.object_repr,
                "change_message": entry.get_change_message(),
            }
            for entry in rows.order_by("action_time")
        ]


# In the order the privacy page and the download list them.
REGISTER: tuple[PersonalData, ...] = (
    CustomerAccounts(),
    Orders(),
    Checkouts(),
    EmailsSent(),
    StockAlerts(),
    ListingReports(),
    CounterAttempts(),
    AdminHistory(),
)


def kept_elsewhere() -> list[tuple[str, str, str]]:
    """(what, why, how long) of what other parts keep with their own period: the privacy
    page lists them under the register."""
    session_days = settings.SESSION_COOKIE_AGE // 86400
    return [
        (
            _("Your session: the drive you chose, your reservation before you send it, your log-in"),
            _("To keep them from one page to the next."),
            ngettext(
                "%(days)d day after it last changed, then deleted every night",
                "%(days)d days after it last changed, then deleted every night",
                session_days,
            )
            % {"days": session_days},
        ),
        (
            _(
                "Wrong passwords typed for an account: the email typed, the connection's address, the browser, "
                "the page"
            ),
            _("To stop anyone guessing passwords."),
            _("one day after the lockout ends, then deleted"),
        ),
        (
            _("Sign-ups never confirmed from their email"),
            _("To let you finish your sign-up."),
            _("deleted when the confirmation link expires"),
        ),
    ]


# Models with text fields that hold no customer's name, email or phone, and why (the
# register test walks every model: a new one goes either in REGISTER or here). For
# developers: not translated.
NOT_ABOUT_CUSTOMERS = {
    "shops": "shops, drives and their professional contacts, published or given by the shop",
    "catalog.Book": "the catalogue",
    "catalog.BookInConflict": "the catalogue",
    "catalog.BookClaim": "the catalogue",
    "catalog.ProductKind": "the catalogue",
    "catalog.ProductAttribute": "the catalogue",
    "catalog.Subject": "the catalogue",
    "catalog.SearchTerm": "words of the catalogue, not of searches",
    "catalog.Listing": "shops' stock",
    "catalog.ListingToModerate": "shops' stock",
    "catalog.ListingStatusChange": "moderators' decisions about shops' stock",
    "catalog.StockImport": "shops' stock files",
    "catalog.StockImportLine": "shops' stock files",
    "catalog.CatalogueFeed": "publishers' feeds",
    "catalog.BookPrice": "publishers' prices",
    "catalog.StockSyncSession": "shops' stock",
    "catalog.StockSyncPage": "shops' stock",
    "backoffice.ListingCount": "how many listings each shop has in each status",
    "marketplace.AuditEntry": "statuses and the page or job that changed them, by account number",
    "marketplace.ModerationReason": "the chain's ready-made texts",
    "marketplace.Heartbeat": "the workers' health",
    "privacy.DataRequest": "what was done for a request, never who asked",
    "orders.UsedActionLink": "one-time links already used, by random number",
    "django_celery_beat": "the jobs' schedule",
    "pghistory": "not used: no model is tracked, the context goes to the audit trail",
    "axes.AccessLog": "not written (AXES_DISABLE_ACCESS_LOG)",
    "axes.AccessFailureLog": "not written (axes' failure log is off)",
    "axes.AccessAttempt": "wrong passwords: deleted a day after the lockout (marketplace/login_guard.py)",
    "sessions.Session": "expired sessions deleted every night (privacy/retention.py)",
}

# Fields of the models in REGISTER that do not name the person: keys, statuses, codes.
NOT_PERSONAL_FIELDS = {
    "marketplace.User": ("username",),
    "orders.Order": ("reference", "token", "status", "language", "pickup_code"),
    "orders.OrderEvent": ("from_status", "to_status", "actor_kind"),
    "orders.OrderLine": ("ean", "title", "condition"),
    "orders.Checkout": ("key", "token", "language"),
    "marketplace.OutgoingEmail": ("event_key", "language", "template", "status"),
    "catalog.StockAlert": ("language", "token", "status"),
    "catalog.ListingReport": ("reason", "status"),
    "admin.LogEntry": ("object_id",),
}


def _email_among(field: str, emails: set[str]) -> Q:
    condition = Q(pk__in=[])
    for email in emails - {""}:
        condition |= Q(**{f"{field}__iexact": email})
    return condition


def kind(key: str) -> PersonalData:
    return next(entry for entry in REGISTER if entry.key == key)
