"""Is the site up, and which of its parts answer: what /healthz says.

Two questions, two probes:

- **liveness**, `/healthz?live`: the process answers requests. Nothing else is asked, so
  an outage of PostgreSQL or Redis never gets a sound process restarted.
- **readiness**, `/healthz`: 200 while PostgreSQL answers, 503 when it does not (no page
  is served without it). The parts the site can lose for a while are reported in the
  body, never in the status: the cache (Redis), the broker (Redis) and the worker (its
  heartbeat). They are shared by every web process, so a 503 for them would take every
  process out of service at once, turning a partial outage (the pages that read the
  cache, emails sent late) into a total one (orders, the counter, the back office).

Every check runs in a thread of its own, all at once, and the answer waits for them at
most `CHECK_TIMEOUT`: a part that does not answer in time is reported down, and a probe
never hangs. The body names each part's state and, for a failure, the exception's class
alone: its message may hold a host, a user name or a URL.
"""

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import redis
from celery import current_app as celery_app  # config/celery.py's app, current once settings load
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import DurationField, ExpressionWrapper, F
from django.db.models.functions import Now

from marketplace.models import Heartbeat

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 0.5  # seconds, each check and all of them together
WORKER = "worker"
# Beat sends the heartbeat every minute (settings.CELERY_BEAT_SCHEDULE) and drops one
# not run within the minute: five missed in a row is no hiccup.
HEARTBEAT_MAX_AGE = timedelta(minutes=5)

OK = "ok"
DOWN = "down"
OFF = "off"  # not used by this deployment (no broker: tasks run in-process)

Result = dict[str, object]


def heartbeat_record(*, name: str = WORKER) -> None:
    """Stamp `name`'s heartbeat with the database's clock (readers compare with the same
    clock, so the web and worker hosts' clocks need not agree)."""
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, beat_at=Now())],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["beat_at"],
    )


# Anyone may ask /healthz, as often as they like, and each run of the checks opens
# connections of its own: a process runs them at most once a second, and a probe that
# comes meanwhile gets the same answer.
ANSWER_FRESH_FOR = 1.0
_answer_lock = threading.Lock()
_last_answer: tuple[float, tuple[int, dict]] | None = None


def readiness() -> tuple[int, dict]:
    """The HTTP status and the body of /healthz: every check, run at most once a second."""
    global _last_answer
    with _answer_lock:
        if _last_answer is None or time.monotonic() - _last_answer[0] >= ANSWER_FRESH_FOR:
            _last_answer = (time.monotonic(), verdict(run_checks(CHECKS, timeout=CHECK_TIMEOUT)))
        return _last_answer[1]


def forget_last_answer() -> None:
    """The next probe runs the checks (tests change the parts between two probes)."""
    global _last_answer
    with _answer_lock:
        _last_answer = None


def verdict(results: dict[str, Result]) -> tuple[int, dict]:
    """503 when the database does not answer; otherwise 200, "degraded" when another
    part is down. A part that is off (not used here) degrades nothing."""
    if results["database"]["status"] != OK:
        status, http_status = "down", 503
    elif any(result["status"] not in (OK, OFF) for result in results.values()):
        status, http_status = "degraded", 200
    else:
        status, http_status = "ok", 200
    return http_status, {"status": status, "checks": results}


def run_checks(checks: dict[str, Callable[[], Result]], *, timeout: float) -> dict[str, Result]:
    """Each check in a daemon thread, all at once; those still running after `timeout`
    are reported down. A stuck thread is left to its own socket timeouts: daemon, it
    holds back neither this answer nor the process's exit."""
    results: dict[str, Result] = {}
    threads = [
        threading.Thread(target=_run_one, args=(name, check, results), name=f"healthz-{name}", daemon=True)
        for name, check in checks.items()
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, started + timeout - time.monotonic()))
    return {
        name: dict(results.get(name) or {"status": DOWN, "error": "timeout", "ms": round(timeout * 1000)})
        for name in checks
    }


def _run_one(name: str, check: Callable[[], Result], results: dict[str, Result]) -> None:
    started = time.monotonic()
    try:
        result = check()
    except Exception as error:
        logger.warning("Health check %s failed: %s", name, error)
        result = {"status": DOWN, "error": type(error).__name__}
    finally:
        connections.close_all()  # this thread's own: it is about to end
    results[name] = {**result, "ms": round((time.monotonic() - started) * 1000)}


# --- The checks ------------------------------------------------------------------------


def check_database() -> Result:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": OK}


def check_cache() -> Result:
    """Redis is asked directly, with timeouts of our own: the site's cache client treats
    an unreachable Redis as an empty cache (marketplace/cache.py), which would hide the
    outage from the probe. Any other backend (local memory) is asked through Django."""
    config = settings.CACHES["default"]
    if not config["BACKEND"].endswith("RedisCache"):
        cache.get("healthz")
        return {"status": OK}
    location = config["LOCATION"]
    first = location[0] if isinstance(location, list | tuple) else re.split("[;,]", location)[0]
    _redis_ping(first)
    return {"status": OK}


def check_broker() -> Result:
    url = settings.CELERY_BROKER_URL
    if not url:
        return {"status": OFF}
    with celery_app.connection_for_write(
        url, connect_timeout=CHECK_TIMEOUT, transport_options={"socket_timeout": CHECK_TIMEOUT}
    ) as broker:
        broker.ensure_connection(max_retries=0)
    return {"status": OK}


def check_worker() -> Result:
    """Down when no periodic job has run on a worker for `HEARTBEAT_MAX_AGE`: the worker
    is stopped or stuck, beat is, or the broker loses what beat sends."""
    age = (
        Heartbeat.objects.filter(name=WORKER)
        .annotate(age=ExpressionWrapper(Now() - F("beat_at"), output_field=DurationField()))
        .values_list("age", flat=True)
        .first()
    )
    max_age = int(HEARTBEAT_MAX_AGE.total_seconds())
    if age is None:
        return {"status": DOWN, "heartbeat_age_s": None, "max_age_s": max_age}
    return {
        "status": OK if age <= HEARTBEAT_MAX_AGE else DOWN,
        "heartbeat_age_s": max(0, round(age.total_seconds())),
        "max_age_s": max_age,
    }


def _redis_ping(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker, "worker": check_worker}
