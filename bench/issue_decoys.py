"""Benchmark: issuing decoys with their exposures on PostgreSQL, now against the previous code.

For each implementation — the previous one (the product at ``--baseline``, unpacked from git)
and the current tree — the bench creates the database afresh, imports the same synthetic
network (hubs, depots with couriers, merchants), registers the same canary numbers, starts the
waybill block at the same serial, and times ``create_campaign`` in a fresh process (so its
peak RSS is the issuing's own). Both issue the same seeded campaign, so their rows must be
identical: the bench compares a digest of every decoy and exposure (ids and insert times left
out). Target on a 2-core machine: ≤ 6 minutes for 1,000,000 route decoys.

    python bench/issue_decoys.py --decoys 100000
    python bench/issue_decoys.py --decoys 1000000
    python bench/issue_decoys.py --decoys 1000000 --only current   # skip the previous code
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from machine import machine_line, print_result, worker_result, write_sized_report  # noqa: E402

# The last commit before issuing was streamed through COPY (issue "National scale").
BASELINE = "576f96fd32d15a17f1b8afde61205fc56a4b17a1"
FIRST_SERIAL = 1000  # where the bench starts the block: the same numbers for both
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/canary_bench"


HEADER = """## Issuing decoys (PostgreSQL)

`python bench/issue_decoys.py --decoys N` issues one seeded route campaign of N decoys (10 per
depot) with the previous implementation and with the current one, each in a fresh process on a
fresh database, and checks that both stored the same rows. Target: 1,000,000 route decoys in
≤ 6 minutes on 2 cores."""


def recreate_database(url: str) -> None:
    from urllib.parse import urlparse

    import psycopg

    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def synthetic_network_csv(depots: int) -> bytes:
    provinces = [
        ("浙江省", "杭州市"),
        ("广东省", "广州市"),
        ("江苏省", "南京市"),
        ("上海市", "上海市"),
        ("四川省", "成都市"),
    ]
    lines = ["code,name,kind,parent_code,province,city", "HQ,总部,hq,,上海市,上海市"]
    hubs = max(5, depots // 100)
    for h in range(hubs):
        p, c = provinces[h % len(provinces)]
        lines.append(f"H{h:04d},{c}转运中心{h},hub,HQ,{p},{c}")
    for d in range(depots):
        h = d % hubs
        p, c = provinces[h % len(provinces)]
        lines.append(f"D{d:05d},{c}网点{d},depot,H{h:04d},{p},{c}")
        lines.append(f"C{d:05d},{c}快递员{d},courier,D{d:05d},{p},{c}")
        if d % 10 == 0:
            lines.append(f"M{d:05d},{c}商家{d},merchant,D{d:05d},{p},{c}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU seconds of a process on this machine (PostgreSQL's backend too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_peak_rss() -> None:
    # Linux: "5" resets VmHWM to the current RSS, so the peak is the issuing's, not the set-up's.
    Path("/proc/self/clear_refs").write_text("5")


# Order-independent digest of the rows, computed by PostgreSQL (10 million rows stay there).
DIGEST_SQL = """
SELECT (SELECT count(*) FROM campaigns_decoy),
       (SELECT coalesce(sum(hashtextextended((to_jsonb(d) - 'id' - 'created_at')::text, 0)::numeric), 0)
          FROM campaigns_decoy d),
       (SELECT count(*) FROM campaigns_exposure),
       (SELECT coalesce(sum(hashtextextended(
                (to_jsonb(e) - 'id' - 'decoy_id' || jsonb_build_object('waybill', d.waybill_no))::text,
                0)::numeric), 0)
          FROM campaigns_exposure e JOIN campaigns_decoy d ON d.id = e.decoy_id)
"""


# Alternatives measured beside the implementations (bench-only changes to the database).
VARIANTS = {
    "no-exposure-fks": "current, exposure foreign keys dropped",
}


def drop_exposure_foreign_keys(connection) -> None:
    """What issuing would cost without the ledger's two foreign-key checks per row (an
    alternative measured, not a change the product makes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'campaigns_exposure'::regclass AND contype = 'f'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'ALTER TABLE campaigns_exposure DROP CONSTRAINT "{name}"')


def django_in(code: str, db_url: str, **environment: str) -> None:
    """Set Django up from the checkout ``code`` (the previous or the current implementation)."""
    sys.path.insert(0, code)
    os.chdir(code)
    os.environ["DATABASE_URL"] = db_url
    for name, value in {
        "DJANGO_SETTINGS_MODULE": "canary.settings",
        "LOG_LEVEL": "WARNING",
        **environment,
    }.items():
        os.environ.setdefault(name, value)
    import django

    django.setup()


def worker(args: argparse.Namespace) -> None:
    """In a fresh process with ``--code`` first on the path: set up, issue once, print JSON."""
    django_in(args.code, args.db_url, CELERY_TASK_ALWAYS_EAGER="1")
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.variant == "no-exposure-fks":
        drop_exposure_foreign_keys(connection)
    from canary.campaigns.models import WaybillCursor
    from canary.campaigns.planner import CampaignSpec, create_campaign
    from canary.campaigns.serials import reserved_block
    from canary.campaigns.waybills import Carrier
    from canary.network.services import import_network_bytes
    from canary.phones.pool import add_numbers

    t = time.perf_counter()
    import_network_bytes(synthetic_network_csv(args.decoys // args.per_node))
    network_s = time.perf_counter() - t
    add_numbers([f"+861390013{n:04d}" for n in range(200)])  # 100,000 depots need 87
    first, last = reserved_block(Carrier.SF)
    WaybillCursor.objects.create(
        carrier="sf", first_serial=first, last_serial=last, next_serial=first + FIRST_SERIAL
    )
    spec = CampaignSpec.from_dict(
        {
            "slug": f"bench-{args.strategy}",
            "name": "bench",
            "carrier": "sf",
            "node_kinds": ["depot"],
            "decoys_per_node": args.per_node,
            "strategy": args.strategy,
            "starts_at": "2026-11-01T00:00:00+08:00",
            "ends_at": "2027-05-01T00:00:00+08:00",
            "seed": 1,
        }
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    reset_peak_rss()
    load_before = load_average()
    cpu_before, backend_before = cpu_seconds(), cpu_seconds(backend)
    t = time.perf_counter()
    summary = create_campaign(spec, actor="bench")
    seconds = time.perf_counter() - t
    python_cpu, backend_cpu = cpu_seconds() - cpu_before, cpu_seconds(backend) - backend_before
    rss = peak_rss_mb()
    with connection.cursor() as cursor:
        cursor.execute(DIGEST_SQL)
        digest = [str(value) for value in cursor.fetchone()]
    result = {
        "decoys": summary.decoys,
        "exposures": summary.exposures,
        "seconds": seconds,
        "python_cpu": python_cpu,
        "backend_cpu": backend_cpu,
        "peak_rss_mb": rss,
        "network_s": network_s,
        "digest": digest,
        "load_before": load_before,
        "load_after": load_average(),
    }
    print_result(result)


def unpack(revision: str, into: Path) -> None:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")


def run_one(code: Path, args: argparse.Namespace, strategy: str, variant: str = "") -> dict:
    recreate_database(args.db_url)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--code",
        str(code),
        "--decoys",
        str(args.decoys),
        "--per-node",
        str(args.per_node),
        "--strategy",
        strategy,
        "--db-url",
        args.db_url,
        *(["--variant", variant] if variant else []),
    ]
    return worker_result(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoys", type=int, default=100_000)
    parser.add_argument("--per-node", type=int, default=10)
    parser.add_argument("--strategies", default="route", help="comma-separated: route,isolated")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the previous implementation")
    parser.add_argument("--only", choices=["previous", "current"], help="measure one implementation")
    parser.add_argument("--db-url", default=DEFAULT_DB)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--strategy", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument(
        "--variants", default="", help="also measure: " + ", ".join(f"{k} ({v})" for k, v in VARIANTS.items())
    )
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-previous-") as previous:
        implementations = [("previous", Path(previous), ""), ("current", ROOT, "")]
        if args.only:
            implementations = [i for i in implementations if i[0] == args.only]
        implementations += [(VARIANTS[v], ROOT, v) for v in filter(None, args.variants.split(","))]
        if any(name == "previous" for name, _, _ in implementations):
            unpack(args.baseline, Path(previous))
        for strategy in args.strategies.split(","):
            for name, code, variant in implementations:
                result = run_one(code, args, strategy, variant)
                results.append((strategy, name, result))
                print(
                    f"{strategy:8s} {name:8s} {result['decoys']:>9,} decoys "
                    f"{result['exposures']:>10,} exposures "
                    f"{result['seconds']:7.1f} s ({result['decoys'] / result['seconds']:,.0f}/s) "
                    f"CPU {result['python_cpu']:.1f} s + PostgreSQL {result['backend_cpu']:.1f} s, "
                    f"peak RSS {result['peak_rss_mb']:,.0f} MB; load {result['load_before']} → "
                    f"{result['load_after']}",
                    flush=True,
                )
    write_sized_report("issue_decoys", args.decoys, HEADER, report(args, results))


def report(args: argparse.Namespace, results: list[tuple[str, str, dict]]) -> str:
    digests: dict[str, set[str]] = {}
    for strategy, _name, result in results:
        digests.setdefault(strategy, set()).add("/".join(result["digest"]))
    same = {strategy: len(found) == 1 for strategy, found in digests.items()}
    network_s = results[0][2]["network_s"] if results else 0.0
    lines = [
        f"### {args.decoys:,} decoys",
        "",
        machine_line(),
        "",
        f"Synthetic network: {args.decoys // args.per_node:,} depots + couriers + merchants (imported in "
        f"{network_s:.1f} s); {args.per_node} decoys per depot; "
        f"previous implementation: `{args.baseline[:10]}`. "
        "Peak RSS is the issuing process's (VmHWM, reset just before `create_campaign`); CPU seconds "
        "are the issuing process's and its PostgreSQL backend's, which depend far less than seconds on "
        "what else the machine runs. "
        "Load average (1, 5, 15 min) before and after each run: the machine is shared.",
        "",
        "| strategy | implementation | decoys | exposures | seconds | decoys/s | CPU s: Python + PostgreSQL "
        "| peak RSS | load before → after |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for strategy, name, r in results:
        lines.append(
            f"| {strategy} | {name} | {r['decoys']:,} | {r['exposures']:,} | {r['seconds']:.1f} | "
            f"{r['decoys'] / r['seconds']:,.0f} | {r['python_cpu']:.0f} + {r['backend_cpu']:.0f} | "
            f"{r['peak_rss_mb']:,.0f} MB | {r['load_before']} → {r['load_after']} |"
        )
    lines.append("")
    for strategy, equal in same.items():
        if len({name for s, name, _ in results if s == strategy}) > 1:
            verdict = "identical" if equal else "**different**"
            lines.append(
                f"Rows of every implementation measured ({strategy}): {verdict} "
                "(digest of every decoy and exposure)."
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
