"""Accounts anyone can ask about without logging in: sign-up and password reset.

Neither says whether an email address has an account: the page shown is the same either
way, and what differs goes by email, to the address's owner only.
- Sign-up asks for a name and an email, and emails a link; the password is chosen on the
  link's page, so nobody sets one for an address they do not read. An address that
  already has an account (active or not, customer or staff) gets an email saying so,
  with links to log in or choose a new password, and nothing about that account changes.
  A sign-up nobody confirms within SIGNUP_CONFIRMATION_DAYS is deleted by a periodic job
  (`accounts_delete_unconfirmed`), which touches no other account.
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
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from marketplace import rate_limits
from marketplace.services import email_queue_on_commit

logger = logging.getLogger(__name__)

SIGNUP_SALT = "marketplace.accounts.signup"  # as when this lived in marketplace: links sent stay valid
DELETE_BATCH_SIZE = 200


class SignupLinkRefused(Exception):
    """The confirmation link cannot be used; the message says why, for people."""


@dataclass(frozen=True)
class SignupRequest:
    first_name: str
    last_name: str
    email: str
    language: str
    next_url: str = ""


def signup_request(*, request: SignupRequest) -> None:
    """Email a confirmation link for a new account (created inactive, without a
    password), or tell an existing account's owner by email. Says nothing back: the
    caller shows the same page."""
    User = get_user_model()
    email = User.objects.normalize_email(request.email).strip()
    if not _within(
        scope="signup-emails", who=email.lower(), per_hour=settings.SIGNUP_EMAILS_PER_RECIPIENT_PER_HOUR
    ):
        logger.info("Sign-up: too many emails to one address this hour; none sent.")
        return
    with transaction.atomic():
        user = _pending_or_new(User, email=email, request=request)
        if user.awaiting_confirmation_since is None:
            _queue_already_registered(user, language=request.language)
        else:
            # A sign-up asked again gets a new link; the account itself stays as it was.
            _queue_confirmation(user, next_url=request.next_url)


def _pending_or_new(User, *, email: str, request: SignupRequest):
    existing = User.objects.select_for_update().filter(email__iexact=email).first()
    if existing is not None:
        return existing
    user = User(
        email=email,
        first_name=request.first_name.strip(),
        last_name=request.last_name.strip(),
        preferred_language=request.language,
        is_active=False,
        awaiting_confirmation_since=timezone.now(),
    )
    user.set_unusable_password()  # chosen on the confirmation link's page
    try:
        with transaction.atomic():  # a savepoint: the same address signed up at the same moment
            user.save()
    except IntegrityError:
        return User.objects.select_for_update().get(email__iexact=email)
    return user


def signup_link(*, user, next_url: str = "") -> str:
    with translation.override(user.preferred_language):
        path = reverse("customer_signup_confirm", args=[_sign(user, next_url)])
    return f"{settings.SITE_URL}{path}"


def signup_link_verify(*, signed: str):
    """The account waiting for confirmation and where to go after, from a confirmation
    link; raises SignupLinkRefused when the link is damaged, too old, or already used."""
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
    if user.awaiting_confirmation_since is None:
        raise SignupLinkRefused(_("Your account is already confirmed: log in."))
    return user, payload.get("next", "")


def signup_confirm(*, user, password: str):
    """Give the account of a confirmation link its password and open it (once: a second
    time, with the account already open, changes nothing)."""
    User = get_user_model()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.awaiting_confirmation_since is not None:
            locked.set_password(password)
            locked.is_active = True
            locked.awaiting_confirmation_since = None
            locked.save(update_fields=["password", "is_active", "awaiting_confirmation_since"])
    return locked


def accounts_delete_unconfirmed(*, now=None) -> int:
    """Delete the sign-ups nobody confirmed in time: accounts created by sign-up, still
    waiting for their confirmation past SIGNUP_CONFIRMATION_DAYS, never logged in, not
    staff. No other account is ever touched. Idempotent; two runs at once skip each
    other's rows. Returns how many it deleted."""
    now = now or timezone.now()
    deadline = now - timedelta(days=settings.SIGNUP_CONFIRMATION_DAYS)
    User = get_user_model()
    deleted, kept = 0, set()
    while True:
        with transaction.atomic():
            batch = list(
                User.objects.filter(
                    awaiting_confirmation_since__lt=deadline,
                    is_active=False,
                    is_staff=False,
                    last_login__isnull=True,
                )
                .exclude(pk__in=kept)
                .select_for_update(skip_locked=True)
                .order_by("pk")[:DELETE_BATCH_SIZE]
            )
            for user in batch:
                try:
                    with transaction.atomic():  # a savepoint: one account kept spares the others
                        user.delete()
                except ProtectedError:
                    logger.warning("Unconfirmed account %s is referenced: kept.", user.pk)
                    kept.add(user.pk)
                else:
                    deleted += 1
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
