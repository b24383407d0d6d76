"""Password guessing, stopped at every log-in form (the bookseller space's and the
customers').

- django-axes counts wrong passwords per account *and* client address (AccessAttempt):
  after AXES_FAILURE_LIMIT of them that client may not log in to that account for
  AXES_COOLOFF_TIME, even with the right password (each new try during the lockout
  starts it again). Someone elsewhere, the account's owner included, is not locked out.
  Head office unlocks in the admin ("Login lockouts").
- One client address trying many accounts (a list of leaked passwords) is refused
  after LOGIN_FAILURES_PER_ADDRESS_PER_HOUR wrong passwords in the hour, whatever the
  accounts.
- Both counts are made without a race: the attempts of one account and of one address
  take a transaction-level advisory lock each (address, then account: always in that
  order) and run one after the other, so twenty wrong passwords sent at once are checked
  one by one, and the sixth already finds the account locked. axes alone checks the
  lockout before the password and records the failure after: requests in flight together
  would all be checked.
"""

from datetime import timedelta
from functools import wraps

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import OperationalError, transaction
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.locking import advisory_xact_lock, lock_timeout, lock_wait_failed

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"
BUSY_TEMPLATE = "registration/login_busy.html"
LOGIN_FAILED_FLAG = "_drive_solidaire_login_failed"
# How long an attempt waits for the others of its account or client (PostgreSQL's
# lock_timeout): someone flooding an account's log-in must not hold workers for ever.
WAIT_FOR_OTHER_ATTEMPTS = "5s"
KEEP_FOR = timedelta(days=1)


def login_username(request, credentials=None) -> str:
    """AXES_USERNAME_CALLABLE: the account as typed, normalised like log-in does (emails
    are case-insensitive): "Yann@Shop.fr " and "yann@shop.fr" are one account's attempts."""
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username", "") if request is not None else ""
    # NUL characters: PostgreSQL refuses them in text (the form refuses such a name too).
    return str(typed).replace("\x00", "").strip().lower()[:254]


def address_failures_rate() -> rate_limits.Rate:
    return rate_limits.Rate(settings.LOGIN_FAILURES_PER_ADDRESS_PER_HOUR, 3600)


def guarded_login(view):
    """Wrap a log-in view: its POSTs run one at a time per address and per account, and
    an address past its hourly failures gets the lockout page without any check."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        address = client_key(request)
        try:
            with transaction.atomic():
                _wait_for_other_attempts(
                    f"login:address:{address}", f"login:account:{login_username(request)}"
                )
                failures = rate_limits.count(
                    scope="login-failures", who=address, rate=address_failures_rate()
                )
                if failures >= settings.LOGIN_FAILURES_PER_ADDRESS_PER_HOUR:
                    return locked_out_page(request)
                response = view(request, *args, **kwargs)
                # Told by authenticate() itself (user_login_failed, below): a person already
                # logged in who tries other accounts is counted like anyone else.
                if getattr(request, LOGIN_FAILED_FLAG, False):
                    rate_limits.hit(scope="login-failures", who=address, rate=address_failures_rate())
                return response
        except OperationalError as error:
            if not lock_wait_failed(error):
                raise
            # Many attempts at the same account or from the same client right now: they
            # queue for at most WAIT_FOR_OTHER_ATTEMPTS, then this one is asked to retry.
            response = render(request, BUSY_TEMPLATE, status=503)
            response["Retry-After"] = "5"
            return response

    return wrapper


@receiver(user_login_failed)
def _mark_the_request(sender, credentials, request=None, **kwargs):
    if request is not None:
        setattr(request, LOGIN_FAILED_FLAG, True)


def locked_out_page(request, *args, **kwargs):
    """The page of a client that may not log in for now: past the address's failures
    here, and axes' own lockout answer (AXES_LOCKOUT_CALLABLE)."""
    return render(
        request,
        LOCKED_OUT_TEMPLATE,
        {"cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def _wait_for_other_attempts(*keys: str) -> None:
    """Queue behind the other attempts sharing `keys` (the tests replace it to show the race)."""
    lock_timeout(WAIT_FOR_OTHER_ATTEMPTS)
    advisory_xact_lock(*keys)


def login_lockouts_lift(*, username: str) -> int:
    """Forget the wrong passwords tried on an account, from every client (its owner just
    chose a new password from their email). Returns how many counts it deleted."""
    deleted, _by_model = AccessAttempt.objects.filter(
        username=login_username(None, {"username": username})
    ).delete()
    return deleted


def login_failures_forget_expired(*, now=None) -> int:
    """Delete the wrong-password counts whose lockout is over (a day later: head office
    may still look at them): the job that ends the "locked out" waiting state, should
    nobody log in again to clear it. Returns how many it deleted."""
    now = now or timezone.now()
    expired = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME - KEEP_FOR)
    deleted, _by_model = expired.delete()
    return deleted
