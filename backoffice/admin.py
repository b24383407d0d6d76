import re
from dataclasses import replace

from axes.models import AccessAttempt
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog.models import Listing
from marketplace.models import AuditEntry, ModerationReason, OutgoingEmail, User
from marketplace.services import emails_send_again
from orders import suspension
from orders.forms import SuspensionForm
from orders.models import Order
from shops import roles
from shops.admin import ShopAdmin
from shops.admin_filters import ShopDriveFilter
from shops.models import Shop
from shops.selectors import drives_for_user, shops_for_user, user_sees_all_shops

admin.site.site_header = _("Drive Solidaire — back office")
admin.site.site_title = _("Drive Solidaire")
admin.site.index_title = _("Back office")


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "preferred_language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]})
    ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.label_from_instance = roles.label  # "Équipes des boutiques", not "Booksellers"
        return field


@admin.register(AccessAttempt)
class LoginLockoutAdmin(admin.ModelAdmin):
    """Wrong passwords per account and client address (django-axes, marketplace/
    login_guard.py). Deleting a row lifts its lockout: "Unlock" for a bookseller or a
    customer who calls, after checking who they are."""

    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked"]
    list_filter = ["attempt_time"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock"]
    fields = ["username", "ip_address", "user_agent", "failures_since_start", "attempt_time", "path_info"]
    readonly_fields = fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Unlock" says what deleting does here
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("locked out"), boolean=True)
    def locked(self, attempt):
        return attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT and (
            attempt.attempt_time > timezone.now() - settings.AXES_COOLOFF_TIME
        )

    @admin.action(description=_("Unlock the selected accounts"), permissions=["delete"])
    def unlock(self, request, queryset):
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            ngettext("%(count)d lockout lifted.", "%(count)d lockouts lifted.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """What the product sent, or is trying to send. Bodies are not shown: they may hold
    personal links (set-password tokens)."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "language"]
    search_fields = ["to", "subject", "event_key"]
    date_hierarchy = "created_at"
    fields = ["event_key", "to", "language", "subject", "status", "attempts", "last_error", "created_at",
              "enqueued_at", "sent_at"]  # fmt: skip
    readonly_fields = fields
    actions = ["send_again"]

    def get_queryset(self, request):
        # Without the context, a row read for the list is not rendered (OutgoingEmail.from_db):
        # a message the worker has not sent yet is listed without its subject.
        return super().get_queryset(request).defer("context")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Try sending the selected failed messages again"), permissions=["view"])
    def send_again(self, request, queryset):
        count = emails_send_again(email_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# --- Audit trail ------------------------------------------------------------------------

# The model and its admin page behind each kind of entry, and its statuses' labels.
AUDITED = {
    AuditEntry.Kind.SHOP: (Shop, "admin:shops_shop_change"),
    AuditEntry.Kind.LISTING: (Listing, "admin:catalog_listing_change"),
    AuditEntry.Kind.ORDER: (Order, "admin:orders_order_change"),
    # By label: the privacy app sits beside the back office, not under it.
    AuditEntry.Kind.PERSONAL_DATA: ("privacy.DataRequest", "admin:privacy_datarequest_change"),
}


# The addresses whose next segment is a customer's key: an order's or a checkout's token,
# an emailed link (orders/urls.py, privacy/urls.py).
# (Not the admin's own /admin/orders/order/<id>/ addresses.)
CUSTOMER_KEY_IN_ADDRESS = re.compile(r"(?<!/admin)(/(?:orders|reservation/done|my-data)/)(?!\d+/)[^/]+/")


def _audited(kind: str):
    model, url_name = AUDITED[kind]
    return (apps.get_model(model) if isinstance(model, str) else model), url_name


class AuditDriveFilter(ShopDriveFilter):
    shop_field = "shop_id"


class ActorFilter(admin.SimpleListFilter):
    title = _("by")
    parameter_name = "by"

    def lookups(self, request, model_admin):
        return [("person", _("A person")), ("system", _("The system (jobs, scripts)"))]

    def queryset(self, request, queryset):
        if self.value() == "person":
            return queryset.filter(actor__isnull=False)
        if self.value() == "system":
            return queryset.filter(actor__isnull=True)
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Every status change of shops, listings and orders, written by database triggers
    (marketplace/audit.py). Read-only here, and the table itself refuses updates and
    deletes. Drive staff see the entries of their drives' shops."""

    list_display = [
        "happened_at",
        "kind",
        "object_link",
        "shop_name",
        "field_label",
        "change",
        "actor_column",
        "where",
    ]
    # The page of an entry shows the same columns (a customer named to head office only).
    fields = readonly_fields = ["happened_at", "kind", "object_link", "shop_name", "field_label", "change",
                                "actor_column", "where"]  # fmt: skip
    list_filter = ["kind", "field", ActorFilter, AuditDriveFilter]
    search_fields = ["=object_id", "actor__email", "context__url"]
    search_help_text = _("An object's number, a person's email, or a page address.")
    date_hierarchy = "happened_at"
    list_select_related = ["actor"]
    list_per_page = 100
    # Counting millions of rows for the paginator is slow and useless here.
    show_full_result_count = False

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        if not user_sees_all_shops(request.user):
            entries = entries.filter(shop_id__in=shops_for_user(request.user).values("pk"))
        # Names of the shop and of the object, in the list's own query (no query per row).
        shop_name = Shop.objects.filter(pk=OuterRef("shop_id")).values("trade_name")
        return entries.annotate(
            # For actor_column: list columns do not get the request.
            customers_named=Value(user_sees_all_shops(request.user)),
            shop_name=Subquery(shop_name),
            object_name=Case(
                When(kind=AuditEntry.Kind.SHOP, then=Subquery(shop_name)),
                When(
                    kind=AuditEntry.Kind.LISTING,
                    then=Subquery(Listing.objects.filter(pk=OuterRef("object_id")).values("book__title")),
                ),
                When(
                    kind=AuditEntry.Kind.ORDER,
                    then=Subquery(Order.objects.filter(pk=OuterRef("object_id")).values("reference")),
                ),
            ),
        )

    def get_search_fields(self, request):
        # Drive staff look for the people of their shops, not for customers by email.
        if user_sees_all_shops(request.user):
            return self.search_fields
        return [field for field in self.search_fields if field != "actor__email"]

    @admin.display(description=_("by"), ordering="actor")
    def actor_column(self, entry):
        """The person who made the change. A customer is named to head office only: the
        drive staff's trail is about their shops' work (SHOPS_SEE_CUSTOMER_DETAILS_DAYS)."""
        if entry.actor is None:
            return "—"
        if entry.actor.is_staff or entry.customers_named:
            return str(entry.actor)
        return gettext("A customer")

    def get_list_filter(self, request):
        if drives_for_user(request.user).exists():
            return self.list_filter
        return [f for f in self.list_filter if f is not AuditDriveFilter]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("object"))
    def object_link(self, entry):
        _model, url_name = _audited(entry.kind)
        label = entry.object_name or f"#{entry.object_id}"
        try:
            return format_html('<a href="{}">{}</a>', reverse(url_name, args=[entry.object_id]), label)
        except NoReverseMatch:
            return label

    @admin.display(description=_("shop"), ordering="shop_id")
    def shop_name(self, entry):
        return entry.shop_name or "—"

    @admin.display(description=_("field"), ordering="field")
    def field_label(self, entry):
        model, _url_name = _audited(entry.kind)
        try:
            return model._meta.get_field(entry.field).verbose_name
        except FieldDoesNotExist:  # a field renamed since: its column name says enough
            return entry.field

    @admin.display(description=_("before → after"))
    def change(self, entry):
        return format_html(
            "{} → <strong>{}</strong>",
            self._value(entry, entry.before) or gettext("(created)"),
            self._value(entry, entry.after),
        )

    @admin.display(description=_("where"))
    def where(self, entry):
        context = entry.context or {}
        url = context.get("url")
        if url and not entry.customers_named:
            # A customer's token or signed link is their key to the order: drive staff read
            # which page it was, not the key.
            url = CUSTOMER_KEY_IN_ADDRESS.sub(r"\1…/", url)
        return url or context.get("job") or "—"

    def _value(self, entry, value):
        model, _url_name = _audited(entry.kind)
        try:
            choices = model._meta.get_field(entry.field).choices
        except FieldDoesNotExist:
            choices = None
        return dict(choices).get(value, value) if choices and value else value


# --- Ready-made reasons for moderation decisions ----------------------------------------


@admin.register(ModerationReason)
class ModerationReasonAdmin(admin.ModelAdmin):
    """Texts moderators pick when they turn down an application or a listing: head office
    writes them, every moderator uses them."""

    list_display = ["label", "applies_to", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["applies_to", "is_active"]
    search_fields = ["label", "text"]


# --- Shops, with their orders ----------------------------------------------------------


class ShopAndOrdersAdmin(ShopAdmin):
    """The shops' page, with the one decision that reaches into orders: suspending a shop
    may also cancel its open orders (orders/suspension.py). Shops know nothing of orders;
    this floor knows both, so it registers the page with that choice."""

    decisions = {
        **ShopAdmin.decisions,
        "suspend": replace(
            ShopAdmin.decisions["suspend"], service=suspension.shop_suspend, form_class=SuspensionForm
        ),
    }


admin.site.unregister(Shop)
admin.site.register(Shop, ShopAndOrdersAdmin)
