"""Forms of people's accounts: customers' log-in and sign-up, and the password pages
everyone shares (forgotten password, choosing one from an emailed link)."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.services import password_reset_allowed
from marketplace.login_guard import login_lockouts_lift
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


class CustomerLoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.input_type = "email"
        self.fields["username"].widget.attrs.update({"autocomplete": "email"})


class CustomerSignupForm(forms.Form):
    """A customer account: their orders in one place, their details filled in. The
    password is chosen on the page of the emailed link (accounts/services.py).

    A plain form, not a ModelForm: a ModelForm would check that the email is not taken
    and say so, which tells anyone who has an account."""

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,  # the column's length; a longer (valid) address would not fit
        help_text=_("We send a link there: you choose your password on its page."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
