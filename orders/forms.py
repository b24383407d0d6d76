import re
import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from orders.limits import max_copies_per_line
from orders.models import Order
from orders.services import CustomerDetails
from shops.forms import ShopDecisionForm, french_phone_field

FORM_TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_form_token() -> str:
    """The checkout form's idempotency key, drawn when the form is shown: sending the
    same form twice reserves once."""
    return uuid.uuid4().hex


class AddToCartForm(forms.Form):
    quantity = forms.TypedChoiceField(label=_("Copies"), coerce=int)
    # The price on the page the customer read, remembered in the cart: if it changes
    # before they confirm, they are told.
    seen_price = forms.DecimalField(
        widget=forms.HiddenInput, max_digits=7, decimal_places=2, min_value=0, required=False
    )

    def __init__(self, *args, max_quantity: int, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["quantity"].choices = [(number, number) for number in range(1, max_quantity + 1)]


class CartQuantityForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting: read when the form is made, not when this module loads.
        self.fields["quantity"] = forms.IntegerField(
            label=_("Copies"), min_value=0, max_value=max_copies_per_line()
        )


class CheckoutForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("The shop asks for it at the counter."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,  # the column's length; a longer (valid) address would not fit
        help_text=_("We send the confirmation there, then each shop's news about your order."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = french_phone_field(
        label=_("Phone"),
        help_text=_("For the shop, if it needs to reach you. For example 06 12 34 56 78."),
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the reservation terms."),
        error_messages={"required": _("Please accept the reservation terms to reserve.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.initial.get("token"):
            self.initial["token"] = new_form_token()
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel"})

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not FORM_TOKEN_PATTERN.match(token):
            raise forms.ValidationError(
                _("This form has expired. Please check your details and send it again."), code="token"
            )
        return token

    def renew_token(self) -> None:
        """Show the form again under a new key (the old one cannot be used again)."""
        self.data = self.data.copy()
        self.data["token"] = new_form_token()

    def customer_details(self, *, user, language: str) -> CustomerDetails:
        return CustomerDetails(
            name=self.cleaned_data["name"].strip(),
            email=self.cleaned_data["email"],
            phone=self.cleaned_data["phone"].as_e164,
            language=language,
            user=user if user.is_authenticated else None,
        )


class DistributorOrderForm(CheckoutForm):
    """ "Order it for me": how many copies, and the customer's details as at checkout."""

    quantity = forms.TypedChoiceField(label=_("Copies"), coerce=int, initial=1)
    field_order = ["token", "quantity", "name", "email", "phone", "accept_terms"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].choices = [(number, number) for number in range(1, max_copies_per_line() + 1)]
        self.order_fields(self.field_order)


class ElsewhereForm(forms.Form):
    """One button: reserve at another shop what the order's shop did not serve. Its key,
    drawn when the page is shown, makes a double click reserve once."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = new_form_token()

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not FORM_TOKEN_PATTERN.match(token):
            raise forms.ValidationError(_("This form has expired. Please try again."), code="token")
        return token


class SuspensionForm(ShopDecisionForm):
    """Suspending a shop: the reason, and what becomes of its open orders."""

    HONOUR, CANCEL = "honour", "cancel"

    open_orders = forms.ChoiceField(
        label=_("Its open orders (placed, accepted or ready)"),
        choices=[
            (HONOUR, _("Honour them: the shop still serves them")),
            (CANCEL, _("Cancel them: customers are told and the copies are released")),
        ],
        initial=HONOUR,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        count = self.shop.orders.filter(status__in=Order.OPEN_STATUSES).count()
        self.fields["open_orders"].help_text = ngettext(
            "The shop has %(count)d open order right now.",
            "The shop has %(count)d open orders right now.",
            count,
        ) % {"count": count}

    def service_arguments(self) -> dict:
        return {"cancel_open_orders": self.cleaned_data["open_orders"] == self.CANCEL}

    def outcome_message(self) -> str:
        if self.cleaned_data["open_orders"] == self.CANCEL:
            return _("Its open orders are cancelled; their customers have been told.")
        return _("Its open orders stay: the shop still serves them.")
