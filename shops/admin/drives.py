"""Drives, their staff, shop teams and La Poste's localities."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from shops import services
from shops.models import (
    Drive,
    DriveAssignment,
    Locality,
    Membership,
    ShopKind,
)
from shops.selectors import drives_for_user, shops_for_user


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


class StaffAccountChoiceMixin:
    """Only people who work in the back office are offered as drive staff, not customers."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = (
                get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DriveStaffInline(StaffAccountChoiceMixin, admin.TabularInline):
    """Who works for the drive: they review its shops and their listings. Head office
    only (the other roles hold no permission on assignments)."""

    model = DriveAssignment
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["created_at"]
    verbose_name = _("staff member")
    verbose_name_plural = _("Drive staff")


@admin.register(Drive)
class DriveAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "postcode", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "town", "postcode"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [DriveStaffInline]

    def get_queryset(self, request):
        return drives_for_user(request.user)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is DriveAssignment:
            for assignment in [*formset.new_objects, *(obj for obj, _fields in formset.changed_objects)]:
                services.drive_staff_grant_access(user=assignment.user)


@admin.register(DriveAssignment)
class DriveAssignmentAdmin(StaffAccountChoiceMixin, admin.ModelAdmin):
    """Drive staff, all drives at once (head office only)."""

    list_display = ["user", "drive", "created_at"]
    list_filter = ["drive"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "drive__name"]
    list_select_related = ["user", "drive"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.drive_staff_grant_access(user=obj.user)


@admin.register(Locality)
class LocalityAdmin(admin.ModelAdmin):
    list_display = ["postcode", "name", "place", "insee_code", "latitude", "longitude"]
    search_fields = ["postcode", "name", "place", "insee_code"]
    readonly_fields = ["postcode", "insee_code", "name", "place"]

    def has_add_permission(self, request):
        return False  # localities come from La Poste's file (manage.py import_postcodes)


@admin.register(ShopKind)
class ShopKindAdmin(admin.ModelAdmin):
    """Head office adds kinds of shop here (a record shop, a toy shop…): no code change.
    A kind is never deleted: shops that have it would lose it silently."""

    list_display = ["name_fr", "name_en", "code", "position", "shop_count"]
    ordering = ["position", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shop_count=Count("shops"))

    @admin.display(description=_("shops"), ordering="shop_count")
    def shop_count(self, kind):
        return kind.shop_count

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []  # files and addresses name it

    def has_delete_permission(self, request, obj=None):
        return False
