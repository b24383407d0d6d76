from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shops import services
from shops.forms import ReasonForm
from shops.models import Drive, Locality, Membership, Shop, ShopApiToken, ShopStatusChange
from shops.selectors import api_tokens_for_user, shops_for_user


def can_review_shops(request) -> bool:
    return request.user.has_perm("shops.review_shop")


@dataclass(frozen=True)
class Decision:
    """A button on a shop's admin page that moves it to another status."""

    slug: str
    label: str
    service: Callable
    from_status: str
    reason_required: bool
    reason_argument: str
    done_message: str


DECISIONS = {
    decision.slug: decision
    for decision in [
        Decision("approve", _("Approve"), services.shop_approve, Shop.Status.PENDING, False, "note",
                 _("“%(shop)s” is approved; its owner has been sent a link to set a password.")),
        Decision("reject", _("Reject"), services.shop_reject, Shop.Status.PENDING, True, "reason",
                 _("“%(shop)s” is rejected; the applicant has been told why.")),
        Decision("suspend", _("Suspend"), services.shop_suspend, Shop.Status.APPROVED, True, "reason",
                 _("“%(shop)s” is suspended; the shop has been told why.")),
        Decision("reinstate", _("Reinstate"), services.shop_reinstate, Shop.Status.SUSPENDED, False, "note",
                 _("“%(shop)s” is back on the marketplace.")),
    ]
}  # fmt: skip


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


# What a bookseller may change about their own shop; the rest is checked by the chain.
BOOKSELLER_EDITABLE_FIELDS = ["trade_name", "phone", "email", "website", "description", "logo"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["trade_name", "town", "postcode", "status_label", "created_at"]
    list_filter = ["status", "kind", "drives"]
    search_fields = ["trade_name", "legal_name", "siret", "town", "postcode", "contact_email"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline, ShopStatusChangeInline]
    filter_horizontal = ["drives"]
    actions = ["approve_selected"]
    change_form_template = "admin/shops/shop/change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (_("Shop"), {"fields": ["trade_name", "status", "kind", "description", "logo"]}),
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
    ]

    def get_queryset(self, request):
        return shops_for_user(request.user)

    def get_readonly_fields(self, request, obj=None):
        # Status changes go through the decision buttons, so that each one is recorded.
        always = ["status", "created_at", "updated_at"]
        if can_review_shops(request):
            return always
        all_fields = [field for _name, options in self.fieldsets for field in options["fields"]]
        return always + [field for field in all_fields if field not in BOOKSELLER_EDITABLE_FIELDS + always]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

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

    @admin.action(description=_("Approve the selected applications"))
    def approve_selected(self, request, queryset):
        pending = list(queryset.filter(status=Shop.Status.PENDING))
        for shop in pending:
            services.shop_approve(shop=shop, by=request.user)
        approved, skipped = len(pending), queryset.count() - len(pending)
        if approved:
            self.message_user(
                request,
                ngettext("%(count)d shop approved.", "%(count)d shops approved.", approved)
                % {"count": approved},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected shop was not awaiting review and was left as it was.",
                    "%(count)d selected shops were not awaiting review and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

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
        if not can_review_shops(request):
            raise PermissionDenied
        shop = self.get_object(request, object_id)
        if shop is None or decision not in DECISIONS:
            raise Http404
        decision = DECISIONS[decision]
        change_url = reverse("admin:shops_shop_change", args=[shop.pk])
        form = ReasonForm(request.POST or None, reason_required=decision.reason_required)
        if request.method == "POST" and form.is_valid():
            try:
                decision.service(
                    shop=shop, by=request.user, **{decision.reason_argument: form.cleaned_data["reason"]}
                )
            except services.ShopStatusError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, decision.done_message % {"shop": shop.trade_name}, messages.SUCCESS
                )
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{decision.label} — {shop.trade_name}",
            "opts": self.opts,
            "original": shop,
            "decision": decision,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/shops/shop/decision.html", context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and can_review_shops(request):
            context["decisions"] = [
                (decision, reverse("admin:shops_shop_decide", args=[obj.pk, decision.slug]))
                for decision in DECISIONS.values()
                if decision.from_status == obj.status
            ]
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "shop", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__last_name", "shop__trade_name"]
    autocomplete_fields = ["user", "shop"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(shop__in=shops_for_user(request.user))
            .select_related("user", "shop")
        )


@admin.register(Drive)
class DriveAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "postcode", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "town", "postcode"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Locality)
class LocalityAdmin(admin.ModelAdmin):
    list_display = ["postcode", "name", "place", "insee_code", "latitude", "longitude"]
    search_fields = ["postcode", "name", "place", "insee_code"]
    readonly_fields = ["postcode", "insee_code", "name", "place"]

    def has_add_permission(self, request):
        return False  # localities come from La Poste's file (manage.py import_postcodes)


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ShopApiToken
        fields = ["shop", "name"]


@admin.register(ShopApiToken)
class ShopApiTokenAdmin(admin.ModelAdmin):
    """API keys for till software. The key is shown once, right after it is created."""

    form = ApiKeyForm
    list_display = ["name", "shop", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = ["shop"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return api_tokens_for_user(request.user).select_related("shop")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "shop":
            kwargs["queryset"] = shops_for_user(request.user).filter(status=Shop.Status.APPROVED)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # a key is created, used, revoked; never edited

    def has_delete_permission(self, request, obj=None):
        return False  # revoked keys stay listed, with their dates

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, token):
        return token.is_active

    def save_model(self, request, obj, form, change):
        obj.pk = None
        token, key = services.api_token_create(
            shop=form.cleaned_data["shop"], name=form.cleaned_data["name"], by=request.user
        )
        request._created_api_key = (token, key)

    def response_add(self, request, obj, post_url_continue=None):
        token, key = request._created_api_key
        return TemplateResponse(
            request,
            "admin/shops/shopapitoken/created.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "token": token, "key": key,
             "title": _("Your new API key")},
        )  # fmt: skip

    @admin.action(description=_("Revoke the selected keys"), permissions=["view"])
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("%(count)d key revoked.", "%(count)d keys revoked.", len(queryset))
            % {"count": len(queryset)},
            messages.SUCCESS,
        )
