"""Reservations: one checkout by a customer becomes one order per shop.

An order holds copies of the shop's listings (`Listing.reserved`) from the moment it
is placed until it is collected, refused, cancelled or expires. Every status change
goes through one service in orders/services.py, by one of the moves Order.MOVES declares.
"""

import secrets
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from marketplace.audit import audit_triggers
from marketplace.models import StatusChange
from marketplace.state_machine import Move, StateMachine

# Order references are read aloud at the counter and typed by hand: no 0/O, 1/I/L, 5/S,
# 2/Z, 8/B. 23 symbols, 6 characters: 148 million references, plenty for a readable
# code; the unguessable part is the token in the order's link, not the reference.
REFERENCE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
REFERENCE_LENGTH = 6


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_token() -> str:
    # 32 bytes of randomness: the link in the customer's emails is their key to the order.
    return secrets.token_urlsafe(32)


class Checkout(models.Model):
    """One submission of the checkout form (or one API call): the orders it created.

    `key` makes the submission idempotent: the form carries a random token and the API
    an `Idempotency-Key` header; submitting the same key again returns these orders
    instead of reserving a second time.
    """

    key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    # What was asked, to tell a retry (same request) from a different request reusing a key.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checkouts",
        verbose_name=_("customer account"),
    )
    email = models.EmailField(_("email"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # Who sent it, as a keyed hash of the client's address (orders/limits.py): enough to
    # count what one address holds and how often it reserves, without keeping the address.
    client_hash = models.CharField(_("client"), max_length=64, blank=True, editable=False)
    # The drive the customer was shopping around (the web checkout's chosen drive): where
    # to look for the same books if a shop cannot serve them.
    drive = models.ForeignKey(
        "shops.Drive",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drive"),
    )
    # Set when the customer reserved here, from that order's page or email, what its shop
    # did not serve (orders/elsewhere.py): the dashboards count these second chances.
    instead_of = models.ForeignKey(
        "orders.Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name=_("instead of the order"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Its email and client fingerprint were erased (privacy/retention.py, or on request).
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at"]
        indexes = [
            # Reservation limits: an address's recent checkouts, and through them its orders.
            models.Index(fields=["client_hash", "created_at"], name="checkout_by_client"),
            # The retention job: checkouts still naming someone, oldest first.
            models.Index(
                fields=["created_at"], name="checkout_to_anonymise", condition=Q(anonymised_at__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.created_at:%Y-%m-%d %H:%M})"

    def customer_url(self) -> str:
        """The confirmation page: the token is the customer's key. Deliberately not
        get_absolute_url, which generic code (the admin's "view on site") hands out."""
        return reverse("checkout_done", args=[self.token])


# Orders that hold copies (Order.OPEN_STATUSES), for partial indexes and triggers.
OPEN_STATUS_VALUES = ("placed", "accepted", "ordered", "ready")
OPEN = Q(status__in=OPEN_STATUS_VALUES)
OPEN_STATUS_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUS_VALUES)


class Order(models.Model):
    """A customer's reservation at one shop, paid for in the shop at collection."""

    class Status(models.TextChoices):
        PLACED = "placed", _("Placed")
        ACCEPTED = "accepted", _("Accepted")
        # "Order it for me": the shop has ordered the book from its distributor.
        ORDERED = "ordered", _("Ordered from the distributor")
        READY = "ready", _("Ready for pickup")
        COLLECTED = "collected", _("Collected")
        REFUSED = "refused", _("Refused")
        # A context: the stock imports' "Cancelled" is masculine in French, an order is feminine.
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
        EXPIRED = "expired", _("Expired")
        # The shop did not accept or refuse it by `answer_by` (orders/answer_deadline.py).
        UNANSWERED = "unanswered", _("Not answered in time")

    # The whole life of an order, by move. Each move is one service in orders/services.py.
    MOVES = StateMachine(
        Move("accept", {Status.PLACED}, Status.ACCEPTED, _("Accept")),
        Move("refuse", {Status.PLACED}, Status.REFUSED, _("Refuse")),
        # Only for an order the shop gets from its distributor (`from_distributor`).
        Move("order_from_distributor", {Status.ACCEPTED}, Status.ORDERED, _("Ordered from the distributor")),
        Move("mark_ready", {Status.ACCEPTED, Status.ORDERED}, Status.READY, _("Mark ready")),
        Move("collect", {Status.READY}, Status.COLLECTED, _("Hand over")),
        Move("cancel", {Status.PLACED, Status.ACCEPTED, Status.ORDERED, Status.READY}, Status.CANCELLED),
        Move("expire", {Status.READY}, Status.EXPIRED),
        Move("mark_unanswered", {Status.PLACED}, Status.UNANSWERED),
        # The shop cannot refuse an accepted order, but one whose every line it has marked
        # unavailable has nothing left to serve: refused, also once accepted.
        Move(
            "refuse_unservable", {Status.PLACED, Status.ACCEPTED, Status.ORDERED}, Status.REFUSED, asked=False
        ),
    )
    # {status: statuses one can ask to move to from it}
    ALLOWED_TRANSITIONS = MOVES.asked_targets(Status)
    # Moves that put the order's copies back on sale.
    RELEASING_STOCK = {Status.REFUSED, Status.CANCELLED, Status.EXPIRED, Status.UNANSWERED}
    OPEN_STATUSES = {Status.PLACED, Status.ACCEPTED, Status.ORDERED, Status.READY}

    checkout = models.ForeignKey(
        Checkout, on_delete=models.PROTECT, related_name="orders", verbose_name=_("checkout")
    )
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.PROTECT, related_name="orders", verbose_name=_("shop")
    )
    reference = models.CharField(_("reference"), max_length=12, unique=True, editable=False)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_token, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLACED)

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer account"),
    )
    customer_name = models.CharField(_("name"), max_length=150)
    customer_email = models.EmailField(_("email"))
    customer_phone = PhoneNumberField(_("phone"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)

    refusal_reason = models.TextField(_("reason for refusal"), blank=True)

    # "Order it for me": a book the shop did not have, to get from its distributor. Its
    # lines hold no listing; the shop accepts it with the date it expects the book.
    # A database default too: orders placed by the previous version during a deploy.
    from_distributor = models.BooleanField(
        _("ordered for the customer"), default=False, db_default=False, editable=False
    )
    expected_on = models.DateField(_("expected in the shop on"), null=True, blank=True, editable=False)
    # The shop was reminded once that the book is late (orders/distributor_jobs.py).
    shop_reminded_late_at = models.DateTimeField(_("shop reminded of a late book"), null=True, blank=True,
                                                 editable=False)  # fmt: skip

    # The shop's answer (accept or refuse) is due by `answer_by`, set at checkout from its
    # hours and its time to answer (orders/answer_deadline.py); it is reminded once at
    # `answer_reminder_at`, and an order still placed at the deadline is cancelled.
    answer_by = models.DateTimeField(_("to answer by"), null=True, blank=True, editable=False)
    answer_reminder_at = models.DateTimeField(
        _("reminder to the shop due"), null=True, blank=True, editable=False
    )
    shop_reminded_at = models.DateTimeField(_("shop reminded"), null=True, blank=True, editable=False)

    # Collection: set when the order becomes ready (orders/services.py, _set_aside).
    pickup_code = models.CharField(_("pickup code"), max_length=12, blank=True, editable=False)
    ready_at = models.DateTimeField(_("ready since"), null=True, blank=True, editable=False)
    collect_by = models.DateTimeField(_("to collect by"), null=True, blank=True, editable=False)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)
    placed_at = models.DateTimeField(_("placed"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # When it left the open statuses, stamped by a trigger whatever closes it (a service,
    # a job's bulk update): the retention periods and what a shop still sees count from it.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # The customer's name, email and phone were erased (privacy/retention.py, or on request).
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at"]
        indexes = [
            # The bookseller's list: their shop's orders, open ones first, newest first.
            models.Index(fields=["shop", "status", "-placed_at"], name="order_by_shop_status"),
            # The expiry and reminder jobs: ready orders by deadline.
            models.Index(fields=["collect_by"], name="order_ready_by_deadline", condition=Q(status="ready")),
            # The answer deadline's jobs: placed orders by deadline, and those to remind.
            models.Index(fields=["answer_by"], name="order_placed_by_deadline", condition=Q(status="placed")),
            # The late books' jobs: orders waiting for a book from the distributor, by date.
            models.Index(
                fields=["expected_on"],
                name="order_awaiting_book_by_date",
                condition=Q(from_distributor=True, status__in=["accepted", "ordered"]),
            ),
            models.Index(
                fields=["answer_reminder_at"],
                name="order_placed_to_remind",
                condition=Q(status="placed", shop_reminded_at__isnull=True),
            ),
            # Reservation limits (orders/limits.py): what one email, phone or account holds.
            models.Index(Lower("customer_email"), name="order_open_by_email", condition=OPEN),
            models.Index(fields=["customer_phone"], name="order_open_by_phone", condition=OPEN),
            models.Index(fields=["customer"], name="order_open_by_account", condition=OPEN),
            # The retention job: closed orders still naming their customer, oldest first.
            models.Index(fields=["closed_at"], name="order_closed_to_anonymise",
                         condition=Q(closed_at__isnull=False, anonymised_at__isnull=True)),
        ]  # fmt: skip
        constraints = [
            # A code is only ever looked up within its shop.
            models.UniqueConstraint(
                fields=["shop", "pickup_code"],
                name="order_pickup_code_unique_in_shop",
                condition=~Q(pickup_code=""),
            ),
        ]
        triggers = [
            *audit_triggers(kind="order", fields=("status",), shop_column="shop_id", on_insert=True),
            pgtrigger.Trigger(
                name="stamp_closed_at",
                when=pgtrigger.Before,
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("status"),
                func=f"""
                    IF NEW.status IN ({OPEN_STATUS_SQL}) THEN
                        NEW.closed_at := NULL;
                    ELSIF OLD.status IN ({OPEN_STATUS_SQL}) THEN
                        NEW.closed_at := now();
                    END IF;
                    RETURN NEW;""",
            ),
        ]

    def __str__(self):
        return self.reference

    def customer_url(self) -> str:
        """The customer's page of the order, behind its token (their key to it): never a
        get_absolute_url, which generic code such as the admin's "view on site" hands out."""
        return reverse("order", args=[self.token])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def can_be_cancelled(self) -> bool:
        return self.MOVES["cancel"].allowed_from(self.status)

    def total(self):
        """What the customer pays in the shop: the lines the shop can serve."""
        return sum(
            (line.amount for line in self.lines.all() if not line.is_unavailable), start=Decimal("0.00")
        )


class OrderLine(models.Model):
    """Copies of one listing. Title, condition and price are copied at checkout: the
    order shows what the customer agreed to, whatever happens to the listing later."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    # None on an order the shop gets from its distributor: no copy of its stock is held.
    listing = models.ForeignKey(
        "catalog.Listing",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_lines",
        verbose_name=_("listing"),
    )
    ean = models.CharField(_("EAN"), max_length=13)
    title = models.CharField(_("title"), max_length=500)
    condition = models.CharField(_("condition"), max_length=20)
    unit_price = models.DecimalField(_("unit price"), max_digits=7, decimal_places=2)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    # The shop cannot serve this line (damaged, sold at the counter): the order goes on
    # with the rest and the copies are no longer held.
    is_unavailable = models.BooleanField(_("unavailable"), default=False)
    unavailable_reason = models.CharField(_("why unavailable"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.UniqueConstraint(fields=["order", "listing"], name="order_line_one_per_listing"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.title}"

    @property
    def amount(self):
        return self.unit_price * self.quantity

    def get_condition_display(self):
        from catalog.models import Listing

        return Listing.Condition(self.condition).label


class OrderEvent(StatusChange):
    """The history of an order, append-only: every status change and every line the
    shop could not serve, with who did it and when."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        SHOP = "shop", _("Shop")
        SYSTEM = "system", _("Drive Solidaire")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=16, choices=Order.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=16, choices=Order.Status.choices)
    line = models.ForeignKey(
        OrderLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("line"),
        help_text=_("Set when the event is about one line (marked unavailable)."),
    )
    actor_kind = models.CharField(_("by"), max_length=16, choices=Actor.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta(StatusChange.Meta):
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        # The dashboard's weekly figures: orders collected or expired in a period.
        indexes = [models.Index(fields=["to_status", "created_at"], name="order_event_by_status_time")]

    def __str__(self):
        return f"{self.order.reference}: {self.from_status or '∅'} → {self.to_status}"


class UsedActionLink(models.Model):
    """A signed link from a shop's email that has been used: each works once."""

    nonce = models.CharField(_("link"), max_length=64, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+", verbose_name=_("order"))
    action = models.CharField(_("action"), max_length=20)
    used_at = models.DateTimeField(_("used"), auto_now_add=True)

    class Meta:
        db_table = "pickup_usedactionlink"  # it lived in pickup; moved without touching its rows
        verbose_name = _("used action link")
        verbose_name_plural = _("used action links")

    def __str__(self):
        return f"{self.action} {self.order_id}"
