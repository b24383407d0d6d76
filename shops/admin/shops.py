"""A shop's page: its details, opening hours, closures and holiday, team, history and
the decisions on it."""

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shops import services
from shops.admin.decisions import DECISIONS, approve_shops, can_review_shops
from shops.models import (
    Closure,
    Membership,
    OpeningPeriod,
    Shop,
    ShopStatusChange,
    Weekday,
)
from shops.selectors import drives_for_user, shops_for_user


def plan_summary(shop: Shop, today: date) -> str:
    """How the shop pays for listing, in a few words: "Free", "Free until 31/03/2027",
    "Essentiel from 01/04/2027"."""
    if shop.plan_id:
        return gettext("%(plan)s from %(date)s") % {
            "plan": shop.plan.name,
            "date": date_format(shop.plan_starts_on, "SHORT_DATE_FORMAT"),
        }
    if shop.free_until is None:
        return gettext("Free")
    if shop.free_until < today:
        return gettext("Free period ended on %(date)s, no plan yet") % {
            "date": date_format(shop.free_until, "SHORT_DATE_FORMAT")
        }
    return gettext("Free until %(date)s") % {"date": date_format(shop.free_until, "SHORT_DATE_FORMAT")}


class DriveFilter(admin.RelatedFieldListFilter):
    """Filter by drive, offering only the drives the person may look at."""

    def field_choices(self, field, request, model_admin):
        return [(drive.pk, str(drive)) for drive in drives_for_user(request.user)]


class MembershipInline(admin.TabularInline):
    # Read-only for booksellers (they hold the view permission only); staff manage teams.
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


class ShopStatusChangeInline(admin.TabularInline):
    model = ShopStatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("History of decisions")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Opening hours, closures, holiday ---------------------------------------------------


class WallClockField(forms.TimeField):
    """A time of day as people type it: 9:30, 09:30, 9h30 or 9h."""

    input_formats = ["%H:%M", "%H:%M:%S", "%Hh%M", "%HH%M", "%Hh", "%HH"]
    widget = forms.TimeInput(format="%H:%M", attrs={"size": 6, "placeholder": "09:30"})


WALL_CLOCK = {models.TimeField: {"form_class": WallClockField, "widget": WallClockField.widget}}


def _hours(opens, closes) -> str:
    return f"{opens:%H:%M}–{closes:%H:%M}"


def _clashing(ranges: list[tuple]) -> list[tuple[tuple, tuple]]:
    """Pairs of a day's (opens, closes) ranges that overlap or touch."""
    ranges = sorted(ranges)
    return [
        (first, second)
        for index, first in enumerate(ranges)
        for second in ranges[index + 1 :]
        if second[0] <= first[1]  # sorted: `second` starts no earlier than `first`
    ]


class OpeningPeriodFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Refuse two ranges of the same day that overlap or touch: "9:00–14:00 and
        14:00–19:00" would show the shop closing at 14:00 (it is one range)."""
        super().clean()
        by_day: dict[int, list[tuple]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("DELETE") and all(
                data.get(name) is not None for name in ("weekday", "opens", "closes")
            ):
                by_day.setdefault(data["weekday"], []).append((data["opens"], data["closes"]))
        message = gettext(
            "%(day)s: %(first)s and %(second)s overlap. A day’s ranges must not overlap or touch: for a "
            "lunch break, end the morning before the afternoon starts; without a break, give one range."
        )
        problems = [
            ValidationError(
                message % {"day": Weekday(day).label, "first": _hours(*first), "second": _hours(*second)},
                code="overlap",
            )
            for day in sorted(by_day)
            for first, second in _clashing(by_day[day])
        ]
        if problems:
            raise ValidationError(problems)


class ShopPartInline(admin.TabularInline):
    """Rows that are part of a shop's page (its hours, its closures): whoever may change the
    shop may change them, without a permission of their own. Which shops a person reaches
    at all is ShopAdmin.get_queryset's decision (shops_for_user)."""

    extra = 1
    formfield_overrides = WALL_CLOCK

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("shops.view_shop") or request.user.has_perm("shops.change_shop")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("shops.change_shop")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("shops.change_shop")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("shops.change_shop")


class OpeningPeriodForm(forms.ModelForm):
    class Meta:
        model = OpeningPeriod
        fields = ["weekday", "opens", "closes"]
        help_texts = {
            "weekday": _("For a lunch break, give the day twice: morning and afternoon."),
            "opens": _("For example 9:30 or 9h30."),
            "closes": _("23:59 at the latest: a range cannot go past midnight."),
        }


class OpeningPeriodInline(ShopPartInline):
    model = OpeningPeriod
    form = OpeningPeriodForm
    formset = OpeningPeriodFormSet
    verbose_name = _("time range")
    verbose_name_plural = _("Opening hours (days without a range are shown as closed)")


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["starts_on", "ends_on", "reason"]
        help_texts = {
            "starts_on": _("First day the shop is closed."),
            "ends_on": _("Last day the shop is closed. Leave empty for a single day."),
            "reason": _("Shown to customers, e.g. “Stocktaking” or “Public holiday”."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].required = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_on") and not cleaned.get("ends_on") and "ends_on" not in self.errors:
            cleaned["ends_on"] = cleaned["starts_on"]
        return cleaned


class ClosureInline(ShopPartInline):
    model = Closure
    form = ClosureForm
    verbose_name = _("exceptional closure")
    verbose_name_plural = _("Exceptional closures (public holidays, stocktaking…)")


class ShopAdminForm(forms.ModelForm):
    # The admin gives the fields to show (the fieldsets, less what is read-only to the person).
    class Meta:
        model = Shop
        fields = ["holiday_starts_on", "holiday_ends_on", "holiday_message"]
        help_texts = {
            "holiday_starts_on": _("First day you are away. Leave both dates empty when you are not."),
            "holiday_message": _(
                "Shown on your page while you are away, e.g. “Back on 25 August, happy holidays!”"
            ),
        }

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("holiday_starts_on"), cleaned.get("holiday_ends_on")
        # A holiday with one date is no period at all (the database refuses it too): say
        # which date is missing, next to its field.
        if starts_on and not ends_on and "holiday_ends_on" not in self.errors:
            self.add_error("holiday_ends_on", _("Give the last day you are away too."))
        if ends_on and not starts_on and "holiday_starts_on" not in self.errors:
            self.add_error("holiday_starts_on", _("Give the first day you are away too."))
        return cleaned


# What a bookseller may change about their own shop; the rest is checked by the chain.
BOOKSELLER_EDITABLE_FIELDS = [
    "trade_name",
    "phone",
    "email",
    "website",
    "description",
    "logo",
    "answer_within_hours",
    "preparation_hours",
    "holding_days",
    "takes_orders",
    "order_days",
    "holiday_starts_on",
    "holiday_ends_on",
    "holiday_message",
]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    decisions = DECISIONS  # the buttons of a shop's page, by move
    list_display = ["trade_name", "town", "postcode", "status_label", "created_at"]
    list_filter = ["status", "kinds", ("drives", DriveFilter)]
    list_select_related = ["plan"]
    search_fields = ["trade_name", "legal_name", "siret", "town", "postcode", "contact_email"]
    date_hierarchy = "created_at"
    form = ShopAdminForm
    inlines = [OpeningPeriodInline, ClosureInline, MembershipInline, ShopStatusChangeInline]
    filter_horizontal = ["drives"]
    actions = ["approve_selected"]
    change_form_template = "admin/shops/shop/change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (_("Shop"), {"fields": ["trade_name", "status", "kinds", "description", "logo"]}),
        (_("Business"), {"fields": ["legal_name", "siret"]}),
        (_("Contact"), {"fields": ["phone", "email", "website"]}),
        (_("Address"), {"fields": ["address", "postcode", "town", "latitude", "longitude", "drives"]}),
        (
            _("Person who applied"),
            {
                "fields": [
                    "contact_first_name",
                    "contact_last_name",
                    "contact_email",
                    "contact_phone",
                    "language",
                ]
            },
        ),
        (_("Dates"), {"fields": ["created_at", "updated_at"]}),
        (
            _("Listing plan"),
            {
                "fields": ["plan_in_force", "free_until", ("plan", "plan_starts_on")],
                "description": _(
                    "Listing is free. Head office may end the free period and start a paid plan "
                    "the day after; there is no payment on the marketplace: the chain invoices the plan."
                ),
            },
        ),
        (
            _("Collection"),
            {
                "fields": [
                    "answer_within_hours",
                    "preparation_hours",
                    "holding_days",
                    ("takes_orders", "order_days"),
                    ("holiday_starts_on", "holiday_ends_on"),
                    "holiday_message",
                ],
                "description": _(
                    "When reservations are ready and how long they wait for their customer. Your "
                    "weekly opening hours and exceptional closures are just below: "
                    "customers see them, and the “ready by” time counts only the hours you are open."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return shops_for_user(request.user)

    # A shop the person may not see does not exist for them: 404, as for the decision
    # pages (the admin's default is a redirect to its home page, saying it was deleted).
    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def _visible_or_404(self, request, object_id) -> None:
        if (
            self.has_view_or_change_permission(request)
            and self.get_object(request, unquote(object_id)) is None
        ):
            raise Http404

    def get_readonly_fields(self, request, obj=None):
        # Status changes go through the decision buttons, so that each one is recorded.
        always = ["status", "created_at", "updated_at", "plan_in_force"]
        if can_review_shops(request):
            return always
        all_fields = flatten_fieldsets(self.fieldsets)
        return always + [field for field in all_fields if field not in BOOKSELLER_EDITABLE_FIELDS + always]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_list_display(self, request):
        if can_review_shops(request):
            return [*self.list_display, "plan_label"]
        return self.list_display

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not can_review_shops(request):
            actions.pop("approve_selected", None)
        return actions

    def has_add_permission(self, request):
        return False  # every shop comes through the application form

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, shop):
        return format_html(
            '<span class="shop-status shop-status--{}">{}</span>', shop.status, shop.get_status_display()
        )

    @admin.display(description=_("listing plan"))
    def plan_label(self, shop):
        return plan_summary(shop, timezone.localdate())

    @admin.display(description=_("now"))
    def plan_in_force(self, shop):
        return plan_summary(shop, timezone.localdate()) if shop and shop.pk else "—"

    @admin.action(description=_("Approve the selected applications"))
    def approve_selected(self, request, queryset):
        approve_shops(self, request, queryset)

    # --- Decision pages ---------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/<slug:decision>/",
                self.admin_site.admin_view(self.decision_view),
                name="shops_shop_decide",
            ),
            *super().get_urls(),
        ]

    def decision_view(self, request, object_id, decision):
        """One decision on one shop, with its reason. Which shops a reviewer reaches is
        get_queryset's decision (shops_for_user): another drive's shop is not found."""
        if not can_review_shops(request):
            raise PermissionDenied
        shop = self.get_object(request, object_id)
        if shop is None or decision not in self.decisions:
            raise Http404
        decision = self.decisions[decision]
        change_url = reverse("admin:shops_shop_change", args=[shop.pk])
        # Back where the reviewer came from (the applications queue, with its filters).
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = ""
        form = decision.form_class(request.POST or None, shop=shop, reason_required=decision.reason_required)
        if request.method == "POST" and form.is_valid():
            arguments = {
                decision.reason_argument: form.cleaned_data["reason_text"],
                **form.service_arguments(),
            }
            try:
                decision.service(shop=shop, by=request.user, **arguments)
            except services.ShopStatusError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    " ".join(
                        str(part)
                        for part in (
                            decision.done_message % {"shop": shop.trade_name},
                            form.outcome_message(),
                        )
                        if part
                    ),
                    messages.SUCCESS,
                )
            return redirect(next_url or change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{decision.label} — {shop.trade_name}",
            "opts": self.opts,
            "original": shop,
            "decision": decision,
            "form": form,
            "change_url": change_url,
            "cancel_url": next_url or change_url,
            "next_url": next_url,
        }
        return TemplateResponse(request, "admin/shops/shop/decision.html", context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and can_review_shops(request):
            context["decisions"] = [
                (decision, reverse("admin:shops_shop_decide", args=[obj.pk, decision.slug]))
                for decision in self.decisions.values()
                if decision.allowed_for(obj)
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
