from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from marketplace.accounts import password_reset_allowed
from marketplace.login_guard import login_lockouts_lift
from marketplace.models import ModerationReason
from marketplace.services import email_queue_on_commit


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's "forgotten password" form, sending through the outbox like every other
    message (after commit, by a Celery task, never inline in the request), at most
    PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR links an hour to one account."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user, token = context["user"], context["token"]
        if not password_reset_allowed(user=user):
            return  # a few links an hour are plenty; more would be someone flooding the inbox
        language = translation.get_language() or settings.LANGUAGE_CODE
        link = settings.SITE_URL + reverse(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": token}
        )
        email_queue_on_commit(
            event_key=f"password-reset:{user.pk}:{token}",
            to=to_email,
            template="emails/password_reset",
            context={"user": user, "link": link},
            language=language,
        )


class ChoosePasswordForm(SetPasswordForm):
    """The page a new bookseller reaches from the approval email (and anyone from a
    password-reset email, or a customer from their sign-up link), laid out like the
    public site."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            # Whoever reads the account's email has just proven it: the lockouts of wrong
            # passwords tried on it (marketplace/login_guard.py) are lifted.
            login_lockouts_lift(username=user.email)
        return user


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
