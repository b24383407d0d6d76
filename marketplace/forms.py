from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.urls import reverse
from django.utils import translation

from marketplace.services import email_queue_on_commit


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's "forgotten password" form, sending through the outbox like every other
    message (after commit, by a Celery task, never inline in the request)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        user, token = context["user"], context["token"]
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
    password-reset email), laid out like the public site."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
