"""The search box and its filters, as the customer sends them (GET parameters)."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from catalog.models import Subject
from catalog.search import DEFAULT_RADIUS_KM, SORTS, BookQuery

RADIUS_CHOICES = [(km, f"{km} km") for km in (5, 10, 20, 30, 50, 100)]


class QuickSelect(forms.Select):
    """A <select> written in Python. Django renders every <option> through a template
    (a few dozen microseconds each): with the nearby shops and the subjects, that was a
    third of the search page's time. Same markup, same attributes (id, aria-*)."""

    def render(self, name, value, attrs=None, renderer=None):
        attributes = self.build_attrs(self.attrs, attrs) | {"name": name}
        selected = {str(item) for item in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in selected else ""}>{escape(label)}</option>'
            for key, label in self.choices
        )
        return mark_safe(f"<select{flatatt(attributes)}>{options}</select>")  # every part escaped above


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Title, author, ISBN…"), max_length=200, required=False)
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
        label=_("Price from (€)"), min_value=0, max_digits=7, decimal_places=2, required=False
    )
    price_max = forms.DecimalField(
        label=_("to (€)"), min_value=0, max_digits=7, decimal_places=2, required=False
    )
    subject = forms.ChoiceField(label=_("Subject"), required=False, widget=QuickSelect)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        choices=[("relevance", _("Relevance")), ("nearest", _("Nearest")), ("price", _("Lowest price"))],
        required=False,
        widget=QuickSelect,
    )
    page = forms.IntegerField(min_value=1, max_value=1000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, shops=(), **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [
            ("", _("All nearby shops")),
            *((shop.id, f"{shop.trade_name} ({shop.distance_km:.0f} km)") for shop in shops),
        ]
        top_subjects = Subject.objects.filter(parent__isnull=True).values_list("code", "label")
        self.fields["subject"].choices = [("", _("All subjects")), *top_subjects]

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
            sort=valid.get("sort") if valid.get("sort") in SORTS else "relevance",
            page=valid.get("page") or 1,
        )
