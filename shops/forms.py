import re

from django import forms
from django.template.defaultfilters import date as format_date
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from marketplace.forms import DecisionReasonForm
from marketplace.models import ModerationReason
from shops.models import Drive, Shop, ShopKind
from shops.selectors import drives_nearest, localities_for_postcode, locality_matching
from shops.services import RESUBMITTABLE_FIELDS
from shops.validators import normalize_siret, validate_siret

POSTCODE_PATTERN = re.compile(r"^\d{5}$")
PHONE_ERROR = _("Enter a valid phone number, for example 02 97 64 12 34 or +33 2 97 64 12 34.")
SUGGESTED_DRIVES = 5
# A shop joins drives its customers can reach: farther than this, a drive is not offered.
SUGGESTED_DRIVES_MAX_KM = 60


def french_phone_field(**kwargs) -> PhoneNumberField:
    return PhoneNumberField(region="FR", error_messages={"invalid": PHONE_ERROR}, **kwargs)


class ShopApplicationForm(forms.ModelForm):
    """A local shop's application to join the marketplace."""

    @property
    def sent_by_a_robot(self) -> bool:
        return bool(self.cleaned_data.get("homepage"))

    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,  # people type spaces: "123 456 789 00012"
        help_text=_("14 digits, on your Kbis extract."),
    )
    phone = french_phone_field(label=_("Shop phone"))
    contact_phone = french_phone_field(label=_("Contact's phone"), required=False, help_text=_("Optional."))
    website = forms.URLField(
        label=_("Website"), required=False, assume_scheme="https", help_text=_("Optional.")
    )
    # A field people never see (hidden by the style sheet, skipped by the keyboard and by
    # screen readers) and robots fill in: an application with it filled is dropped.
    homepage = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    kinds = forms.ModelMultipleChoiceField(
        label=_("Your shop is"),
        queryset=ShopKind.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick what your shop is: a bookshop, a games and toys shop…")},
        help_text=_("One or more."),
    )
    drives = forms.ModelMultipleChoiceField(
        label=_("Drives you want to join"),
        queryset=Drive.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The drives nearest to your shop. Customers of these drives will see your books."),
    )

    class Meta:
        model = Shop
        fields = [
            "trade_name",
            "legal_name",
            "siret",
            "address",
            "postcode",
            "town",
            "phone",
            "email",
            "website",
            "description",
            "logo",
            "contact_first_name",
            "contact_last_name",
            "contact_email",
            "contact_phone",
        ]
        labels = {"email": _("Shop email")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
            "town": forms.TextInput(attrs={"autocomplete": "address-level2", "list": "towns"}),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "contact_first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "contact_last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        help_texts = {
            "logo": _("Optional. JPEG, PNG or WebP, up to 2 MB."),
            "description": _("Optional. A few lines for customers: your specialities, your events…"),
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        postcode = (self.data.get("postcode") if self.is_bound else self.initial.get("postcode")) or ""
        self.suggested_drives = drives_near_postcode(postcode.strip())
        self.towns_for_postcode = towns_of_postcode(postcode.strip())
        self.fields["drives"].queryset = Drive.objects.filter(
            pk__in=[drive.pk for drive in self.suggested_drives]
        )
        if not self.is_bound and self.suggested_drives and "drives" not in self.initial:
            self.initial["drives"] = [self.suggested_drives[0].pk]

    @property
    def selected_drive_ids(self) -> set[int]:
        return {int(value) for value in self["drives"].value() or [] if str(value).isdigit()}

    def clean_siret(self):
        siret = normalize_siret(self.cleaned_data["siret"])
        validate_siret(siret)
        existing = Shop.objects.filter(siret=siret).first()
        if existing is not None:
            raise forms.ValidationError(duplicate_siret_message(existing), code="siret_taken")
        return siret

    def clean_postcode(self):
        postcode = self.cleaned_data["postcode"].strip()
        if not POSTCODE_PATTERN.match(postcode):
            raise forms.ValidationError(
                _("A French postcode has 5 digits, for example 56100."), code="postcode_format"
            )
        if not localities_for_postcode(postcode):
            raise forms.ValidationError(
                _("We do not know the postcode %(postcode)s. Please check it."),
                code="postcode_unknown",
                params={"postcode": postcode},
            )
        return postcode

    def clean(self):
        cleaned = super().clean()
        postcode, town = cleaned.get("postcode"), cleaned.get("town", "")
        if postcode and town:
            locality = locality_matching(postcode, town)
            if locality is None:
                self.add_error(
                    "town",
                    forms.ValidationError(
                        _("%(town)s is not served by postcode %(postcode)s, which covers: %(towns)s."),
                        code="town_mismatch",
                        params={
                            "town": town,
                            "postcode": postcode,
                            "towns": ", ".join(towns_of_postcode(postcode)),
                        },
                    ),
                )
            else:
                self.instance.latitude = locality.latitude
                self.instance.longitude = locality.longitude
        return cleaned


def duplicate_siret_message(shop: Shop) -> str:
    """Tell a second applicant where the first application stands, without revealing
    who made it."""
    applied_on = format_date(shop.created_at, "DATE_FORMAT")
    if shop.status == Shop.Status.PENDING:
        return _(
            "An application for this SIRET number was received on %(date)s and is being reviewed. "
            "We will write to the contact person given in it."
        ) % {"date": applied_on}
    if shop.status == Shop.Status.REJECTED:
        return _(
            "An application for this SIRET number was turned down. To correct it and send it again, "
            "use the link in the email we sent then."
        )
    return _(
        "This business is already on Drive Solidaire. Its owner can log in to the bookseller space "
        "and add you to the team."
    )


def drives_near_postcode(postcode: str) -> list[Drive]:
    if not POSTCODE_PATTERN.match(postcode):
        return []
    localities = localities_for_postcode(postcode)
    if not localities:
        return []
    return drives_nearest(
        latitude=localities[0].latitude,
        longitude=localities[0].longitude,
        limit=SUGGESTED_DRIVES,
        max_km=SUGGESTED_DRIVES_MAX_KM,
    )


def towns_of_postcode(postcode: str) -> list[str]:
    if not POSTCODE_PATTERN.match(postcode):
        return []
    return sorted({locality.name for locality in localities_for_postcode(postcode)})


class ShopDecisionForm(DecisionReasonForm):
    """A reviewer's decision on a shop (admin decision pages; `shop` is None for a bulk
    decision): the reason, picked from the ready-made ones or typed; `service_arguments`
    adds what a decision asks beyond it."""

    def __init__(self, *args, shop: Shop | None, reason_required: bool, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(
            *args, applies_to=ModerationReason.AppliesTo.SHOP, reason_required=reason_required, **kwargs
        )
        self.shop = shop

    def service_arguments(self) -> dict:
        return {}

    def outcome_message(self) -> str:
        """What the reviewer is told besides the decision itself."""
        return ""


class ShopResubmissionForm(ShopApplicationForm):
    """A rejected application, corrected by its applicant (the link in the rejection
    email). The SIRET identifies the business the application is about: shown, not changed."""

    siret = None
    kinds = None  # kept as applied; head office corrects them on the shop's page
    note = forms.CharField(
        label=_("What you changed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=1000,
        help_text=_("Optional. A word for the team who reads your application again."),
    )

    class Meta(ShopApplicationForm.Meta):
        fields = list(RESUBMITTABLE_FIELDS)
