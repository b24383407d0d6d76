"""Forms the public fills about products: reporting an offer, asking to be told when one is in stock."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import ListingReport


class ListingReportForm(forms.Form):
    """Anyone tells the moderators what is wrong with an offer. Works without JavaScript."""

    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=ListingReport.Reason.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you saw, what it should be. Needed if you chose “Something else”."),
    )
    email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        help_text=_("Only if the moderators may write to you about this report."),
    )
    # A trap for robots, which fill in every field: people never see it (the template
    # hides it). Filled in, the report is thanked for and thrown away.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == ListingReport.Reason.OTHER and not cleaned.get("message", "").strip():
            self.add_error("message", _("Please tell the moderators what is wrong."))
        return cleaned

    def is_from_a_robot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class StockAlertForm(forms.Form):
    """ "Tell me when it is here": where to write."""

    email = forms.EmailField(
        label=_("Your email"),
        max_length=254,
        help_text=_(
            "We send a confirmation link first; then one email when a shop around has it, and no other."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
