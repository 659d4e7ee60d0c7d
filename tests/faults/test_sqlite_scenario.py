"""The embedded default under load: web process + real Celery worker + ``scan`` on one SQLite file.

A CSV of 5,001 lines with 50 decoy lines is scanned by ``manage.py scan`` while 300 signed Twilio
SMS arrive through gunicorn; the worker processes contacts, evaluates signals and delivers alerts
to a local webhook added with ``add_channel`` (no rule written: the default rule). Nothing may
fail on a locked database, and no alert may reach the receiver twice.
"""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.celery_support import Worker, wait_until

from .conftest import needs_redis, repeats, sms_form

pytestmark = [pytest.mark.worker, needs_redis]

SMS = 300
LINES = 5_000
DECOY_LINES = 50


def dump(decoys: list[tuple[str, str, str]], seed: int = 12) -> str:
    rng = random.Random(seed)
    rows = [
        f"JT{rng.randrange(10**12):013d},顾客{n},139{rng.randrange(10**8):08d},某路{n}号"
        for n in range(LINES)
    ]
    for index, (waybill, _name, _phone) in enumerate(decoys[:DECOY_LINES]):
        rows[rng.randrange(len(rows)) if index else 0] = f"{waybill},顾客,13900000000,某路"
    return "运单号,收件人,电话,地址\n" + "\n".join(rows) + "\n"


def test_web_worker_and_scan_share_sqlite_without_lock_failures_or_duplicate_alerts(
    deployment, receiver, tmp_path
):
    for step in (["migrate", "--noinput"], ["load_demo"]):
        result = deployment.manage(*step)
        assert result.returncode == 0, result.stderr[-2000:]
    added = deployment.manage(
        "add_channel", "--kind", "webhook", "--name", "值班", "--url", receiver.url + "/hook", "--secret", "s"
    )
    assert added.returncode == 0 and added.stdout.strip().isdigit(), added.stderr
    assert deployment.query("PRAGMA journal_mode")[0][0] == "wal"
    decoys = deployment.query(
        "SELECT d.waybill_no, d.recipient_name, n.e164 FROM campaigns_decoy d"
        " JOIN phones_canarynumber n ON n.id = d.number_id ORDER BY d.id"
    )
    assert len(decoys) >= DECOY_LINES
    csv = tmp_path / "dump.csv"
    csv.write_text(dump(decoys), encoding="utf-8")

    worker = Worker(
        deployment.broker_url, tmp_path / "worker.log", ("-P", "prefork", "-c", "2"), deployment.env
    )
    worker.start()
    deployment.start_web(tmp_path / "web.log")
    started = time.monotonic()
    scan = deployment.start_manage("scan", str(csv), log=tmp_path / "scan.log")
    session = requests.Session()

    def send(n: int) -> int:
        waybill, name, phone = decoys[n % len(decoys)]
        body = f"{name}，您的快递 {waybill} 已丢失，请联系客服办理双倍理赔" if n % 3 == 0 else f"退款 {n}"
        return deployment.post_sms(session, sms_form(f"SM{n:032d}", phone, body))

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(SMS)))
    scan.wait(300)
    scan_output = (tmp_path / "scan.log").read_text()

    def settled() -> bool:
        return (
            deployment.count("SELECT count(*) FROM phones_contact WHERE processed_at IS NULL") == 0
            and deployment.count("SELECT count(*) FROM attribution_signal") > 0
            and deployment.count(
                "SELECT count(*) FROM attribution_signal s"
                " LEFT JOIN alerts_signalcheck c ON c.signal_id = s.id WHERE c.id IS NULL"
            )
            == 0
            and deployment.count("SELECT count(*) FROM alerts_alert WHERE status IN ('pending', 'sending')")
            == 0
        )

    def state() -> str:
        pending = deployment.query("SELECT status, count(*) FROM alerts_alert GROUP BY status")
        unprocessed = deployment.count("SELECT count(*) FROM phones_contact WHERE processed_at IS NULL")
        return f"all work done (alerts {pending}, unprocessed {unprocessed}); worker:\n{worker.output()}"

    wait_until(settled, 300, state)
    elapsed = time.monotonic() - started
    worker.stop()
    log = worker.log_path.read_text(errors="replace")
    counts = {
        "sms_accepted": statuses.count(200),
        "contacts": deployment.count("SELECT count(*) FROM phones_contact"),
        "sightings": deployment.count("SELECT count(*) FROM sightings_sighting"),
        "signals": deployment.count("SELECT count(*) FROM attribution_signal"),
        "alerts_sent": deployment.count("SELECT count(*) FROM alerts_alert WHERE status = 'sent'"),
        "webhooks_received": len(receiver.requests),
        "duplicate_alerts": repeats(receiver.requests),
        "locked_in_worker_log": log.count("database is locked"),
        "task_failures": log.count("raised unexpected"),
        "seconds": round(elapsed, 1),
    }
    print("sqlite scenario:", counts)

    assert scan.returncode == 0, scan_output[-3000:]
    assert "database is locked" not in scan_output
    assert counts["sms_accepted"] == SMS and counts["contacts"] == SMS
    assert counts["sightings"] >= DECOY_LINES
    assert counts["locked_in_worker_log"] == 0 and counts["task_failures"] == 0, log[-3000:]
    assert counts["webhooks_received"] > 0 and counts["duplicate_alerts"] == 0
    assert counts["alerts_sent"] == counts["webhooks_received"]
