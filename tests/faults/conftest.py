"""Fault-test fixtures: a private broker, loopback receivers, and a whole embedded deployment.

Every fault test runs real processes (Redis, Celery workers, gunicorn, PostgreSQL where the point
is PostgreSQL) on loopback ports of its own, so stopping or killing one never touches another
test's services, and prints the counts it measured.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.alerts.conftest import receiver, smtp  # noqa: F401  (fixtures)
from tests.alerts.fakes import Received
from tests.celery_support import ROOT, Broker, free_port, wait_until

TWILIO_TOKEN = "fault-test-token-0123456789abcdef"
TWILIO_SID = "AC" + "f" * 32

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


@pytest.fixture
def private_broker():
    broker = Broker()
    broker.start()
    yield broker
    broker.stop()


def repeats(requests_seen: list[Received], header: str = "X-Canary-Alert-Id") -> int:
    """How many requests repeated an alert a receiver had already been given."""
    counts = Counter(request.headers.get(header) for request in requests_seen)
    return sum(n - 1 for n in counts.values())


def sms_form(sid: str, to: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": TWILIO_SID,
        "From": "+447700900999",
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


class Deployment:
    """The product as ``make run`` starts it, on a SQLite file: manage.py commands, gunicorn and a
    prefork Celery worker, all with the same environment."""

    def __init__(self, root: Path, broker_url: str, database_url: str = "") -> None:
        self.root = root
        self.broker_url = broker_url
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.database = root / "canary.sqlite3"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "canary.settings",
            "DATABASE_URL": database_url or f"sqlite:///{self.database}",
            "CANARY_VAR_DIR": str(root / "var"),
            "MEDIA_ROOT": str(root / "media"),
            "SIGHTINGS_MATCHER_CACHE": str(root / "matcher-cache"),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ALLOW_LOOPBACK_TARGETS": "true",
            "PUBLIC_BASE_URL": self.base_url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_ACCOUNT_SID": TWILIO_SID,
            "PYTHONUNBUFFERED": "1",
            "PHONES_SWEEP_AFTER_SECONDS": "0",
        }
        self.processes: list[subprocess.Popen] = []

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start_manage(self, *args: str, log: Path) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def start_web(self, log: Path) -> None:
        command = [sys.executable, "-m", "gunicorn", "canary.wsgi", "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", "2", "--threads", "4", "--timeout", "60"]
        self.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        )

        def answers() -> bool:
            try:
                return requests.get(self.base_url + "/accounts/login/", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_until(answers, 60, lambda: f"gunicorn; it said:\n{log.read_text()[-2000:]}")

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database, timeout=30) as db:
            return db.execute(sql, params).fetchall()

    def count(self, sql: str, *params) -> int:
        return self.query(sql, *params)[0][0]

    def post_sms(self, session: requests.Session, form: dict[str, str]) -> int:
        path = "/hooks/twilio/sms/"
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(self.base_url + path, form)
        response = session.post(self.base_url + path, data=form, headers={"X-Twilio-Signature": signature})
        return response.status_code

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def deployment(tmp_path, private_broker):
    deployment = Deployment(tmp_path, private_broker.url)
    yield deployment
    deployment.stop()


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free port (run as the
    ``postgres`` user when the tests run as root: ``initdb`` refuses root)."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="canary-pg-"))
        self.data = self.directory / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/canary"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
        self._run(str(self.BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(
            str(self.BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "canary"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.directory / "server.log")
        self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run(str(self.BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)


needs_postgres_binaries = pytest.mark.skipif(
    not (PostgresCluster.BIN / "initdb").exists(), reason="needs PostgreSQL 15 server binaries"
)


@pytest.fixture
def private_postgres():
    cluster = PostgresCluster()
    cluster.init()
    yield cluster
    cluster.remove()
