"""Kinds of product and their attributes: head office adds a kind (a record, an item of
stationery…) and what describes one here, with no code change."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog.models import ProductAttribute, ProductKind


class ProductAttributeInline(admin.TabularInline):
    model = ProductAttribute
    extra = 1
    fields = ["position", "code", "name_fr", "name_en", "type", "unit_fr", "unit_en", "choices", "required",
              "filterable"]  # fmt: skip

    def has_delete_permission(self, request, obj=None):
        return False  # products will hold values under its code: an attribute stays


@admin.register(ProductKind)
class ProductKindAdmin(admin.ModelAdmin):
    """A kind is never deleted (products would lose theirs) and its code never changes
    (stock files and the till API name it)."""

    list_display = ["name_fr", "name_en", "code", "book_rules", "shop_kind_names", "position"]
    filter_horizontal = ["shop_kinds"]
    inlines = [ProductAttributeInline]
    ordering = ["position", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("shop_kinds")

    @admin.display(description=_("kinds of shop that may list it"))
    def shop_kind_names(self, kind):
        return ", ".join(shop_kind.name for shop_kind in kind.shop_kinds.all())

    def get_readonly_fields(self, request, obj=None):
        # The book rules are the law's and the code's: fixed once the kind exists.
        return ["code", "book_rules"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False
