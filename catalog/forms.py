from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.ean import normalize_book_ean
from catalog.models import Book, ContributorRole, Listing
from catalog.pricing import check_listing_price
from catalog.reference import list_price_for
from marketplace.images import ImageUploadValidator

COVER_VALIDATOR = ImageUploadValidator(max_bytes=5 * 1024 * 1024)


class ShopChoiceMixin:
    """A shop field limited to the shops the user may manage, hidden when there is one."""

    def limit_shops(self, shops):
        self.fields["shop"].queryset = shops
        only = list(shops[:2])
        if len(only) == 1:
            self.fields["shop"].initial = only[0].pk
            self.fields["shop"].widget = forms.HiddenInput()


class IsbnForm(ShopChoiceMixin, forms.Form):
    """Step 1 of adding a listing: which book. A barcode scanner types the EAN and Enter."""

    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    isbn = forms.CharField(
        label=_("ISBN or EAN"),
        max_length=20,
        help_text=_(
            "Type it or scan the barcode on the back cover: 13 digits (or the old 10-character ISBN)."
        ),
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_shops(shops)

    def clean_isbn(self):
        return normalize_book_ean(self.cleaned_data["isbn"])


class ListingDetailsForm(forms.Form):
    """Step 2: the shop's offer of the book (and, for a book we do not know, its details)."""

    condition = forms.ChoiceField(
        label=_("Condition"), choices=Listing.Condition.choices, initial=Listing.Condition.NEW
    )
    price = forms.DecimalField(
        label=_("Price (€, incl. tax)"), max_digits=7, decimal_places=2, min_value=Decimal("0.01")
    )
    quantity = forms.IntegerField(label=_("Copies in stock"), min_value=0, max_value=100_000, initial=1)

    def __init__(self, *args, book: Book | None, shop_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.book = book
        # The reference price, else the one this shop gave for the book before.
        self.known_list_price = list_price_for(shop_id=shop_id, book=book) if book is not None else None
        if self.known_list_price is not None:
            self.fields["price"].initial = self.known_list_price

    def publisher_price(self) -> Decimal | None:
        return self.known_list_price

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("price") is not None and cleaned.get("condition"):
            try:
                check_listing_price(
                    price=cleaned["price"],
                    is_new=cleaned["condition"] == Listing.Condition.NEW,
                    list_price=self.publisher_price(),
                )
            except ValidationError as error:
                self.add_error("price", error)
        return cleaned


class NewBookForm(ListingDetailsForm):
    """Step 2 for an ISBN not in the catalogue yet: the bookseller describes the book."""

    title = forms.CharField(label=_("Title"), max_length=500)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=500, required=False)
    authors = forms.CharField(
        label=_("Authors"),
        required=False,
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    publisher = forms.CharField(label=_("Publisher"), max_length=200, required=False)
    list_price = forms.DecimalField(
        label=_("Publisher's price (€)"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Printed on the back cover. Needed to sell the book new."),
    )
    publication_date = forms.DateField(label=_("Publication date"), required=False)
    page_count = forms.IntegerField(label=_("Pages"), min_value=1, max_value=100_000, required=False)
    format = forms.ChoiceField(label=_("Format"), choices=[("", "—"), *Book.Format.choices], required=False)
    cover = forms.ImageField(label=_("Cover"), required=False, validators=[COVER_VALIDATOR])

    field_order = ["title", "subtitle", "authors", "publisher", "list_price", "publication_date", "page_count",
                   "format", "cover", "condition", "price", "quantity"]  # fmt: skip

    def publisher_price(self) -> Decimal | None:
        return self.cleaned_data.get("list_price")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("condition") == Listing.Condition.NEW and cleaned.get("list_price") is None:
            self.add_error(
                "list_price", _("A new book can only be sold at its publisher's price: please give it.")
            )
        return cleaned

    def author_names(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.cleaned_data["authors"].splitlines() if name.strip())


class CoverForm(forms.Form):
    cover = forms.ImageField(label=_("Cover"), required=False, validators=[COVER_VALIDATOR])


class StockListForm(forms.ModelForm):
    """A row of the stock list, where price and quantity are edited in place."""

    class Meta:
        model = Listing
        fields = ["price", "quantity"]

    def clean(self):
        cleaned = super().clean()
        # No book: the row is not one of the user's listings (the formset refuses it). A
        # price left as it is while the publisher's price changed is the review's business
        # (catalog/price_changes.py): the row's quantity can still be changed meanwhile.
        price_under_review = self.instance.price_review_by is not None and "price" not in self.changed_data
        if cleaned.get("price") is not None and self.instance.book_id is not None and not price_under_review:
            try:
                check_listing_price(
                    price=cleaned["price"],
                    is_new=not self.instance.is_used,
                    list_price=list_price_for(shop_id=self.instance.shop_id, book=self.instance.book),
                )
            except ValidationError as error:
                self.add_error("price", error)
        if cleaned.get("quantity") is not None and self.instance.pk is not None:
            try:
                self.instance.check_quantity_covers_reservations(cleaned["quantity"])
            except ValidationError as error:
                self.add_error("quantity", error)
        return cleaned


class StockImportForm(ShopChoiceMixin, forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    file = forms.FileField(
        label=_("Stock file"),
        help_text=_(
            "The export of your till software: CSV (comma or semicolon; columns EAN/ISBN, quantity, price, and "
            "optionally title, author, publisher, condition) or ONIX 3.0 XML."
        ),
    )
    full_sync = forms.BooleanField(
        label=_("Full sync"),
        required=False,
        help_text=_("The file is my whole stock: set to 0 the books of my shop that are not in it."),
    )

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_shops(shops)


class ContributorsField(forms.CharField):
    """Contributors typed one per line, the role in brackets when it is not "author":
    "Albert Camus", "Jean Dupont (translator)". Roles are accepted by code or by name,
    in French or English."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text", _("One per line; add the role in brackets if not the author: “Ann Li (translator)”.")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(
                item["name"] if item["role"] == ContributorRole.AUTHOR else f"{item['name']} ({item['role']})"
                for item in value
            )
        return value

    def to_python(self, value):
        roles = {}
        for role in ContributorRole:
            roles[role.value] = role.value
            roles[str(role.label).lower()] = role.value
        contributors = []
        for line in (value or "").splitlines():
            name, _bracket, role = line.strip().partition("(")
            role = role.rstrip(")").strip().lower()
            if not name.strip():
                continue
            if role and role not in roles:
                raise ValidationError(
                    _("Unknown role “%(role)s”: use %(roles)s.")
                    % {
                        "role": role,
                        "roles": ", ".join(str(label).lower() for label in ContributorRole.labels),
                    }
                )
            contributors.append({"name": name.strip(), "role": roles.get(role, ContributorRole.AUTHOR)})
        return contributors


class BookAdminForm(forms.ModelForm):
    contributors = ContributorsField(label=_("Contributors"), required=False)

    class Meta:
        model = Book
        fields = ["title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
                  "page_count", "format", "description", "clil_code", "list_price", "cover"]  # fmt: skip
