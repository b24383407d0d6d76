"""The shared catalogue's books, as head office edits them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from catalog import services
from catalog.admin.reference import BookPriceInline, save_book_prices
from catalog.forms import (
    BookAdminForm,
)
from catalog.models import (
    Book,
    BookPrice,
)
from catalog.reference import outranks_or_equals
from catalog.search_index import search_index_book


class WithoutReferencePriceFilter(admin.SimpleListFilter):
    title = _("publisher's price")
    parameter_name = "reference_price"

    def lookups(self, request, model_admin):
        return [("none", _("No reference price")), ("known", _("Known"))]

    def queryset(self, request, queryset):
        if self.value() in ("none", "known"):
            return queryset.filter(list_price__isnull=self.value() == "none")
        return queryset


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    """The shared catalogue, kept by the chain's staff (booksellers have no access). Head
    office's corrections rank below publishers' feeds and above shops (catalog/reference.py);
    the publisher's price is corrected by adding a dated price below."""

    form = BookAdminForm
    list_display = ["title", "isbn", "authors", "publisher", "list_price", "source", "updated_at"]
    list_filter = ["kind", "source", "format", WithoutReferencePriceFilter]
    search_fields = ["=ean", "title", "contributors", "publisher"]
    readonly_fields = ["ean", "kind", "owner_shop", "own_reference", "list_price", "cover_thumbnail", "source",
                       "created_at", "updated_at"]  # fmt: skip
    inlines = [BookPriceInline]

    @admin.display(description=_("authors"))
    def authors(self, book):
        return book.authors

    def save_model(self, request, obj, form, change):
        if form.changed_data and not outranks_or_equals(obj.source, Book.Source.STAFF):
            obj.source = Book.Source.STAFF  # shops no longer overwrite what head office corrected
        super().save_model(request, obj, form, change)
        if "cover" in form.changed_data:
            services.book_refresh_thumbnail(book=obj)
        search_index_book(book_id=obj.pk)

    def save_formset(self, request, form, formset, change):
        if formset.model is BookPrice:
            save_book_prices(formset)
        else:
            super().save_formset(request, form, formset, change)

    def has_add_permission(self, request):
        return False  # books come from ONIX feeds, stock files and booksellers' listings
