from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.models import ModerationReason


class DecisionReasonForm(forms.Form):
    """The reason a moderator gives a shop with a decision: a ready-made text picked from
    the editable list (ModerationReason), words of their own, or both (the ready-made
    text first). `reason_text` in cleaned_data is what the shop reads."""

    template = forms.ModelChoiceField(
        queryset=ModerationReason.objects.none(),
        required=False,
        label=_("Ready-made reason"),
        empty_label=_("— none —"),
    )
    reason = forms.CharField(
        label=_("Your words"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=2000,
    )

    def __init__(self, *args, applies_to: str, reason_required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_required = reason_required
        self.fields["template"].queryset = ModerationReason.objects.filter(
            applies_to=applies_to, is_active=True
        )
        if not self.fields["template"].queryset.exists():
            del self.fields["template"]
        if reason_required:
            self.fields["reason"].help_text = _(
                "Sent to the shop by email, after the ready-made reason if you picked one. Be precise and polite."
            )
        else:
            self.fields["reason"].label = _("Note (optional)")
            self.fields["reason"].help_text = _("Kept in the shop's history and included in the email.")

    def clean(self):
        cleaned = super().clean()
        template = cleaned.get("template")
        parts = [template.text.strip() if template else "", cleaned.get("reason", "").strip()]
        cleaned["reason_text"] = "\n\n".join(part for part in parts if part)
        if self.reason_required and not cleaned["reason_text"] and not self.errors:
            # Said next to the field the moderator types in.
            self.add_error(
                "reason",
                forms.ValidationError(
                    _("Pick a ready-made reason or write one: the shop will read it."), code="reason_required"
                ),
            )
        return cleaned
