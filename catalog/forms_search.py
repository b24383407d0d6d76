"""The search box and its filters, as the customer sends them (GET parameters)."""

import copy
import html

from django import forms
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalog.models import ProductAttribute, ProductKind, Subject
from catalog.product_kinds import cached_kind_data
from catalog.search import DEFAULT_RADIUS_KM, SORTS, BookQuery
from marketplace.bilingual import in_page_language
from marketplace.cache import cached_with_local_copy

RADIUS_CHOICES = [(km, f"{km} km") for km in (5, 10, 20, 30, 50, 100)]


# The search page is the busiest page of the site, and its filter form was a third of
# its time: Django renders each field group, label, error list, input and every <option>
# through templates (tens of microseconds each, ~100 of them). These write the same
# markup (ids, aria-invalid, aria-describedby, the error list) in Python. They escape
# with the standard library's html.escape, which is what django.utils.html.escape calls
# after its check for lazy arguments, a third of the cost of ~200 escapes a form.


def escape(value) -> str:
    """django.utils.html.escape, without its check for lazy arguments."""
    return html.escape(str(value))


def _conditional_escape(value) -> str:
    """django.utils.html.conditional_escape, the same way: what is already HTML (a
    SafeString) is kept, anything else escaped."""
    return str(value.__html__()) if hasattr(value, "__html__") else html.escape(str(value))


def flatatt(attributes: dict) -> str:
    """django.forms.utils.flatatt, the same output: ` name="value"` pairs sorted, then
    the attributes set to True, sorted; False and None left out. Values escaped."""
    pairs = sorted((name, value) for name, value in attributes.items()
                   if value is not None and not isinstance(value, bool))  # fmt: skip
    flags = sorted(name for name, value in attributes.items() if value is True)
    return "".join(f' {name}="{_conditional_escape(value)}"' for name, value in pairs) + "".join(
        f" {name}" for name in flags
    )


class QuickInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        attributes = self.build_attrs(self.attrs, attrs) | {"type": self.input_type, "name": name}
        formatted = self.format_value(value)
        if formatted not in (None, ""):
            attributes["value"] = formatted
        return mark_safe(f"<input{flatatt(attributes)}>")  # flatatt escapes the values


class QuickInput(QuickInputMixin, forms.TextInput):
    pass


class QuickNumberInput(QuickInputMixin, forms.NumberInput):  # a NumberInput: fields add min and step
    pass


class QuickSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        attributes = self.build_attrs(self.attrs, attrs) | {"name": name}
        selected = {str(item) for item in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in selected else ""}>{escape(label)}</option>'
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt(attributes)}>{options}</select>")  # every part escaped


class QuickBoundField(forms.BoundField):
    def as_field_group(self):
        """templates/forms/field.html, for fields without help text."""
        errors = ""
        if self.errors:
            items = "".join(f"<li>{escape(error)}</li>" for error in self.errors)
            errors = f'<ul class="errorlist" id="{self.auto_id}_error">{items}</ul>'
        label = f'<label for="{self.id_for_label}">{escape(self.label)}</label>'
        css = "field field--error" if self.errors else "field"
        return mark_safe(f'<div class="{css}">{label}{errors}{self}</div>')


def top_subjects() -> list[tuple[str, str]]:
    """The subjects the filter offers. They change when the subject table is loaded
    again (a few times a year): read once every ten minutes, not on every search, and
    kept by each process for a minute."""
    return cached_with_local_copy(
        "search-top-subjects",
        lambda: list(Subject.objects.filter(parent__isnull=True).values_list("code", "label")),
        timeout=600,
        local_seconds=60,
    )


def kinds_and_filters() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str, str, str, list]]]:
    """The kinds of product (code, French name, English name) and the filterable
    attributes (code, type, French name, English name, unit in French, choices), one per
    code whatever the kinds that have it (a toy's age and a game's are one filter). Head
    office changes them rarely: read once a minute, not on every search."""

    def read():
        kinds = list(ProductKind.objects.values_list("code", "name_fr", "name_en"))
        filters = {}
        for attribute in ProductAttribute.objects.filter(filterable=True).order_by(
            "kind__position", "position"
        ):
            filters.setdefault(attribute.code, (attribute.code, attribute.type, attribute.name_fr, attribute.name_en,
                                                attribute.unit_fr, attribute.choice_list))  # fmt: skip
        return kinds, list(filters.values())

    return cached_kind_data("search-kinds-and-filters", read)


ATTRIBUTE_FIELD_PREFIX = "a_"  # "a_age-range=9" in the address


class _SearchFields(forms.Form):
    """The search form's fields as declared; SearchForm takes its own from them once per
    (shops around, language): see `_fields_for`."""

    q = forms.CharField(
        label=_("Title, author, brand, barcode…"), max_length=200, required=False, widget=QuickInput
    )
    radius = forms.TypedChoiceField(
        label=_("Within"),
        choices=RADIUS_CHOICES,
        coerce=int,
        initial=DEFAULT_RADIUS_KM,
        required=False,
        widget=QuickSelect,
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=[("", _("New or used")), ("new", _("New")), ("used", _("Used"))],
        required=False,
        widget=QuickSelect,
    )
    shop = forms.TypedChoiceField(
        label=_("Shop"), coerce=int, required=False, empty_value=None, widget=QuickSelect
    )
    price_min = forms.DecimalField(
        label=_("Price from (€)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        required=False,
        widget=QuickNumberInput,
    )
    price_max = forms.DecimalField(
        label=_("to (€)"),
        min_value=0,
        max_digits=7,
        decimal_places=2,
        required=False,
        widget=QuickNumberInput,
    )
    # "Subject" alone is an email's subject ("Objet") in the French catalogue.
    subject = forms.ChoiceField(
        label=pgettext_lazy("book subject", "Subject"), required=False, widget=QuickSelect
    )
    kind = forms.ChoiceField(label=_("Kind of product"), required=False, widget=QuickSelect)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[("relevance", _("Relevance")), ("nearest", _("Nearest")), ("price", _("Lowest price"))],
        required=False,
        widget=QuickSelect,
    )
    page = forms.IntegerField(min_value=1, max_value=1000, required=False, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    """The search box and its filters. Its fields are shared by every form asking for the
    same shops in the same language (they are only read once built): copying Django's
    fields and their choices for each search (deepcopy) was a tenth of the page's Python."""

    bound_field_class = QuickBoundField

    def __init__(self, *args, shops=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        fields, self.attribute_types = _fields_for(
            tuple((shop.id, shop.trade_name, shop.distance_km) for shop in shops),
            tuple(top_subjects()),
            kinds_and_filters(),
            translation.get_language(),
        )
        self.fields = dict(fields)

    def attribute_fields(self):
        """The filters by attribute (age, number of players…), for the template."""
        return [self[name] for name in self.fields if name.startswith(ATTRIBUTE_FIELD_PREFIX)]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("price_min"), cleaned.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The highest price must not be below the lowest."))
        return cleaned

    def to_query(self, *, latitude: float, longitude: float) -> BookQuery:
        """The search to run; fields in error fall back to their defaults, so that a
        bad link still shows results (with the errors next to the fields)."""
        data = self.cleaned_data if self.is_bound else {}
        valid = {name: value for name, value in data.items() if name not in self.errors}
        return BookQuery(
            latitude=latitude,
            longitude=longitude,
            text=valid.get("q") or "",
            radius_km=valid.get("radius") or DEFAULT_RADIUS_KM,
            condition=valid.get("condition") or "",
            shop_id=valid.get("shop"),
            price_min=valid.get("price_min"),
            price_max=valid.get("price_max"),
            subject=valid.get("subject") or "",
            kind=valid.get("kind") or "",
            attribute_filters=tuple(
                (code, attribute_type, valid[ATTRIBUTE_FIELD_PREFIX + code])
                for code, attribute_type in self.attribute_types.items()
                if valid.get(ATTRIBUTE_FIELD_PREFIX + code) not in (None, "")
            ),
            sort=valid.get("sort") if valid.get("sort") in SORTS else "relevance",
            page=valid.get("page") or 1,
        )


# (shops, subjects, kinds, language) → (fields, attribute types): built once each, at
# most FIELD_SETS_KEPT of them (~45 KB each; emptied when full: a set is rebuilt in
# ~0.3 ms, and the busiest drives' sets come back first).
FIELD_SETS_KEPT = 512
_field_sets: dict[tuple, tuple[dict[str, forms.Field], dict[str, str]]] = {}


def _fields_for(shops: tuple, subjects: tuple, kinds_filters, language: str):
    """The search form's fields for these shops (id, name, distance), subjects, kinds and
    filters, in `language` (the kinds' and filters' names are written in it). Never
    changed once built: a form that needs other choices gets another set."""
    kinds, filters = kinds_filters
    hashable_filters = tuple(
        (*attribute[:5], tuple(attribute[5])) for attribute in filters
    )  # choices: a list
    key = (shops, subjects, tuple(kinds), hashable_filters, language)
    built = _field_sets.get(key)
    if built is None:
        fields = copy.deepcopy(_SearchFields.base_fields)
        fields["shop"].choices = [
            ("", _("All nearby shops")),
            *((shop_id, f"{name} ({distance_km:.0f} km)") for shop_id, name, distance_km in shops),
        ]
        fields["subject"].choices = [("", _("All subjects")), *subjects]
        fields["kind"].choices = [
            ("", _("Every kind")),
            *((code, in_page_language(name_fr, name_en)) for code, name_fr, name_en in kinds),
        ]
        attribute_types = {}
        for code, attribute_type, name_fr, name_en, unit_fr, choices in filters:
            fields[ATTRIBUTE_FIELD_PREFIX + code] = _filter_field(
                attribute_type, in_page_language(name_fr, name_en), unit_fr, choices
            )
            attribute_types[code] = attribute_type
        if len(_field_sets) >= FIELD_SETS_KEPT:
            _field_sets.clear()
        built = _field_sets[key] = (fields, attribute_types)
    return built


def _filter_field(attribute_type: str, label: str, unit: str, choices: list[str]) -> forms.Field:
    if attribute_type in (ProductAttribute.Type.RANGE, ProductAttribute.Type.INTEGER):
        label = f"{label} ({unit})" if unit else label
        return forms.IntegerField(
            label=label, min_value=0, max_value=9999, required=False, widget=QuickNumberInput
        )
    if attribute_type == ProductAttribute.Type.CHOICE:
        return forms.ChoiceField(
            label=label, choices=[("", "—"), *((choice, choice) for choice in choices)], required=False,
            widget=QuickSelect,
        )  # fmt: skip
    return forms.CharField(label=label, max_length=200, required=False, widget=QuickInput)


class ShopCatalogueForm(forms.Form):
    """The search box of a bookshop's own page: its stock only."""

    q = forms.CharField(label=_("Search this shop"), max_length=200, required=False)
    page = forms.IntegerField(min_value=1, max_value=1000, required=False, widget=forms.HiddenInput)
