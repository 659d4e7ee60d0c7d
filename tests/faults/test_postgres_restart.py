"""PostgreSQL restarts under webhook traffic (a private cluster, so nobody else's database moves).

While it is down the webhook answers 5xx (Twilio tries again) and never 2xx for something it did
not store; before and after, 200. Nothing is half-written: after the refused requests are sent
again every SMS is stored once and processed once by the real worker.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
import requests

from tests.celery_support import Worker, wait_until

from .conftest import Deployment, needs_postgres_binaries, needs_redis, sms_form

pytestmark = [pytest.mark.worker, needs_redis, needs_postgres_binaries]

SMS = 300


def test_postgres_restart_gives_5xx_only_while_down_and_loses_or_halves_nothing(
    private_postgres, private_broker, tmp_path
):
    app = Deployment(tmp_path, private_broker.url, database_url=private_postgres.url)
    worker = Worker(private_broker.url, tmp_path / "worker.log", ("-P", "prefork", "-c", "2"), app.env)
    try:
        for step in (["migrate", "--noinput"], ["load_demo"]):
            result = app.manage(*step)
            assert result.returncode == 0, result.stderr[-2000:]
        with psycopg.connect(private_postgres.url) as db:
            numbers = [row[0] for row in db.execute("SELECT e164 FROM phones_canarynumber ORDER BY id")]
        worker.start()
        app.start_web(tmp_path / "web.log")
        results: dict[int, list[tuple[float, int]]] = {}
        down: list[tuple[float, float]] = []
        session = requests.Session()

        def send(n: int) -> int:
            form = sms_form(f"SM{n:032d}", numbers[n % len(numbers)], f"退款 {n}")
            try:
                status = app.post_sms(session, form)
            except requests.RequestException:
                status = 599
            results.setdefault(n, []).append((time.monotonic(), status))
            return status

        def outage() -> None:
            time.sleep(3)
            stopped = time.monotonic()
            private_postgres.stop()
            time.sleep(5)
            private_postgres.start()
            down.append((stopped, time.monotonic()))

        restart = threading.Thread(target=outage)
        restart.start()
        for n in range(SMS):
            send(n)
            time.sleep(0.03)
        restart.join()
        refused = sorted(n for n, tries in results.items() if tries[-1][1] != 200)
        for n in refused:  # what Twilio does with a 5xx: try again
            wait_until(lambda n=n: send(n) == 200, 30, f"SMS {n} accepted again")

        def counts() -> tuple[int, int, int]:
            with psycopg.connect(private_postgres.url) as db:
                return db.execute(
                    "SELECT count(*), count(DISTINCT provider_sid),"
                    " count(*) FILTER (WHERE processed_at IS NULL) FROM phones_contact"
                ).fetchone()

        app.manage("shell", "-c", "from tasks.phones import sweep_contacts; sweep_contacts()")
        wait_until(lambda: counts()[2] == 0, 150, lambda: f"all processed; worker said:\n{worker.output()}")
        stored, distinct, unprocessed = counts()
    finally:
        worker.stop()
        app.stop()

    (stopped, restarted), *_ = down
    answers = [answer for tries in results.values() for answer in tries]
    errors = [at for at, status in answers if status >= 500]
    counts_seen = {
        "sms": SMS,
        "answers": len(answers),
        "answered_5xx": len(errors),
        "5xx_outside_outage": sum(1 for at in errors if not stopped - 1 <= at <= restarted + 5),
        "2xx": sum(1 for _, status in answers if status == 200),
        "other": sum(1 for _, status in answers if status != 200 and status < 500),
        "stored": stored,
        "duplicates": stored - distinct,
        "unprocessed": unprocessed,
        "outage_seconds": round(restarted - stopped, 1),
    }
    print("postgres restart:", counts_seen)
    assert counts_seen["answered_5xx"] > 0  # the outage really hit requests
    assert counts_seen["5xx_outside_outage"] == 0 and counts_seen["other"] == 0
    assert stored == distinct == SMS and unprocessed == 0
