"""A mixed soak: signed webhooks, dump uploads and console pages together, for ten minutes.

Starts on loopback only (as ``sms_webhook.py`` does): a private PostgreSQL database, a private
``redis-server``, gunicorn serving the product and one Celery worker that processes the contacts
and scans the uploads. Then, at fixed bounded rates for ``--seconds``:

- signed Twilio SMS webhooks (about 10 per second, a decoy name in one of 20);
- an analyst uploading a 200 KB CSV dump through the console (one every 10 s, each different);
- an analyst opening console pages (dashboard, contacts, documents, sightings, incidents; about 2
  per second).

Every 30 s it samples the latency of each kind (p50/p95/max) and the resident memory of the web
processes (gunicorn master and workers) and of the worker (Celery pool included). Latency and RSS
are stable when the last window is close to the first. At the end it checks that every webhook
answered 200 was stored and every upload became a document.

Run: .venv/bin/python bench/soak.py [--seconds 600]   (writes bench/out/soak.md)
The CPU is shared with whatever else runs on the machine: figures are for trends, not capacity.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line, write_report  # noqa: E402
from bench.memory_per_document import record_lines  # noqa: E402
from bench.sms_webhook import AUTH_TOKEN, CANARY_NUMBERS, Stack  # noqa: E402

SOAK_DB = "canary_bench_soak"
WINDOW_SECONDS = 30
SMS_PER_SECOND = 10
UPLOAD_EVERY_SECONDS = 10
PAGES_PER_SECOND = 2
PAGES = ["/", "/contacts/", "/sightings/documents/", "/sightings/", "/alerts/"]
WORKER = ["-m", "celery", "-A", "canary", "worker", "-c", "1", "-l", "warning"]
USER, PASSWORD = "soak-analyst", "soak-only-password-8c1f"

USER_SCRIPT = f"""
import django; django.setup()
from django.contrib.auth.models import Group, User
user = User.objects.create_user({USER!r}, password={PASSWORD!r})
user.groups.add(Group.objects.get_or_create(name="security_analyst")[0])
from canary.campaigns.models import Decoy
print(Decoy.objects.first().recipient_name)
"""


class Recorder:
    """Latencies per kind and window, and failures, from every load thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[tuple[int, str], list[float]] = defaultdict(list)
        self.failures: dict[str, int] = defaultdict(int)
        self.ok: dict[str, int] = defaultdict(int)
        self.started = time.monotonic()

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        window = int((time.monotonic() - self.started) // WINDOW_SECONDS)
        with self.lock:
            self.latencies[(window, kind)].append(seconds * 1000)
            (self.ok if ok else self.failures)[kind] += 1


def paced(stop: threading.Event, per_second: float, action) -> None:
    """Call ``action`` ``per_second`` times a second until ``stop``, never faster (a bounded load)."""
    interval = 1 / per_second
    next_at = time.monotonic()
    while not stop.is_set():
        action()
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))


def sms_sender(base_url: str, recorder: Recorder, decoy_name: str):
    validator = RequestValidator(AUTH_TOKEN)
    session = requests.Session()
    counter = iter(range(10**9))
    rng = random.Random(7)

    def send() -> None:
        n = next(counter)
        body = f"您的快递{n}号已到，收件人{decoy_name if n % 20 == 0 else '张先生'}，请回电"
        params = {
            "MessageSid": f"SMsoak{n:026d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+86138{rng.randrange(10**8):08d}",
            "To": CANARY_NUMBERS[n % len(CANARY_NUMBERS)],
            "Body": body,
            "NumMedia": "0",
        }
        url = f"{base_url}/hooks/twilio/sms/"
        signature = validator.compute_signature(url, params)
        started = time.monotonic()
        try:
            response = session.post(
                url,
                data=urlencode(params),
                headers={
                    "X-Twilio-Signature": signature,
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                timeout=30,
            )
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        recorder.add("sms webhook", time.monotonic() - started, ok)

    return send


def logged_in(base_url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{base_url}/accounts/login/",
        data={"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/accounts/login/"},
        timeout=30,
    )
    return session


def uploader(base_url: str, recorder: Recorder, decoy_line: bytes):
    session = logged_in(base_url)
    counter = iter(range(10**9))

    def upload() -> None:
        n = next(counter)
        dump = record_lines(2800, seed=10_000 + n) + decoy_line
        page = session.get(f"{base_url}/sightings/upload/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        started = time.monotonic()
        try:
            response = session.post(
                f"{base_url}/sightings/upload/",
                data={"csrfmiddlewaretoken": token},
                files={"file": (f"dump-{n}.csv", dump, "text/csv")},
                headers={"Referer": f"{base_url}/sightings/upload/"},
                timeout=60,
                allow_redirects=False,
            )
            ok = response.status_code == 302
        except requests.RequestException:
            ok = False
        recorder.add("upload", time.monotonic() - started, ok)

    return upload


def browser(base_url: str, recorder: Recorder):
    session = logged_in(base_url)
    pages = iter(range(10**9))

    def open_page() -> None:
        path = PAGES[next(pages) % len(PAGES)]
        started = time.monotonic()
        try:
            ok = session.get(f"{base_url}{path}", timeout=30).status_code == 200
        except requests.RequestException:
            ok = False
        recorder.add("console page", time.monotonic() - started, ok)

    return open_page


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, AttributeError):
            continue
        pending += [int(child) for child in children]
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="canary-soak-") as tmp:
        stack = Stack(args.pg_url, Path(tmp), db_name=SOAK_DB)
        stack.env["CANARY_VAR_DIR"] = tmp
        try:
            stack.start()
            decoy_name = stack.run_python("-c", USER_SCRIPT).strip().splitlines()[-1]
            worker = subprocess.Popen(
                [sys.executable, *WORKER],
                cwd=ROOT,
                env=stack.env,
                stdout=(Path(tmp) / "worker.log").open("w"),
                stderr=subprocess.STDOUT,
            )
            stack.processes.append(worker)
            web_pid = stack.processes[1].pid
            figures = soak(stack.base_url, args.seconds, web_pid, worker.pid, decoy_name)
            time.sleep(20)  # let the worker finish what was queued last
            figures["stored_contacts"] = stack.query("SELECT count(*) FROM phones_contact")[0][0]
            figures["documents"] = stack.query("SELECT count(*) FROM sightings_document")[0][0]
            figures["scanned"] = stack.query(
                "SELECT count(*) FROM sightings_document WHERE status NOT IN ('new', 'scanning')"
            )[0][0]
        finally:
            stack.close()
    report(figures, args.seconds)


def soak(base_url: str, seconds: int, web_pid: int, worker_pid: int, decoy_name: str) -> dict:
    recorder = Recorder()
    stop = threading.Event()
    decoy_line = f"SF0000000000000,{decoy_name},13800000000,测试地址\n".encode()
    actions = [
        (SMS_PER_SECOND, sms_sender(base_url, recorder, decoy_name)),
        (1 / UPLOAD_EVERY_SECONDS, uploader(base_url, recorder, decoy_line)),
        (PAGES_PER_SECOND, browser(base_url, recorder)),
    ]
    threads = [
        threading.Thread(target=paced, args=(stop, rate, action), daemon=True) for rate, action in actions
    ]
    for thread in threads:
        thread.start()
    rss: list[tuple[int, float, float]] = []
    for window in range(seconds // WINDOW_SECONDS):
        stop.wait(WINDOW_SECONDS)
        rss.append((window, tree_rss_mb(web_pid), tree_rss_mb(worker_pid)))
        print(f"window {window}: web {rss[-1][1]:.0f} MB, worker {rss[-1][2]:.0f} MB", flush=True)
    stop.set()
    for thread in threads:
        thread.join(60)
    return {"recorder": recorder, "rss": rss}


def report(figures: dict, seconds: int) -> None:
    recorder: Recorder = figures["recorder"]
    kinds = ["sms webhook", "upload", "console page"]
    lines = [
        "## Mixed soak (webhooks + uploads + console pages)",
        "",
        machine_line(),
        "",
        f"{seconds // 60} minutes on loopback: gunicorn (3 workers × 2 threads), one Celery worker, "
        f"PostgreSQL and a private Redis; {SMS_PER_SECOND} signed SMS webhooks/s, one 200 KB dump upload "
        f"every {UPLOAD_EVERY_SECONDS} s through the console, {PAGES_PER_SECOND} console pages/s. "
        "The 2 CPU cores were shared with other work running on the machine at the same time: "
        "latencies include that contention.",
        "",
        "| window | " + " | ".join(f"{k} p50 / p95 / max (ms)" for k in kinds) + " | web RSS | worker RSS |",
        "|---:|" + "---:|" * (len(kinds) + 2),
    ]
    for window, web, worker in figures["rss"]:
        cells = []
        for kind in kinds:
            values = sorted(recorder.latencies.get((window, kind), []))
            if values:
                p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
                cells.append(f"{statistics.median(values):.0f} / {p95:.0f} / {values[-1]:.0f}")
            else:
                cells.append("—")
        minute = (window + 1) * WINDOW_SECONDS
        lines.append(
            f"| {minute // 60}:{minute % 60:02d} | "
            + " | ".join(cells)
            + f" | {web:.0f} MB | {worker:.0f} MB |"
        )
    sent_ok = recorder.ok["sms webhook"]
    # From the second window on: the first holds start-up (imports, the matcher's first build).
    (_, web_first, worker_first), (_, web_last, worker_last) = figures["rss"][1], figures["rss"][-1]
    lines += [
        "",
        f"Resident memory from the 1:00 window to the last: web {web_last - web_first:+.0f} MB, "
        f"worker {worker_last - worker_first:+.0f} MB.",
        "",
        f"Requests answered: SMS {sent_ok:,} (failed {recorder.failures['sms webhook']}), uploads "
        f"{recorder.ok['upload']} (failed {recorder.failures['upload']}), console pages "
        f"{recorder.ok['console page']:,} (failed {recorder.failures['console page']}). Stored afterwards: "
        f"{figures['stored_contacts']:,} contacts, {figures['documents']} documents "
        f"({figures['scanned']} scanned).",
    ]
    write_report("soak", "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
