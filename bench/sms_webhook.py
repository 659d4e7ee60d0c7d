"""Inbound hooks under load: signed Twilio SMS webhooks and tracking-lookup reports.

Starts, on loopback only: a private PostgreSQL database (created and dropped here), a private
``redis-server`` as the Celery broker (tasks are queued, no worker drains them: the webhook's
own cost is measured), and gunicorn serving the product. ``wrk`` sends requests whose Twilio
signatures (``RequestValidator.compute_signature``) and tracking HMACs were computed beforehand.

Scenarios:
1. SMS webhook paced at about 200 req/s for 30 s: throughput, p50/p99 latency (target p99 ≤ 50 ms);
2. a burst of 10,000 distinct SMS as fast as wrk can send them: every one must be stored
   (rows counted afterwards; duplicates sent after the slice ran out are retries and must not
   add rows);
3. tracking hook, non-decoy lookups paced at about 200 req/s, then unpaced: the hook sees all of
   the carrier's tracking traffic and must dismiss these without touching the database.

Run: .venv/bin/python bench/sms_webhook.py [--rate-seconds 30] [--burst 10000]
Needs ``wrk``, ``redis-server`` and a PostgreSQL server reachable as ``BENCH_PG_URL``
(default ``postgres://postgres@127.0.0.1:5432/postgres``). Writes bench/out/sms_webhook.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_line, write_report  # noqa: E402
from canary.phones.tracking_signature import sign  # noqa: E402

BENCH_DB = "canary_bench_sms_webhook"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
TRACKING_SECRET = "bench-tracking-secret"
CANARY_NUMBERS = [f"+8613900139{n:03d}" for n in range(200, 220)]
CALLER = "+447700900999"
TARGET_P99_MS = 50.0
GUNICORN_WORKERS = 3
GUNICORN_THREADS = 2
PACED_CONNECTIONS = 22
PACED_DELAY_MS = 100  # 22 connections × one request per (100 ms + ~10 ms latency) ≈ 200 req/s
BURST_CONNECTIONS = 32
WRK_THREADS = 2

LUA = r"""
local bodies, signatures, headers_name = {}, {}, "%(header)s"
local step, offset, sent, answered, slice = 1, 0, 0, 0, 0
local counts = {}
local next_offset = 0

function setup(thread)
  thread:set("thread_offset", next_offset)
  next_offset = next_offset + 1
end

function init(args)
  -- One "signature<TAB>body" line per request, signed beforehand.
  for line in io.lines("%(data)s") do
    local tab = string.find(line, "\t", 1, true)
    signatures[#signatures + 1] = string.sub(line, 1, tab - 1)
    bodies[#bodies + 1] = string.sub(line, tab + 1)
  end
  offset = thread_offset or 0
  step = %(threads)d
  slice = 0
  for i = offset + 1, #bodies, step do slice = slice + 1 end
  wrk.method = "POST"
end

function delay()
  return %(delay)d
end

function request()
  local index = offset + 1 + (sent %% math.max(slice, 1)) * step
  sent = sent + 1
  -- wrk.format uses these headers instead of wrk.headers, so the content type goes here too.
  local extra = {["Content-Type"] = "%(content_type)s"}
  extra[headers_name] = signatures[index]
  %(extra_headers)s
  return wrk.format(nil, "%(path)s", extra, bodies[index])
end

function response(status, headers, body)
  answered = answered + 1
  counts[status] = (counts[status] or 0) + 1
  if %(stop_after_slice)s and answered >= slice then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local out = io.open("%(result)s", "w")
  out:write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"max_us": %%d, "errors_status": %%d, "errors_connect": %%d, "errors_timeout": %%d, ' ..
    '"errors_read": %%d, "errors_write": %%d}',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    summary.errors.status, summary.errors.connect, summary.errors.timeout, summary.errors.read,
    summary.errors.write))
  out:close()
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


class Stack:
    """Database, broker and gunicorn for one run; everything is torn down in ``close``."""

    def __init__(self, pg_url: str, workdir: Path, db_name: str = BENCH_DB):
        self.pg_url = pg_url
        self.db_name = db_name
        self.workdir = workdir
        self.processes: list[subprocess.Popen] = []
        parts = urlsplit(pg_url)
        self.db_url = parts._replace(path=f"/{db_name}").geturl()
        self.redis_port = free_port()
        self.web_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db_url,
            "CONN_MAX_AGE": "60",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "PUBLIC_BASE_URL": self.base_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TRACKING_HOOK_SECRET": TRACKING_SECRET,
            "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "ERROR",
            "DJANGO_SETTINGS_MODULE": "canary.settings",
        }

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            conn.execute(sql)

    def start(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self.run_python("manage.py", "migrate", "--verbosity", "0")
        self.run_python("-c", SEED_SCRIPT)
        self.processes.append(
            subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        wait_for_port(self.redis_port)
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.processes.append(
            subprocess.Popen(
                [
                    str(gunicorn),
                    "canary.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.web_port}",
                    "--workers",
                    str(GUNICORN_WORKERS),
                    "--worker-class",
                    "gthread",
                    "--threads",
                    str(GUNICORN_THREADS),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=(self.workdir / "gunicorn.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        wait_for_port(self.web_port)

    def run_python(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def query(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql).fetchall()

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')


# Canary numbers for the SMS, and a small campaign so the tracking hook has a decoy set to check.
SEED_SCRIPT = f"""
import django; django.setup()
from pathlib import Path
from canary.network.services import import_network_bytes
from canary.phones.pool import add_numbers
from canary.campaigns.planner import CampaignSpec, activate, create_campaign
import_network_bytes(Path("canary/network/demo/network.csv").read_bytes())
add_numbers({CANARY_NUMBERS!r})
spec = CampaignSpec.from_dict({{"slug": "bench", "name": "bench", "carrier": "sf", "node_kinds": ["depot"],
    "decoys_per_node": 3, "strategy": "isolated", "label_template": "76x130",
    "starts_at": "2026-01-01T00:00:00+08:00", "ends_at": "2027-12-01T00:00:00+08:00", "seed": 1}})
activate(create_campaign(spec, actor="bench").campaign, actor="bench")
"""


def sms_requests(base_url: str, count: int, tag: str) -> list[tuple[str, str]]:
    validator = RequestValidator(AUTH_TOKEN)
    url = base_url + "/hooks/twilio/sms/"
    requests = []
    for n in range(count):
        sid = f"SM{tag}{n:030d}"
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": CALLER,
            "To": CANARY_NUMBERS[n % len(CANARY_NUMBERS)],
            "Body": f"您好，您的快递丢失，我们将双倍赔偿，请回电 第{n}条",
            "NumMedia": "0",
            "NumSegments": "1",
            "FromCountry": "GB",
        }
        requests.append((urlencode(params), validator.compute_signature(url, params)))
    return requests


def tracking_requests(count: int) -> list[tuple[str, str, int]]:
    now = int(time.time()) + 60  # signed for when the run starts; well inside the 300 s window
    requests = []
    for n in range(count):
        body = json.dumps(
            {
                "waybill_no": f"SF{1_400_000_000_000 + n}",
                "looked_up_at": "2026-11-23T11:02:03+08:00",
                "ip": f"198.51.100.{n % 250}",
                "user_agent": "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0",
                "client_id": "open-api-4411",
            }
        )
        requests.append((body, sign(TRACKING_SECRET, now, body.encode()), now))
    return requests


def run_wrk(
    url: str,
    path: str,
    requests: list[tuple],
    workdir: Path,
    name: str,
    connections: int,
    seconds: int,
    delay_ms: int,
    stop_after_slice: bool,
    kind: str,
) -> dict:
    result = workdir / f"{name}.json"
    data = workdir / f"{name}.tsv"
    data.write_text("".join(f"{request[1]}\t{request[0]}\n" for request in requests), encoding="utf-8")
    if kind == "sms":
        header, content_type, extra_headers = "X-Twilio-Signature", "application/x-www-form-urlencoded", ""
    else:
        header, content_type = "X-Canary-Signature", "application/json"
        extra_headers = f'extra["X-Canary-Timestamp"] = "{requests[0][2]}"'
    script = workdir / f"{name}.lua"
    script.write_text(
        LUA
        % {
            "data": data,
            "header": header,
            "content_type": content_type,
            "extra_headers": extra_headers,
            "threads": WRK_THREADS,
            "delay": delay_ms,
            "path": path,
            "stop_after_slice": "true" if stop_after_slice else "false",
            "result": str(result),
        }
    )
    subprocess.run(
        [
            "wrk",
            "-t",
            str(WRK_THREADS),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.read_text())


def warm_up(base_url: str, workdir: Path) -> None:
    """Every gunicorn worker's first webhook imports the task modules and opens its database and
    broker connections (seconds); send concurrent rounds until every request is answered fast."""
    url = base_url + "/hooks/twilio/sms/"
    signed = sms_requests(base_url, 2000, "W")
    with ThreadPoolExecutor(max_workers=GUNICORN_WORKERS * GUNICORN_THREADS * 2) as pool:
        for round_start in range(0, len(signed), 48):
            batch = signed[round_start : round_start + 48]
            started = time.perf_counter()
            statuses = list(pool.map(lambda request: _post(url, *request), batch))
            if set(statuses) != {200}:
                raise RuntimeError(
                    f"warm-up answered {sorted(set(statuses))}; see {workdir / 'gunicorn.log'}"
                )
            if (time.perf_counter() - started) / len(batch) < 0.005 and round_start >= 480:
                return


def _post(url: str, body: str, signature: str) -> int:
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status


def one_at_a_time(base_url: str, count: int = 1000) -> dict:
    """Service time without queueing: one client, one request after the other."""
    url = base_url + "/hooks/twilio/sms/"
    latencies = []
    started = time.perf_counter()
    for body, signature in sms_requests(base_url, count, "Q"):
        sent = time.perf_counter()
        if _post(url, body, signature) != 200:
            raise RuntimeError("sequential request refused")
        latencies.append(time.perf_counter() - sent)
    latencies.sort()
    return {
        "rate": count / (time.perf_counter() - started),
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


def stored(stack: Stack, tag: str) -> int:
    return stack.query(f"SELECT count(*) FROM phones_contact WHERE provider_sid LIKE 'SM{tag}%'")[0][0]


def wait_settled(stack: Stack, tag: str, expected: int, timeout: float = 60.0) -> int:
    """Rows once the server has finished the requests still in flight when wrk stopped."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        count = stored(stack, tag)
        if count >= expected or count == last:
            return count
        last = count
        time.sleep(1.0)
    return stored(stack, tag)


def server_seconds(stack: Stack, tag: str) -> float:
    ((first, last),) = stack.query(
        f"SELECT min(stored_at), max(stored_at) FROM phones_contact WHERE provider_sid LIKE 'SM{tag}%'"
    )
    return (last - first).total_seconds()


def ms(us: int) -> float:
    return us / 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-seconds", type=int, default=30)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    )
    args = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is needed for this benchmark", file=sys.stderr)
            return 2

    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        workdir = Path(tmp)
        stack = Stack(args.pg_url, workdir)
        try:
            stack.start()
            sms_url = stack.base_url + "/hooks/twilio/sms/"
            warm_up(stack.base_url, workdir)
            load_before = os.getloadavg()[0]
            sequential = one_at_a_time(stack.base_url)
            paced_count = args.rate_seconds * 200 + 2000
            paced = run_wrk(
                sms_url,
                "/hooks/twilio/sms/",
                sms_requests(stack.base_url, paced_count, "P"),
                workdir,
                "paced",
                PACED_CONNECTIONS,
                args.rate_seconds,
                PACED_DELAY_MS,
                False,
                "sms",
            )
            burst_reqs = sms_requests(stack.base_url, args.burst, "B")
            burst = run_wrk(
                sms_url,
                "/hooks/twilio/sms/",
                burst_reqs,
                workdir,
                "burst",
                BURST_CONNECTIONS,
                max(60, args.burst // 50),
                0,
                True,
                "sms",
            )
            burst_rows = wait_settled(stack, "B", args.burst)
            burst_seconds = server_seconds(stack, "B")

            track_url = stack.base_url + "/hooks/tracking/"
            track_reqs = tracking_requests(20_000)
            track_paced = run_wrk(
                track_url,
                "/hooks/tracking/",
                track_reqs,
                workdir,
                "track_paced",
                PACED_CONNECTIONS,
                args.rate_seconds,
                PACED_DELAY_MS,
                False,
                "tracking",
            )
            track_max = run_wrk(
                track_url,
                "/hooks/tracking/",
                track_reqs,
                workdir,
                "track_max",
                BURST_CONNECTIONS,
                15,
                0,
                False,
                "tracking",
            )
            load_after = os.getloadavg()[0]
            lookups_stored = stack.query("SELECT count(*) FROM phones_trackinglookup")[0][0]
            refused = stack.query("SELECT coalesce(sum(count), 0) FROM phones_securityevent")[0][0]
        finally:
            log = (
                (workdir / "gunicorn.log").read_text(errors="replace")
                if (workdir / "gunicorn.log").exists()
                else ""
            )
            stack.close()

    paced_rate = paced["requests"] / (paced["duration_us"] / 1e6)
    track_rate = track_paced["requests"] / (track_paced["duration_us"] / 1e6)
    track_max_rate = track_max["requests"] / (track_max["duration_us"] / 1e6)
    errors = lambda r: sum(v for k, v in r.items() if k.startswith("errors_"))  # noqa: E731
    lost = args.burst - burst_rows
    rows = [
        (
            "SMS webhook, one client, sequential",
            f"{sequential['rate']:.0f} req/s",
            sequential["p50_ms"],
            sequential["p99_ms"],
            0,
        ),
        (
            "SMS webhook, paced",
            f"{paced_rate:.0f} req/s",
            ms(paced["p50_us"]),
            ms(paced["p99_us"]),
            errors(paced),
        ),
        (
            f"SMS webhook, burst of {args.burst:,}",
            f"{args.burst / burst_seconds:.0f} req/s" if burst_seconds else "-",
            ms(burst["p50_us"]),
            ms(burst["p99_us"]),
            errors(burst),
        ),
        (
            "Tracking hook, non-decoy, paced",
            f"{track_rate:.0f} req/s",
            ms(track_paced["p50_us"]),
            ms(track_paced["p99_us"]),
            errors(track_paced),
        ),
        (
            "Tracking hook, non-decoy, unpaced",
            f"{track_max_rate:.0f} req/s",
            ms(track_max["p50_us"]),
            ms(track_max["p99_us"]),
            errors(track_max),
        ),
    ]
    table = ["| scenario | throughput | p50 ms | p99 ms | errors |", "| --- | ---: | ---: | ---: | ---: |"]
    table += [f"| {name} | {rate} | {p50:.1f} | {p99:.1f} | {err} |" for name, rate, p50, p99, err in rows]
    verdict_p99 = "met" if ms(paced["p99_us"]) <= TARGET_P99_MS else "NOT met"
    verdict_loss = "zero loss" if lost == 0 else f"{lost} LOST"
    print("\n".join(table))
    print(
        f"burst: {burst_rows:,} of {args.burst:,} stored ({verdict_loss}); "
        f"p99 target {TARGET_P99_MS} ms {verdict_p99}"
    )
    server_errors = len(re.findall(r"Traceback", log))

    tracking_sent = track_paced["requests"] + track_max["requests"]
    report = f"""## Inbound hooks: signed SMS webhook and tracking lookups (`bench/sms_webhook.py`)

{machine_line()} Load average (1 min) {load_before:.1f} before and {load_after:.1f} after the
measured runs: anything else running on the machine shows up in these figures.
gunicorn ({GUNICORN_WORKERS} gthread workers × {GUNICORN_THREADS} threads) on loopback, PostgreSQL (a database
created for the run and dropped after), a private Redis as the Celery broker (each stored SMS queues
its processing task; no worker drains the queue, so only the webhook is measured), `wrk`
({WRK_THREADS} threads) with Lua scripts sending requests signed beforehand exactly as Twilio signs
them (`RequestValidator.compute_signature`) and tracking reports with HMAC-SHA256 headers. Paced runs:
{PACED_CONNECTIONS} connections each waiting {PACED_DELAY_MS} ms between requests (≈200 req/s) for
{args.rate_seconds} s. Burst: {args.burst:,} distinct messages over {BURST_CONNECTIONS} connections as fast as
they are answered; throughput from the first to the last stored row. Latency is wrk's (from send to
response; wrk does not correct for coordinated omission).

{chr(10).join(table)}

- Target p99 ≤ {TARGET_P99_MS:.0f} ms at 200 req/s: **{verdict_p99}** ({ms(paced["p99_us"]):.1f} ms).
- Burst: **{burst_rows:,} of {args.burst:,} messages stored ({verdict_loss})**, every one committed before
  its 200 answer; {burst["requests"]:,} requests answered, {errors(burst)} errors.
- Tracking hook: {lookups_stored} lookups stored for {tracking_sent:,} non-decoy reports (all dismissed
  from the in-memory decoy set, no database access); {refused} refused requests
  logged over the whole run; {server_errors} server tracebacks.
"""
    write_report("sms_webhook", report)
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
