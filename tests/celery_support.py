"""Helpers for tests that run a real Celery worker: brokers, routes, waiting."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import redis
from django.db import connection

from canary import celery_app

ROOT = Path(__file__).resolve().parents[1]
QUIET_WORKER = ("--without-gossip", "--without-mingle", "--without-heartbeat")

# Give up on a dead broker at once instead of kombu's default back-off per publish.
FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.2}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    condition: Callable[[], bool], timeout: float = 90.0, what: Callable[[], str] | str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what() if callable(what) else what}")
        time.sleep(0.2)


def database_url() -> str:
    """The test database's URL, for a worker subprocess that must see the same rows."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def set_routes(routes: dict | None) -> None:
    """Change the producer's routes now: Celery caches the router built from them."""
    celery_app.conf.task_routes = routes
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


def forget_connections() -> None:
    # The app caches its producer pool per broker URL; drop it so publishing uses the new URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def publishing_to(url: str, fail_fast: bool = False) -> Iterator[str]:
    """Publish tasks to the broker at ``url`` (not eagerly) until the block ends.

    Celery resolves ``broker_read_url``/``broker_write_url`` from ``broker_url`` when it
    configures, so all three are switched, and the cached connection pools are dropped.
    """
    conf = celery_app.conf
    keys = ("broker_url", "broker_read_url", "broker_write_url", "task_always_eager")
    before = {key: conf[key] for key in keys}
    options_before = conf.broker_transport_options
    conf.update(broker_url=url, broker_read_url=url, broker_write_url=url, task_always_eager=False)
    if fail_fast:
        conf.broker_transport_options = {**options_before, **FAIL_FAST}
    forget_connections()
    try:
        yield url
    finally:
        conf.update(before)
        conf.broker_transport_options = options_before
        forget_connections()


@contextmanager
def worker_on_queue(
    queue: str,
    broker_url: str,
    tasks: str = "*",
    env: dict[str, str] | None = None,
    options: Sequence[str] = ("-c", "2"),
    log: IO | None = None,
) -> Iterator[subprocess.Popen]:
    """A Celery worker subprocess on the test database, consuming ``queue`` only, with the tasks
    named by ``tasks`` routed there, so parallel test runs never take each other's tasks.
    Stopped at the end, its queue deleted and the routes restored."""
    routes_before = celery_app.conf.task_routes
    set_routes({tasks: {"queue": queue}})
    worker_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "canary.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "canary", "worker", "-Q", queue, *QUIET_WORKER, *options]
    process = subprocess.Popen(
        command, cwd=ROOT, env=worker_env, stdout=log, stderr=subprocess.STDOUT if log else None
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        set_routes(routes_before)
        redis.Redis.from_url(broker_url).delete(f"_kombu.binding.{queue}", queue)


class Broker:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False

        wait_until(answers, 20, lambda: "redis-server")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class Worker:
    """A Celery worker subprocess (its own process group, so a test can kill all of it at once)
    on the test database, or on ``env``'s ``DATABASE_URL``; output goes to ``log_path``."""

    def __init__(
        self,
        broker_url: str,
        log_path: Path,
        pool: Sequence[str] = ("-P", "threads", "-c", "4"),
        env: dict[str, str] | None = None,
    ) -> None:
        self.broker_url = broker_url
        self.log_path = log_path
        self.pool = pool
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.extra_env.get("DATABASE_URL") or database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DJANGO_SETTINGS_MODULE": "canary.settings",
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "canary",
                "worker",
                *self.pool,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self, tail: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def kill_group(self) -> None:
        """SIGKILL the worker and all its children at once (an OOM kill, a host restart)."""
        if self.process:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None
            self.log.close()

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None
            self.log.close()
