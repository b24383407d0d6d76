"""/healthz: 200 while PostgreSQL answers, 503 when it does not; the cache, the broker and
the worker's heartbeat reported in the body; every answer within a second, whatever
hangs; `?live` asks nothing at all."""

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import yaml
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from marketplace import health
from marketplace.models import Heartbeat
from marketplace.tasks import record_worker_heartbeat
from tests.conftest import REPO_DIR

# The checks run in threads of their own, with connections of their own: they see only
# what is committed.
pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cret-in-the-url"


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port():
    """A local port that accepts connections and never says a word: a hung server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(autouse=True)
def _fresh_answers():
    """Each probe of a test runs the checks: the parts change between them."""
    health.forget_last_answer()
    yield
    health.forget_last_answer()


def probe(client):
    health.forget_last_answer()
    started = time.monotonic()
    response = client.get("/healthz")
    return response, time.monotonic() - started


def redis_cache_at(url):
    return override_settings(CACHES={"default": {"BACKEND": "marketplace.cache.RedisCache", "LOCATION": url}})


def test_with_every_part_up_it_answers_ok(client, redis_cache, broker_url):
    record_worker_heartbeat.delay()

    response, _seconds = probe(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "cache": "ok",
        "broker": "ok",
        "worker": "ok",
    }
    assert body["checks"]["worker"]["heartbeat_age_s"] <= 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_liveness_asks_nothing_of_the_other_parts(client, monkeypatch):
    def fail():
        raise AssertionError("liveness must not run the checks")

    monkeypatch.setattr(health, "readiness", fail)

    response = client.get("/healthz?live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_a_cache_that_refuses_connections_is_reported_down_and_the_site_stays_in_service(
    client, closed_port, broker_url
):
    health.heartbeat_record()

    with redis_cache_at(f"redis://127.0.0.1:{closed_port}/1"):
        response, seconds = probe(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["cache"] == {
        "status": "down",
        "error": "ConnectionError",
        "ms": body["checks"]["cache"]["ms"],
    }
    assert body["checks"]["database"]["status"] == "ok"
    assert seconds < 1


def test_a_cache_that_never_answers_is_reported_down_within_a_second(client, silent_port):
    with redis_cache_at(f"redis://127.0.0.1:{silent_port}/1"):
        response, seconds = probe(client)

    assert response.status_code == 200
    assert response.json()["checks"]["cache"]["status"] == "down"
    assert seconds < 1


def test_a_broker_that_refuses_connections_is_reported_down_and_the_site_stays_in_service(
    client, closed_port
):
    health.heartbeat_record()

    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{closed_port}/0"):
        response, seconds = probe(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "down"
    assert body["checks"]["database"]["status"] == "ok"
    assert seconds < 1


def test_a_broker_that_never_answers_is_reported_down_within_a_second(client, silent_port):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{silent_port}/0"):
        response, seconds = probe(client)

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["status"] == "down"
    assert seconds < 1


def test_without_a_broker_tasks_run_in_process_and_nothing_is_degraded(client):
    health.heartbeat_record()

    local_memory = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CELERY_BROKER_URL="", CACHES=local_memory):
        response, _seconds = probe(client)

    assert response.json()["checks"]["broker"]["status"] == "off"
    assert response.json()["status"] == "ok"


def test_a_stale_heartbeat_reports_the_worker_down(client):
    Heartbeat.objects.create(name=health.WORKER, beat_at=timezone.now() - timedelta(minutes=6))

    response, _seconds = probe(client)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker"]["status"] == "down"
    assert 355 <= body["checks"]["worker"]["heartbeat_age_s"] <= 365
    assert body["checks"]["worker"]["max_age_s"] == 300


def test_a_worker_that_never_beat_is_down(client):
    response, _seconds = probe(client)

    assert response.json()["checks"]["worker"] == {
        "status": "down",
        "heartbeat_age_s": None,
        "max_age_s": 300,
        "ms": response.json()["checks"]["worker"]["ms"],
    }


def test_beat_sends_the_heartbeat_every_minute_and_drops_a_late_one():
    entry = settings.CELERY_BEAT_SCHEDULE["record-worker-heartbeat"]

    assert entry["task"] == record_worker_heartbeat.name
    assert entry["schedule"] == 60.0
    assert entry["options"] == {"expire_seconds": 60}
    assert timedelta(seconds=entry["schedule"]) * 5 == health.HEARTBEAT_MAX_AGE


def test_each_beat_moves_the_same_heartbeat_forward():
    Heartbeat.objects.create(name=health.WORKER, beat_at=timezone.now() - timedelta(hours=1))

    record_worker_heartbeat.delay()
    record_worker_heartbeat.delay()

    beat = Heartbeat.objects.get()
    assert timezone.now() - beat.beat_at < timedelta(seconds=5)


def test_the_body_shows_no_address_and_no_password(client, closed_port):
    with (
        redis_cache_at(f"redis://:{PASSWORD}@127.0.0.1:{closed_port}/1"),
        override_settings(CELERY_BROKER_URL=f"redis://:{PASSWORD}@127.0.0.1:{closed_port}/0"),
    ):
        response, _seconds = probe(client)

    text = response.content.decode()
    assert response.json()["checks"]["cache"]["status"] == "down"
    assert PASSWORD not in text
    assert str(closed_port) not in text
    assert "127.0.0.1" not in text


# --- PostgreSQL down: the server cannot be taken from the test process, so a process of
# its own is given a database that refuses, or one that never answers.

PROBE_IN_A_PROCESS = """
import json, time
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
started = time.monotonic()
response = Client().get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json(), "seconds": time.monotonic() - started}))
"""


def probe_with_database_at(port: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres:{PASSWORD}@127.0.0.1:{port}/drive_solidaire",
        "CACHE_URL": "locmemcache://",
        "CELERY_BROKER_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE_IN_A_PROCESS],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_database_that_refuses_connections_takes_the_site_out_of_service(closed_port):
    answer = probe_with_database_at(closed_port)

    assert answer["status"] == 503
    assert answer["body"]["status"] == "down"
    assert answer["body"]["checks"]["database"]["status"] == "down"
    assert answer["body"]["checks"]["cache"]["status"] == "ok"
    assert answer["seconds"] < 1
    assert PASSWORD not in json.dumps(answer["body"])


def test_a_database_that_never_answers_takes_the_site_out_of_service_within_a_second(silent_port):
    answer = probe_with_database_at(silent_port)

    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"] == {"status": "down", "error": "timeout", "ms": 500}
    assert answer["seconds"] < 1


# --- The decision, part by part


def checks(**statuses):
    parts = {"database": "ok", "cache": "ok", "broker": "ok", "worker": "ok", **statuses}
    return {name: {"status": status} for name, status in parts.items()}


@pytest.mark.parametrize(
    ("statuses", "http_status", "status"),
    [
        ({}, 200, "ok"),
        ({"broker": "off"}, 200, "ok"),
        ({"cache": "down"}, 200, "degraded"),
        ({"broker": "down"}, 200, "degraded"),
        ({"worker": "down"}, 200, "degraded"),
        ({"cache": "down", "broker": "down", "worker": "down"}, 200, "degraded"),
        ({"database": "down"}, 503, "down"),
        ({"database": "down", "cache": "down"}, 503, "down"),
    ],
)
def test_only_the_database_decides_whether_the_site_is_in_service(statuses, http_status, status):
    assert health.verdict(checks(**statuses)) == (
        http_status,
        {"status": status, "checks": checks(**statuses)},
    )


def test_a_flood_of_probes_runs_the_checks_once_a_second(client, monkeypatch):
    runs = []
    real_run_checks = health.run_checks
    monkeypatch.setattr(
        health, "run_checks", lambda *args, **kwargs: runs.append(1) or real_run_checks(*args, **kwargs)
    )

    answers = [client.get("/healthz").json() for _ in range(20)]
    time.sleep(health.ANSWER_FRESH_FOR)
    client.get("/healthz")

    assert len(runs) == 2
    assert all(answer == answers[0] for answer in answers)


def test_a_check_that_hangs_is_reported_down_at_the_deadline():
    started = time.monotonic()

    results = health.run_checks(
        {"quick": lambda: {"status": "ok"}, "stuck": lambda: time.sleep(5) or {"status": "ok"}}, timeout=0.2
    )

    assert time.monotonic() - started < 0.5
    assert results["quick"]["status"] == "ok"
    assert results["stuck"] == {"status": "down", "error": "timeout", "ms": 200}


def test_a_check_that_fails_names_the_error_and_nothing_else():
    def refuse():
        raise ConnectionRefusedError(f"cannot reach redis://:{PASSWORD}@cache.internal:6379")

    results = health.run_checks({"cache": refuse}, timeout=0.5)

    assert results["cache"]["status"] == "down"
    assert results["cache"]["error"] == "ConnectionRefusedError"
    assert PASSWORD not in json.dumps(results)


def test_docker_compose_probes_readiness():
    compose = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
    probe_command = " ".join(compose["services"]["web"]["healthcheck"]["test"])

    assert "http://127.0.0.1:8000/healthz'" in probe_command  # readiness: not ?live
    assert "timeout=" in probe_command
