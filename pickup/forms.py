from django import forms
from django.utils.translation import gettext_lazy as _

from orders.pickup_codes import PICKUP_CODE_LENGTH, normalize_pickup_code


class PickupCodeForm(forms.Form):
    """The code the customer shows, typed on a phone at the counter (or filled in by
    the QR code's link). Case, spaces and dashes do not matter."""

    code = forms.CharField(
        label=_("Pickup code"),
        help_text=_("Type the code the customer shows, or scan its QR code with the camera."),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "class": "counter-code__input",
                "placeholder": "ACDE-FGHJ",
                # Letters and digits: the phone's ordinary keyboard, in capitals, without
                # the corrections and suggestions meant for words.
                "inputmode": "text",
                "autocapitalize": "characters",
                "autocomplete": "off",
                "autocorrect": "off",
                "spellcheck": "false",
                "enterkeyhint": "search",
            }
        ),
    )

    def clean_code(self) -> str:
        code = normalize_pickup_code(self.cleaned_data["code"])
        if len(code) != PICKUP_CODE_LENGTH:
            # Not a lookup, so not an attempt: the code's length is no secret.
            raise forms.ValidationError(
                _("A pickup code has %(length)s letters and digits, for instance ACDE-FGHJ."),
                params={"length": PICKUP_CODE_LENGTH},
            )
        return code


class HandOverForm(forms.Form):
    """The "Hand over" button: which order, with which code, at which shop's counter.
    All three are checked again by the service; the order id alone proves nothing."""

    order = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    code = forms.CharField(max_length=40, widget=forms.HiddenInput)
    shop = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
