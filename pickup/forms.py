from django import forms
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext

from orders.pickup_codes import PICKUP_CODE_LENGTH, characters_never_in_pickup_codes, normalize_pickup_code


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
        typed = self.cleaned_data["code"]
        # Not a lookup, so not an attempt: the codes' alphabet and length are no secret.
        if never_used := characters_never_in_pickup_codes(typed):
            quoted = [
                pgettext("a character quoted", "“%(character)s”") % {"character": char} for char in never_used
            ]
            raise forms.ValidationError(
                ngettext(
                    "A pickup code never uses %(characters)s, a character too easily mistaken for another: "
                    "check the code shown.",
                    "A pickup code never uses %(characters)s, characters too easily mistaken for others: "
                    "check the code shown.",
                    len(never_used),
                ),
                params={"characters": get_text_list(quoted)},
            )
        code = normalize_pickup_code(typed)
        if len(code) != PICKUP_CODE_LENGTH:
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
