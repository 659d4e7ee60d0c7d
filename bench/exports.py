"""Benchmark: exporting a campaign's decoys, now (streamed) against the previous code.

Issues one route campaign of ``--decoys`` decoys with the current code (or reuses it when the
database already holds it), then runs every export once per implementation — the previous one
(the product at ``--baseline``, unpacked from git) and the current tree — each in a fresh
process, measuring seconds, the process's peak RSS and what it wrote (bytes and SHA-256: both
implementations must write the same file).

    python bench/exports.py --decoys 100000
    python bench/exports.py --decoys 1000000
    python bench/exports.py --decoys 1000000 --exports registry --only current

Label PDFs are not measured at these sizes: rendering runs at about 160 labels a second (see
"Label rendering"), so a million labels would take hours; depots print their own node's labels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from issue_decoys import BASELINE, django_in, load_average, peak_rss_mb, reset_peak_rss, unpack  # noqa: E402
from machine import machine_line, print_result, worker_result, write_sized_report  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/canary_bench_exports"
SLUG = "bench-route"

# name → what it does, as the report shows it
EXPORTS = {
    "registry": "`export_decoys SLUG` (JSON lines to stdout)",
    "orders-csv": "`export_orders SLUG` (CSV to stdout)",
    "orders-json": "`export_orders SLUG --format json --out FILE`",
    "download-csv": "console download of the order CSV (`/campaigns/SLUG/orders.csv`)",
}


HEADER = """## Exports at scale (`bench/exports.py`)

`python bench/exports.py --decoys N` issues one route campaign of N decoys and runs the registry
and order exports with the previous implementation and with the current (streamed) one, each
in a fresh process. Streamed exports keep memory flat in the number of decoys."""


class HashingOutput:
    """A text stream that keeps only the size and SHA-256 of what is written to it.

    ``ties_sorted``: registry lines are hashed with each decoy's exposures sorted, because the
    previous code left the order of exposures with the same ``visible_from`` to the database;
    the time that takes is kept apart (``own_seconds``) and not counted as the export's."""

    def __init__(self, ties_sorted: bool = False) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.ties_sorted = ties_sorted
        self.partial = ""
        self.own_seconds = 0.0

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.size += len(data)
        if not self.ties_sorted:
            self.digest.update(data)
            return len(text)
        t = time.perf_counter()
        *lines, self.partial = (self.partial + text).split("\n")
        for line in lines:
            row = json.loads(line)
            row["exposures"].sort(key=lambda e: (e["visible_from"], e["node"], e["channel"]))
            self.digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        self.own_seconds += time.perf_counter() - t
        return len(text)

    def feed(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


def worker(args: argparse.Namespace) -> None:
    """In a fresh process with ``--code`` first on the path: run one export, print JSON."""
    django_in(args.code, args.db_url, ALLOWED_HOSTS="testserver")
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    out = HashingOutput(ties_sorted=args.export == "registry")
    admin, _ = get_user_model().objects.get_or_create(username="bench-admin", is_superuser=True)
    client = Client()
    client.force_login(admin)
    reset_peak_rss()
    load_before = load_average()
    t = time.perf_counter()
    if args.export == "registry":
        call_command("export_decoys", SLUG, stdout=out, stderr=HashingOutput())
    elif args.export == "orders-csv":
        call_command("export_orders", SLUG, stdout=out, stderr=HashingOutput())
    elif args.export == "orders-json":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "orders.json"
            call_command(
                "export_orders", SLUG, "--format", "json", "--out", str(path), stderr=HashingOutput()
            )
            seconds, rss = time.perf_counter() - t, peak_rss_mb()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    out.feed(block)
    elif args.export == "download-csv":
        response = client.get(f"/campaigns/{SLUG}/orders.csv")
        for block in response.streaming_content if response.streaming else [response.content]:
            out.feed(block)
    if args.export != "orders-json":
        seconds, rss = time.perf_counter() - t - out.own_seconds, peak_rss_mb()
    result = {
        "seconds": seconds,
        "peak_rss_mb": rss,
        "bytes": out.size,
        "sha256": out.digest.hexdigest(),
        "load_before": load_before,
        "load_after": load_average(),
    }
    print_result(result)


def campaign_decoys(db_url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(db_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM campaigns_decoy d JOIN campaigns_campaign c ON c.id = d.campaign_id "
                "WHERE c.slug = %s",
                [SLUG],
            ).fetchone()
            return row[0]
    except psycopg.Error:
        return 0


def issue_campaign(args: argparse.Namespace) -> None:
    """The campaign to export, issued by the current code (bench/issue_decoys.py's worker)."""
    from issue_decoys import recreate_database

    recreate_database(args.db_url)
    command = [
        sys.executable,
        str(BENCH / "issue_decoys.py"),
        "--worker",
        "--code",
        str(ROOT),
        "--decoys",
        str(args.decoys),
        "--strategy",
        "route",
        "--db-url",
        args.db_url,
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def run_one(code: Path, args: argparse.Namespace, export: str) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--code",
        str(code),
        "--export",
        export,
        "--db-url",
        args.db_url,
    ]
    return worker_result(command)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoys", type=int, default=100_000)
    parser.add_argument("--exports", default=",".join(EXPORTS), help="comma-separated: " + ", ".join(EXPORTS))
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the previous implementation")
    parser.add_argument("--only", choices=["previous", "current"], help="measure one implementation")
    parser.add_argument("--db-url", default=DEFAULT_DB)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    if campaign_decoys(args.db_url) != args.decoys:
        t = time.perf_counter()
        issue_campaign(args)
        print(f"issued {args.decoys:,} decoys in {time.perf_counter() - t:.0f} s", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-previous-") as previous:
        if args.only != "current":
            unpack(args.baseline, Path(previous))
        for export in args.exports.split(","):
            for name, code in (("previous", Path(previous)), ("current", ROOT)):
                if args.only and name != args.only:
                    continue
                result = run_one(code, args, export)
                results.append((export, name, result))
                print(
                    f"{export:12s} {name:8s} {result['seconds']:7.1f} s "
                    f"peak RSS {result['peak_rss_mb']:7,.0f} MB "
                    f"{result['bytes']:>13,} bytes; load {result['load_before']} → {result['load_after']}",
                    flush=True,
                )
    write_sized_report("exports", args.decoys, HEADER, report(args, results))


def report(args: argparse.Namespace, results: list[tuple[str, str, dict]]) -> str:
    lines = [
        f"### {args.decoys:,} decoys",
        "",
        machine_line(),
        "",
        f"One route campaign of {args.decoys:,} decoys; previous implementation: `{args.baseline[:10]}`. "
        "Each export in a fresh process; peak RSS is its VmHWM, reset just before the export. "
        "Load average (1, 5, 15 min) before and after each run: the machine is shared. "
        '"Same file": the same bytes (for the registry, once exposures seen from the same moment '
        "are put in one order: the previous code left their order to the database).",
        "",
        "| export | implementation | seconds | peak RSS | bytes | same file | load before → after |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    digests = {(export, name): r["sha256"] for export, name, r in results}
    for export, name, r in results:
        pair = digests.get((export, "previous")), digests.get((export, "current"))
        same = "—" if None in pair else "yes" if pair[0] == pair[1] else "**no**"
        lines.append(
            f"| {EXPORTS[export]} | {name} | {r['seconds']:.1f} | {r['peak_rss_mb']:,.0f} MB | "
            f"{r['bytes']:,} | {same} | {r['load_before']} → {r['load_after']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
