"""The real moving parts of the fault tests, each the test's own, to break at will: a
Redis server on a free port (stopped, restarted, frozen), an SMTP server that keeps
what it accepts, and Celery worker processes (killed with SIGKILL)."""

import os
import select
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager, suppress
from email import message_from_bytes
from pathlib import Path

import redis

from config.celery import app as celery_app
from tests.conftest import REPO_DIR
from tests.test_celery_worker import test_database_url, wait_until

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """redis-server on a free port, working in `directory`. `keeps_data`: it saves its
    data when stopped and loads it again when started, as a production Redis with
    snapshots does; otherwise it comes back empty, as one without them."""

    def __init__(self, directory: Path, *, keeps_data: bool = False):
        self.directory = directory
        self.keeps_data = keeps_data
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                   "--save", "3600 1" if self.keeps_data else "", "--appendonly", "no",
                   "--logfile", str(self.directory / "redis.log")]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if not wait_until(self.answers, timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """As a restart by its service manager: SIGTERM (Redis saves, if it keeps data)."""
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self, *, down_for: float) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def freeze(self) -> None:
        """Connections stay open and nothing answers: a hung server, a cut-off network."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)


class SmtpSink:
    """An SMTP server keeping the Message-ID of every message it accepts. With a
    `delay`, it takes that long to accept each one; a client gone meanwhile (a worker
    killed) has sent nothing, as with a real server, which answers "250" only once it
    has taken the message."""

    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.accepted: list[str] = []
        self.lock = threading.Lock()
        self.receiving = threading.Event()  # set when a message's data has arrived
        # While `holding` is set, a message whose data arrives is `held` until `released`:
        # a test kills its sender in that window, however loaded the machine is.
        self.holding = threading.Event()
        self.held = threading.Event()
        self.released = threading.Event()
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSession)
        self.server.daemon_threads = True
        self.server.sink = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server.server_address[1]}"

    def copies(self) -> Counter:
        """How many times each message was accepted, by Message-ID."""
        with self.lock:
            return Counter(self.accepted)

    def take(self, data: bytes, connection: socket.socket) -> bool:
        self.receiving.set()
        if self.holding.is_set():
            self.held.set()
            self.released.wait(timeout=30)
        time.sleep(self.delay)
        if _closed(connection):
            return False
        with self.lock:
            self.accepted.append(message_from_bytes(data)["Message-ID"])
        return True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _closed(connection: socket.socket) -> bool:
    readable, _, _ = select.select([connection], [], [], 0)
    if not readable:
        return False
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class _SmtpSession(socketserver.StreamRequestHandler):
    def handle(self):
        self.reply("220 sink ESMTP")
        while line := self.rfile.readline():
            command = line[:4].upper()
            if command == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                if not self.server.sink.take(b"".join(lines), self.connection):
                    return
                self.reply("250 OK: queued")
            elif command == b"QUIT":
                self.reply("221 Bye")
                return
            else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 OK")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class Worker:
    """A `celery worker` process (one task at a time), on the test database."""

    def __init__(self, *, log: Path, broker_url: str, queue: str, **environment: str):
        self.log = log
        self.broker_url = broker_url
        self.queue = queue
        self.environment = environment
        self.process = None

    def start(self) -> "Worker":
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            **self.environment,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", self.queue,
                   "--pool", "solo", "--loglevel", "INFO",
                   "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
        with open(self.log, "a") as output:
            self.process = subprocess.Popen(
                command, cwd=REPO_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        """kill -9: no warm shutdown, no acknowledgement, the task's transaction cut off."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def publishing_to(broker_url: str):
    """Tasks published by this process go to `broker_url`, on a queue of their own (no
    other worker on the same Redis takes them). Yields the queue's name."""
    queue = f"test-faults-{uuid.uuid4().hex}"
    conf = celery_app.conf
    saved = (
        conf.task_always_eager,
        conf.broker_url,
        conf.task_default_queue,
        os.environ.get("CELERY_BROKER_URL"),
    )
    conf.task_always_eager, conf.broker_url, conf.task_default_queue = False, broker_url, queue
    os.environ["CELERY_BROKER_URL"] = broker_url  # Celery reads it before its own setting
    _forget_broker_connections()
    try:
        yield queue
    finally:
        conf.task_always_eager, conf.broker_url, conf.task_default_queue, environment = saved
        if environment is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = environment
        _forget_broker_connections()
        with suppress(redis.RedisError):  # the queue and its bindings, on a broker others share
            redis.Redis.from_url(broker_url, socket_timeout=1).delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
            )


def _forget_broker_connections() -> None:
    # The app keeps the connection pool of the first broker URL it used: drop it so that
    # the next publication takes the current URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
