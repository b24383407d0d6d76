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
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone

from marketplace import rate_limits
from marketplace.client_address import client_key
from marketplace.locking import advisory_xact_lock

LOCKED_OUT_TEMPLATE = "registration/locked_out.html"
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
        with transaction.atomic():
            _wait_for_other_attempts(f"login:address:{address}")
            _wait_for_other_attempts(f"login:account:{login_username(request)}")
            failures = rate_limits.count(scope="login-failures", who=address, rate=address_failures_rate())
            if failures >= settings.LOGIN_FAILURES_PER_ADDRESS_PER_HOUR:
                return locked_out_page(request)
            response = view(request, *args, **kwargs)
            if not request.user.is_authenticated:
                rate_limits.hit(scope="login-failures", who=address, rate=address_failures_rate())
            return response

    return wrapper


def locked_out_page(request, *args, **kwargs):
    """The page of a client that may not log in for now (axes' AXES_LOCKOUT_TEMPLATE
    says the same, with the same status)."""
    return render(
        request,
        LOCKED_OUT_TEMPLATE,
        {"cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def _wait_for_other_attempts(key: str) -> None:
    advisory_xact_lock(key)


def login_failures_forget_expired(*, now=None) -> int:
    """Delete the wrong-password counts whose lockout is over (a day later: head office
    may still look at them): the job that ends the "locked out" waiting state, should
    nobody log in again to clear it. Returns how many it deleted."""
    now = now or timezone.now()
    expired = AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME - KEEP_FOR)
    deleted, _by_model = expired.delete()
    return deleted
