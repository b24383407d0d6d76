"""The shop's incoming orders in the admin: the bookseller accepts, refuses, prepares
and hands over reservations; the chain's staff watch every shop's.

Nothing here edits an order. Every button posts to a view that calls one service of
orders/services.py, and every page fetches its order through
`orders.selectors.orders_for_user`, so another shop's order is a 404.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, DecimalField, F, IntegerField, Prefetch, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from marketplace.admin_decisions import decide_each
from orders import services
from orders.elsewhere import elsewhere_for_lines
from orders.models import Order, OrderEvent
from orders.selectors import (
    customer_details_visible_to,
    new_orders_count,
    orders_for_user,
    with_visible_customer_details,
)
from shops.selectors import user_sees_all_shops

# What needs the shop first: new orders, then accepted ones to prepare, then those
# waiting at the counter; closed ones last.
STATUS_RANK = Case(
    When(status=Order.Status.PLACED, then=Value(0)),
    When(status=Order.Status.ACCEPTED, then=Value(1)),
    When(status=Order.Status.READY, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
SERVED = Q(lines__is_unavailable=False)


@dataclass(frozen=True)
class MoveButton:
    """A button on an order's page: one of the moves Order.MOVES declares (its label, and
    the statuses it starts from, come from there), and the service that makes it."""

    slug: str  # in the page's address
    move: str
    service: Callable
    explanation: str
    done_message: str
    asks_reason: bool = False
    # Asks the date the book is expected (orders from the distributor only).
    asks_expected_date: bool = False
    # Only for orders the shop gets from its distributor ("order it for me").
    distributor_only: bool = False

    @property
    def label(self):
        return Order.MOVES[self.move].label

    @property
    def to_status(self) -> str:
        return Order.MOVES[self.move].target

    def allowed_for(self, order: Order) -> bool:
        if self.distributor_only and not order.from_distributor:
            return False
        return Order.MOVES[self.move].allowed_from(order.status)

    def asks(self, order: Order) -> bool:
        """Whether the button opens a page with a form before the move."""
        return self.asks_reason or (self.asks_expected_date and order.from_distributor)

    def form(self, order: Order, data=None):
        if self.asks_reason:
            return RefusalForm(data)
        if self.asks_expected_date and order.from_distributor:
            return ExpectedDateForm(data, order=order)
        return None


MOVES = {
    button.slug: button
    for button in [
        MoveButton("accept", "accept", services.order_accept,
                   _("You will prepare this order. The customer is told by email."),
                   _("Order %(reference)s is accepted; the customer has been told."),
                   asks_expected_date=True),
        MoveButton("ordered", "order_from_distributor", services.order_mark_ordered,
                   _("You have ordered the book from your distributor. The customer is told, with the date you "
                     "expect it."),
                   _("Order %(reference)s is ordered from the distributor; the customer has been told."),
                   asks_expected_date=True, distributor_only=True),
        MoveButton("refuse", "refuse", services.order_refuse,
                   _("You cannot serve this order: say why, the customer reads it. The items go back on sale."),
                   _("Order %(reference)s is refused; the customer has been told why."),
                   asks_reason=True),
        MoveButton("ready", "mark_ready", services.order_mark_ready,
                   _("The items are set aside at the counter. The customer is told they can come."),
                   _("Order %(reference)s is ready; the customer has been told they can come.")),
        MoveButton("collect", "collect", services.order_collect,
                   _("The customer has paid and taken the items. They leave your stock."),
                   _("Order %(reference)s is collected; its items have left your stock.")),
    ]
}  # fmt: skip


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why can you not serve this order?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Sent to the customer by email. Be precise and polite."),
    )

    def service_arguments(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class ExpectedDateForm(forms.Form):
    expected_on = forms.DateField(
        label=_("Expected in the shop on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The customer reads it. You can give a new date when you order the book."),
    )

    def __init__(self, *args, order: Order, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_on"].initial = order.expected_on or services.usual_expected_on(order)

    def service_arguments(self) -> dict:
        return {"expected_on": self.cleaned_data["expected_on"]}


class LineUnavailableForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional)"),
        required=False,
        max_length=500,
        help_text=_("Sent to the customer by email, for instance “damaged copy” or “sold at the counter”."),
    )


# --- The count next to "Orders" in the menu ----------------------------------------------


# --- The orders -----------------------------------------------------------------------------


def customer_details_hidden_note(order: Order) -> str:
    """What the bookseller space says instead of the customer's details it no longer
    shows (orders.selectors.customer_details_visible)."""
    if order.anonymised_at:
        return gettext("The customer's details were erased.")
    return ngettext(
        "Customer details are no longer shown (kept %(days)d day after the order closed).",
        "Customer details are no longer shown (kept %(days)d days after the order closed).",
        settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS,
    ) % {"days": settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS}


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """The shop's orders, new ones first. Read-only: the buttons of an order's page (and
    two bulk actions) move it through the services."""

    list_display = ["reference", "status_badge", "customer_column", "books", "amount_to_pay", "placed_at"]
    list_display_links = ["reference"]
    list_filter = ["status"]
    # The customer's name and email as this user may see them (empty past the period,
    # orders.selectors.customer_details_visible): a search by a name never finds an old
    # order, which would tell whose it is.
    search_fields = ["reference", "visible_customer_name", "visible_customer_email"]
    search_help_text = _("Order reference, customer's name or email.")
    actions = ["accept_selected", "mark_ready_selected"]
    list_per_page = 50
    detail_template = "admin/orders/order/detail.html"
    move_template = "admin/orders/order/move.html"
    line_template = "admin/orders/order/line_unavailable.html"

    def get_queryset(self, request):
        return (
            self._orders(request)
            .select_related("shop")
            .annotate(
                status_rank=STATUS_RANK,
                book_count=Coalesce(Sum("lines__quantity", filter=SERVED), 0),
                amount=Coalesce(
                    Sum(F("lines__unit_price") * F("lines__quantity"), filter=SERVED),
                    Value(0),
                    output_field=DecimalField(max_digits=10, decimal_places=2),
                ),
            )
        )

    def get_ordering(self, request):
        return ["status_rank", "-placed_at"]

    def get_list_display(self, request):
        if user_sees_all_shops(request.user):
            return [self.list_display[0], "shop", *self.list_display[1:]]
        return self.list_display

    def get_list_filter(self, request):
        if user_sees_all_shops(request.user):
            return [*self.list_filter, "shop"]
        return self.list_filter

    def has_add_permission(self, request):
        return False  # orders come from the customers' checkouts

    def has_delete_permission(self, request, obj=None):
        return False  # refused or cancelled orders stay, with their history

    def menu_name(self, request, name):
        count = new_orders_count(request)  # cached on the request: the header asks too
        if not count:
            return name
        return format_html(
            '{} <span class="menu-count" title="{}">{}</span>',
            name,
            ngettext("%(count)d new order", "%(count)d new orders", count) % {"count": count},
            count,
        )

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": gettext("Orders"), **(extra_context or {})})

    # --- Columns ----------------------------------------------------------------------

    @admin.display(description=_("status"), ordering="status_rank")
    def status_badge(self, order):
        return format_html(
            '<span class="order-status order-status--{}">{}</span>', order.status, order.get_status_display()
        )

    @admin.display(description=_("customer"), ordering="visible_customer_name")
    def customer_column(self, order):  # `customer` is the customer's account
        if order.customer_details_visible:
            return order.customer_name
        return format_html(
            '<span class="order-customer-hidden" title="{}">{}</span>',
            customer_details_hidden_note(order),
            gettext("not shown"),
        )

    @admin.display(description=_("items"), ordering="book_count")
    def books(self, order):
        return order.book_count

    @admin.display(description=_("to pay"), ordering="amount")
    def amount_to_pay(self, order):
        if not order.is_open and order.status != Order.Status.COLLECTED:
            return "—"  # refused, cancelled or expired: nothing to pay
        return f"{number_format(order.amount, decimal_pos=2)} €"

    # --- Bulk actions -----------------------------------------------------------------

    @admin.action(description=_("Accept the selected orders"), permissions=["change"])
    def accept_selected(self, request, queryset):
        self._move_each(request, queryset, MOVES["accept"])

    @admin.action(description=_("Mark the selected orders ready"), permissions=["change"])
    def mark_ready_selected(self, request, queryset):
        self._move_each(request, queryset, MOVES["ready"])

    def _move_each(self, request, queryset, move):
        decided = decide_each(
            queryset.order_by("pk"),
            lambda order: move.service(order=order, by=request.user),
            refused=services.OrderStatusError,
            already=lambda order: order.status == move.to_status,
        )
        moved, already, problems = decided.done, decided.already, decided.refused
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d order moved to “%(status)s”.", "%(count)d orders moved to “%(status)s”.", moved
                )
                % {"count": moved, "status": Order.Status(move.to_status).label.lower()},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d order was already “%(status)s”.",
                    "%(count)d orders were already “%(status)s”.",
                    already,
                )
                % {"count": already, "status": Order.Status(move.to_status).label.lower()},
                messages.INFO,
            )
        if problems:
            self.message_user(
                request,
                ngettext(
                    "%(count)d order was left as it was:",
                    "%(count)d orders were left as they were:",
                    len(problems),
                )
                % {"count": len(problems)}
                + " "
                + " ".join(problems),
                messages.WARNING,
            )

    # --- The order's page and its buttons ----------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/move/<slug:move>/",
                self.admin_site.admin_view(self.move_view),
                name="orders_order_move",
            ),
            path(
                "<path:object_id>/lines/<int:line_id>/unavailable/",
                self.admin_site.admin_view(self.line_unavailable_view),
                name="orders_order_line_unavailable",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = self._order(
            request,
            object_id,
            "lines",
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor", "line")),
        )
        can_handle = self.has_change_permission(request, order)
        lines = list(order.lines.all())
        return self._render(
            request,
            self.detail_template,
            order,
            title=gettext("Order %(reference)s") % {"reference": order.reference},
            lines=lines,
            total=order.total(),
            events=order.events.all(),
            moves=[move for move in MOVES.values() if can_handle and move.allowed_for(order)],
            asking={move.slug for move in MOVES.values() if move.asks(order)},
            lines_can_change=can_handle and order.status in services.LINES_CAN_CHANGE,
            sees_all_shops=user_sees_all_shops(request.user),
            customer_details_hidden_note=customer_details_hidden_note(order),
        )

    def history_view(self, request, object_id, extra_context=None):
        # An order's history is its events, on its own page (the admin's log has none).
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = self._order(request, object_id)
        return redirect(reverse("admin:orders_order_change", args=[order.pk]) + "#history")

    def move_view(self, request, object_id, move):
        order = self._order_to_handle(request, object_id)
        if move not in MOVES:
            raise Http404
        move = MOVES[move]
        data = request.POST if request.method == "POST" else None
        form = move.form(order, data)
        if request.method == "POST" and (form is None or form.is_valid()):
            arguments = form.service_arguments() if form is not None else {}
            try:
                move.service(order=order, by=request.user, **arguments)
            except services.OrderStatusError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, move.done_message % {"reference": order.reference}, messages.SUCCESS
                )
            return self._back_to(order)
        if not move.allowed_for(order):
            self._say_too_late(request, order)
            return self._back_to(order)
        return self._render(
            request,
            self.move_template,
            order,
            title=f"{move.label} — {order.reference}",
            move=move,
            form=form,
            elsewhere=elsewhere_for_lines(order, list(order.lines.all())) if move.asks_reason else [],
        )

    def line_unavailable_view(self, request, object_id, line_id):
        order = self._order_to_handle(request, object_id, "lines")
        line = next((line for line in order.lines.all() if line.pk == line_id), None)
        if line is None:
            raise Http404
        form = LineUnavailableForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.order_line_mark_unavailable(
                    line=line, by=request.user, reason=form.cleaned_data["reason"]
                )
            except services.OrderStatusError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self._say_line_done(request, order, line)
            return self._back_to(order)
        if line.is_unavailable:
            self.message_user(
                request,
                gettext("“%(title)s” is already marked unavailable.") % {"title": line.title},
                messages.INFO,
            )
            return self._back_to(order)
        if order.status not in services.LINES_CAN_CHANGE:
            self._say_too_late(request, order)
            return self._back_to(order)
        others_served = any(not other.is_unavailable for other in order.lines.all() if other.pk != line.pk)
        return self._render(
            request,
            self.line_template,
            order,
            title=gettext("Mark “%(title)s” unavailable") % {"title": line.title},
            line=line,
            form=form,
            last_line=not others_served,
            elsewhere=elsewhere_for_lines(order, [line]),
        )

    def _say_line_done(self, request, order, line):
        order.refresh_from_db(fields=["status"])
        if order.status == Order.Status.REFUSED:
            message = gettext(
                "None of the books of order %(reference)s can be served: the order is refused "
                "and the customer has been told."
            )
        else:
            message = gettext(
                "“%(title)s” is marked unavailable; the customer has been told and the rest of "
                "order %(reference)s goes on."
            )
        self.message_user(
            request, message % {"reference": order.reference, "title": line.title}, messages.SUCCESS
        )

    def _say_too_late(self, request, order):
        self.message_user(
            request,
            gettext("Order %(reference)s is %(status)s: this is no longer possible.")
            % {"reference": order.reference, "status": order.get_status_display().lower()},
            messages.ERROR,
        )

    def _orders(self, request):
        """The user's shops' orders, each saying what the user may see of its customer."""
        return with_visible_customer_details(
            orders_for_user(request.user), visible=customer_details_visible_to(request.user)
        )

    def _order(self, request, object_id, *prefetch) -> Order:
        """The order, if it is one of the user's shops' (404 otherwise)."""
        queryset = self._orders(request).select_related("shop").prefetch_related(*prefetch)
        try:
            return queryset.get(pk=object_id)
        except (Order.DoesNotExist, ValidationError, ValueError):
            raise Http404 from None

    def _order_to_handle(self, request, object_id, *prefetch) -> Order:
        if not self.has_change_permission(request):
            raise PermissionDenied  # the chain's staff watch orders; shops handle them
        return self._order(request, object_id, *prefetch)

    def _back_to(self, order):
        return redirect("admin:orders_order_change", order.pk)

    def _render(self, request, template, order, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": order,
                "order": order,
                "change_url": reverse("admin:orders_order_change", args=[order.pk]),
                "has_view_permission": True,
                **context,
            },
        )
