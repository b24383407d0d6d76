"""The email path end to end with the real moving parts: the change commits in
PostgreSQL, the task goes through Redis, a separate `celery worker` process sends it."""

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.db import connection

from config.celery import app as celery_app
from marketplace.models import OutgoingEmail
from shops import services
from shops.models import Shop
from tests.conftest import REPO_DIR
from tests.factories import ChainStaffFactory, ShopFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_database_url() -> str:
    """The URL of the test database, for the worker process."""
    db = connection.settings_dict
    credentials = f"{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}"
    if (db["HOST"] or "").startswith("/"):  # Unix socket (the embedded PostgreSQL): the path goes first
        return f"postgres://{credentials}@/{db['HOST']}/{db['NAME']}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{db['HOST']}{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.fixture
def worker(broker_url, tmp_path):
    """A real worker process consuming a queue of its own, so that no other worker on
    the same Redis takes our task (and we take none of theirs)."""
    queue = f"test-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "EMAIL_URL": "consolemail://",
    }
    with open(log, "w") as output:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", queue]
        command += ["--pool", "solo", "--loglevel", "INFO"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        process = subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_default_queue = queue
    try:
        yield log
    finally:
        process.terminate()
        process.wait(timeout=20)
        celery_app.conf.task_default_queue = "celery"


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_real_worker_sends_the_approval_email_once_through_redis(worker):
    # given a pending application
    shop = ShopFactory(status=Shop.Status.PENDING, trade_name="Librairie Redis", language="en")

    # when staff approve it: the outbox row commits, the task is published to Redis
    services.shop_approve(shop=shop, by=ChainStaffFactory())
    email = OutgoingEmail.objects.get(to=shop.contact_email)

    # then the worker process sends it, once
    assert wait_until(lambda: OutgoingEmail.objects.get(pk=email.pk).status == OutgoingEmail.Status.SENT), (
        worker.read_text()
    )
    time.sleep(1)  # a second delivery would have had time to show up in the log
    output = worker.read_text()
    assert output.count("Subject: Your shop is now on Drive Solidaire") == 1, output
    assert "Task marketplace.tasks.send_email[" in output
