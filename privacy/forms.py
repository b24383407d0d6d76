"""What a person confirms before their data is erased."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that my data will be erased for good, and my account closed if I have one."),
        required=True,
    )


class AccountErasureForm(ErasureForm):
    """From the account: its password too, as for any change that cannot be undone."""

    password = forms.CharField(label=_("Your password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.order_fields(["password", "confirm"])

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        return password


class HeadOfficeRequestForm(forms.Form):
    """A request received by post: the address it is about, and what to do."""

    email = forms.EmailField(label=_("The person's email address"))
    kind = forms.ChoiceField(
        label=_("Request"),
        choices=[("export", _("Download their data")), ("erasure", _("Erase their data"))],
        widget=forms.RadioSelect,
    )
