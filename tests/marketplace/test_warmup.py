"""Each web worker warms up before its first request (config/warmup.py, called by
gunicorn.conf.py), and starts whatever fails meanwhile."""

import logging
import os
import runpy
import socket
import subprocess
import time
import urllib.request

import pytest
from django.db import OperationalError, connections
from django.template import engines

from config import warmup
from tests.conftest import REPO_DIR


@pytest.mark.django_db
def test_the_warm_up_compiles_the_pages_and_opens_the_connections():
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()

    done = warmup.warm_up()

    assert done == dict.fromkeys(warmup.STEPS, True)
    assert "catalog/search.html" in loader.get_template_cache
    assert connections["default"].connection is not None


@pytest.mark.django_db
def test_a_database_that_does_not_answer_does_not_stop_the_warm_up(monkeypatch, caplog):
    connection = connections["default"]
    options_before = dict(connection.settings_dict.get("OPTIONS", {}))

    def refused():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refused)
    with caplog.at_level(logging.WARNING, logger="config.warmup"):
        done = warmup.warm_up()

    assert done["database"] is False
    assert done["templates"]
    assert done["translations and URLs"]
    assert "Warm-up: database failed" in caplog.text
    assert (
        connection.settings_dict.get("OPTIONS", {}) == options_before
    )  # its connect timeout was only for this


def test_gunicorn_warms_each_worker_up(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda: calls.append("warm-up"))

    hooks = runpy.run_path(str(REPO_DIR / "gunicorn.conf.py"))
    hooks["post_worker_init"](worker=None)

    assert calls == ["warm-up"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_worker_starts_and_answers_when_the_database_is_down():
    port, nobody_listens = free_port(), free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "warm-up-test-" + "x" * 40, "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false", "CACHE_URL": "locmemcache://",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{nobody_listens}/nothing",
    }  # fmt: skip
    server = subprocess.Popen(
        [str(REPO_DIR / ".venv/bin/gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=REPO_DIR, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        answer = None
        for _ in range(100):
            try:
                answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        log = server.communicate(timeout=20)[1]

    assert answer is not None, log
    assert answer.status == 200
    assert "Warm-up: database failed" in log
