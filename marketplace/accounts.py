"""Accounts anyone can ask about without logging in: sign-up and password reset.

Neither says whether an email address has an account: the page shown and the time taken
are the same either way, and what differs goes by email, to the address's owner only.
- Sign-up creates an inactive account and emails a confirmation link; an address that
  already has an account gets an email saying so (with links to log in or choose a new
  password) instead. An account nobody confirms within SIGNUP_CONFIRMATION_DAYS is
  deleted by a periodic job (`accounts_delete_unconfirmed`).
- Password reset emails at most PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR links to one account
  (the others are dropped silently: saying so would tell who has an account).
Both are also limited per client address (the views), so that nobody can use them to
send mail to others in bulk.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace import rate_limits
from marketplace.services import email_queue_on_commit

logger = logging.getLogger(__name__)

SIGNUP_SALT = "marketplace.accounts.signup"
DELETE_BATCH_SIZE = 200


class SignupLinkRefused(Exception):
    """The confirmation link cannot be used; the message says why, for people."""


@dataclass(frozen=True)
class SignupRequest:
    first_name: str
    last_name: str
    email: str
    password: str
    language: str
    next_url: str = ""


def signup_request(*, request: SignupRequest) -> None:
    """Create the (inactive) account and email its confirmation link, or tell an existing
    account's owner by email. Says nothing back: the caller shows the same page."""
    User = get_user_model()
    email = User.objects.normalize_email(request.email).strip()
    if not _within(
        scope="signup-emails", who=email.lower(), per_hour=settings.SIGNUP_EMAILS_PER_RECIPIENT_PER_HOUR
    ):
        logger.info("Sign-up: too many emails to one address this hour; none sent.")
        make_password(request.password)  # the same work as the other paths
        return
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email__iexact=email).first()
        if existing is not None and existing.is_active:
            make_password(request.password)  # the same work as creating an account
            _queue_already_registered(existing, language=request.language)
            return
        user = existing or User(email=email)
        user.first_name, user.last_name = request.first_name.strip(), request.last_name.strip()
        user.preferred_language = request.language
        user.is_active = False
        user.awaiting_confirmation_since = timezone.now()
        user.set_password(request.password)
        user.save()
        _queue_confirmation(user, next_url=request.next_url)


def signup_link(*, user, next_url: str = "") -> str:
    with translation.override(user.preferred_language):
        path = reverse("customer_signup_confirm", args=[_sign(user, next_url)])
    return f"{settings.SITE_URL}{path}"


def signup_link_verify(*, signed: str):
    """The inactive account and where to go after, from a confirmation link; raises
    SignupLinkRefused when the link is damaged, too old, or already used."""
    try:
        payload = signing.loads(
            signed, salt=SIGNUP_SALT, max_age=timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS)
        )
    except signing.SignatureExpired:
        raise SignupLinkRefused(_("This link has expired. Please sign up again.")) from None
    except signing.BadSignature:
        raise SignupLinkRefused(_("This link is damaged. Copy the whole link from the email.")) from None
    user = (
        get_user_model()
        .objects.filter(pk=payload.get("user"), email__iexact=payload.get("email", ""))
        .first()
    )
    if user is None:
        raise SignupLinkRefused(_("This link has expired. Please sign up again."))
    if user.is_active:
        raise SignupLinkRefused(_("Your account is already confirmed: log in."))
    return user, payload.get("next", "")


def signup_confirm(*, user):
    """Activate the account of a confirmation link (once; a second time changes nothing)."""
    User = get_user_model()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            locked.is_active = True
            locked.awaiting_confirmation_since = None
            locked.save(update_fields=["is_active", "awaiting_confirmation_since"])
    return locked


def accounts_delete_unconfirmed(*, now=None) -> int:
    """Delete the sign-ups nobody confirmed in time: accounts still inactive and awaiting
    their confirmation past SIGNUP_CONFIRMATION_DAYS (no other account is ever touched).
    Idempotent; two runs at once skip each other's rows. Returns how many it deleted."""
    now = now or timezone.now()
    deadline = now - timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS)
    User = get_user_model()
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                User.objects.filter(is_active=False, awaiting_confirmation_since__lt=deadline)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:DELETE_BATCH_SIZE]
            )
            for user in batch:
                user.delete()
        deleted += len(batch)
        if len(batch) < DELETE_BATCH_SIZE:
            return deleted


def password_reset_allowed(*, user) -> bool:
    """Whether one more reset link may go to `user` this hour (counted here)."""
    return _within(scope="password-reset-account", who=str(user.pk),
                   per_hour=settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR)  # fmt: skip


def _within(*, scope: str, who: str, per_hour: int) -> bool:
    return rate_limits.hit(scope=scope, who=who, rate=rate_limits.Rate(per_hour, 3600)).allowed


def _sign(user, next_url: str) -> str:
    return signing.dumps({"user": user.pk, "email": user.email, "next": next_url}, salt=SIGNUP_SALT)


def _queue_confirmation(user, *, next_url: str) -> None:
    # One message per link drawn: asking again sends a new link (within the limits).
    email_queue_on_commit(
        event_key=f"signup:{user.pk}:{timezone.now().timestamp()}",
        to=user.email,
        template="emails/accounts/signup_confirm",
        context={"user": user, "link": signup_link(user=user, next_url=next_url),
                 "days": settings.SIGNUP_CONFIRMATION_DAYS},
        language=user.preferred_language,
    )  # fmt: skip


def _queue_already_registered(user, *, language: str) -> None:
    with translation.override(language):
        login, reset = reverse("customer_login"), reverse("admin_password_reset")
    email_queue_on_commit(
        event_key=f"signup-existing:{user.pk}:{timezone.now().timestamp()}",
        to=user.email,
        template="emails/accounts/signup_existing",
        context={"user": user, "login_link": f"{settings.SITE_URL}{login}",
                 "reset_link": f"{settings.SITE_URL}{reset}"},
        language=language,
    )  # fmt: skip
