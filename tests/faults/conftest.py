import signal

import pytest

from marketplace.page_cache import forget_local_pages
from shops.cache_version import forget_shops_version
from tests.conftest import require
from tests.faults.processes import REDIS_SERVER, RedisServer, SmtpSink, Worker

# Seconds a fault test may take before it fails: a hang must fail the run, not block it.
TIME_LIMIT = 100


@pytest.fixture(autouse=True)
def _time_limit():
    def expired(signum, frame):
        pytest.fail(f"still running after {TIME_LIMIT} s: something hangs")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TIME_LIMIT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def new_redis(tmp_path_factory):
    """Start a Redis server of the test's own: new_redis(keeps_data=True)."""
    require("redis-server", REDIS_SERVER is not None, "install Debian's redis-server package")
    servers = []

    def start(*, keeps_data: bool = False) -> RedisServer:
        server = RedisServer(tmp_path_factory.mktemp("redis"), keeps_data=keeps_data)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.kill()


@pytest.fixture
def cache_on(settings):
    """Make `redis` this process's cache (the web side: pages, sessions, limits)."""

    def use(redis: RedisServer) -> None:
        settings.CACHES = {"default": {"BACKEND": "marketplace.cache.RedisCache", "LOCATION": redis.url}}
        forget_local_pages()
        forget_shops_version()

    yield use
    forget_local_pages()
    forget_shops_version()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def new_worker(tmp_path):
    """Start a worker process: new_worker(broker_url=..., queue=..., EMAIL_URL=...)."""
    workers = []

    def start(**options) -> Worker:
        worker = Worker(log=tmp_path / "workers.log", **options)
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.kill()
