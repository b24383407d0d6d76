from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from catalog.ean import normalize_product_ean
from catalog.models import Book, ContributorRole, Listing, ProductAttribute, ProductKind
from catalog.pricing import check_listing_price
from catalog.product_kinds import ShopProductKinds, attribute_as_typed, attribute_values_clean
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
    """Step 1 of adding a listing: which product. A barcode scanner types the EAN and
    Enter; a product without a barcode is named by the shop's own reference."""

    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    kind = forms.ModelChoiceField(
        label=_("Kind of product"),
        queryset=ProductKind.objects.all(),
        to_field_name="code",
        empty_label=None,
        required=False,  # a scanner's Enter sends the form as it is: the shop's usual kind
    )
    isbn = forms.CharField(
        label=_("ISBN or EAN"),
        max_length=20,
        required=False,
        help_text=_(
            "Type it or scan the barcode on the back cover: 13 digits (or the old 10-character ISBN)."
        ),
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "numeric", "autocomplete": "off"}),
    )
    reference = forms.CharField(
        label=_("Your reference (no barcode)"),
        max_length=40,
        required=False,
        help_text=_(
            "Only for a product without a barcode (your own goods, a craftsman's piece): your code for it."
        ),
    )

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_shops(shops)
        kinds = ProductKind.objects.filter(shop_kinds__shops__in=shops).distinct()
        self.fields["kind"].queryset = kinds
        self.fields["kind"].initial = ProductKind.BOOK
        codes = list(kinds.values_list("code", flat=True)[:2])
        if len(codes) <= 1:  # a shop that lists one kind only: nothing to choose
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = codes[0] if codes else ProductKind.BOOK

    def clean(self):
        cleaned = super().clean()
        shop = cleaned.get("shop")
        if shop is None:
            return cleaned
        kinds = ShopProductKinds(shop)
        kind = cleaned["kind"] = cleaned.get("kind") or kinds.usual
        try:
            kinds.check_allowed(kind)
        except ValueError as error:
            self.add_error("kind", str(error))
            return cleaned
        typed, reference = cleaned.get("isbn", "").strip(), cleaned.get("reference", "").strip()
        if typed:
            try:
                cleaned["isbn"] = normalize_product_ean(typed, book_rules=kind.book_rules)
            except ValidationError as error:
                self.add_error("isbn", error)
        elif not reference:
            self.add_error(
                "isbn", _("Type or scan the barcode (or, for a product without one, give your reference).")
            )
        elif kind.book_rules:
            self.add_error("isbn", _("A product of kind “%(kind)s” needs its ISBN: the EAN is empty.") % {
                "kind": kind.name
            })  # fmt: skip
        cleaned["reference"] = reference
        return cleaned


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


class NewProductForm(ListingDetailsForm):
    """Step 2 for a product of a kind without the book rules, not in the catalogue yet
    (or the shop's own, without a barcode): its name, what its kind asks, the brand's
    recommended price (shown, never enforced) and a picture. One field per attribute of
    the kind, as head office defined them."""

    title = forms.CharField(label=_("Name"), max_length=500)
    list_price = forms.DecimalField(
        label=_("Recommended price (€)"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("The brand's, if it has one: shown to customers, your price stays free."),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    cover = forms.ImageField(label=_("Picture"), required=False, validators=[COVER_VALIDATOR])

    ATTRIBUTE_PREFIX = "attribute_"

    def __init__(self, *args, kind: ProductKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.attributes = list(kind.attributes.all())
        for attribute in self.attributes:
            self.fields[self.ATTRIBUTE_PREFIX + attribute.code] = _attribute_field(attribute)
        self.order_fields(["title", *(self.ATTRIBUTE_PREFIX + a.code for a in self.attributes), "list_price",
                           "description", "cover", "condition", "price", "quantity"])  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        raw = {a.code: cleaned.get(self.ATTRIBUTE_PREFIX + a.code) or "" for a in self.attributes}
        self.attribute_values, problems = attribute_values_clean(self.kind, raw)
        for code, problem in problems.items():
            self.add_error(self.ATTRIBUTE_PREFIX + code, problem)
        return cleaned


def _attribute_field(attribute: ProductAttribute) -> forms.Field:
    """A text field whatever the type: attribute_values_clean reads "8 à 12" as people
    write it and says what to fix; a list's choices are offered as a menu."""
    label = f"{attribute.name} ({attribute.unit})" if attribute.unit else attribute.name
    if attribute.type == ProductAttribute.Type.CHOICE:
        return forms.ChoiceField(
            label=label, required=False,
            choices=[("", "—"), *((choice, choice) for choice in attribute.choice_list)],
        )  # fmt: skip
    help_text = _("A number or a range, e.g. 8-12.") if attribute.type == ProductAttribute.Type.RANGE else ""
    # Not required here: attribute_values_clean says which are, naming the kind.
    return forms.CharField(label=label, max_length=200, required=False, help_text=help_text)


class CoverForm(forms.Form):
    cover = forms.ImageField(label=_("Cover"), required=False, validators=[COVER_VALIDATOR])


class StockListForm(forms.ModelForm):
    """A row of the stock list, where price and quantity are edited in place. The price
    is written and read the French way (3,44) in French."""

    class Meta:
        model = Listing
        fields = ["price", "quantity"]
        localized_fields = ["price"]
        widgets = {"price": forms.TextInput(attrs={"inputmode": "decimal", "size": 7})}

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


class StockListRowForm(StockListForm):
    """A row of the stock list. Its inputs have no <label> (on screen, the column's header
    stands for one): each names its column and its product, for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.book_id is not None:
            for field in self.fields.values():
                field.widget.attrs["aria-label"] = f"{capfirst(field.label)} — {self.instance.book.title}"


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
    """Head office's corrections of a catalogue product; for a kind without the book rules,
    one field per attribute of its kind (checked as booksellers' are)."""

    contributors = ContributorsField(label=_("Contributors"), required=False)

    class Meta:
        model = Book
        fields = ["title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
                  "page_count", "format", "description", "clil_code", "list_price", "cover"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        product = self.instance
        self.attribute_list = [] if product.follows_book_rules else list(product.kind.attributes.all())
        for attribute in self.attribute_list:
            name = NewProductForm.ATTRIBUTE_PREFIX + attribute.code
            self.fields[name] = _attribute_field(attribute)
            self.fields[name].initial = attribute_as_typed(product.attributes.get(attribute.code))

    def clean(self):
        cleaned = super().clean()
        if self.attribute_list:
            raw = {
                a.code: cleaned.get(NewProductForm.ATTRIBUTE_PREFIX + a.code) or ""
                for a in self.attribute_list
            }
            values, problems = attribute_values_clean(self.instance.kind, raw)
            for code, problem in problems.items():
                self.add_error(NewProductForm.ATTRIBUTE_PREFIX + code, problem)
            self.instance.attributes = values
        return cleaned
