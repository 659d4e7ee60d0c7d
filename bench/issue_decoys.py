"""Benchmark: issuing 100,000 decoys with their exposures on PostgreSQL.

Creates a throw-away database, a synthetic network (hubs, depots with couriers, merchants),
enough canary numbers for distinct codewords, then times ``create_campaign`` for the isolated
and the route strategy. Target on a 2-core machine: ≤ 60 s per 100k decoys.

    python bench/issue_decoys.py [--decoys 100000] [--db-url postgres://postgres@127.0.0.1:5432/canary_bench]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine_line, write_report  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decoys", type=int, default=100_000)
    parser.add_argument("--per-node", type=int, default=10)
    parser.add_argument("--db-url", default="postgres://postgres@127.0.0.1:5432/canary_bench")
    args = parser.parse_args()

    recreate_database(args.db_url)
    os.environ["DATABASE_URL"] = args.db_url
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canary.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from canary.campaigns.planner import CampaignSpec, create_campaign
    from canary.network.services import import_network_bytes
    from canary.phones.pool import add_numbers

    depots = args.decoys // args.per_node
    t = time.perf_counter()
    import_network_bytes(synthetic_network_csv(depots))
    network_s = time.perf_counter() - t
    rows = []
    for strategy, kind in (("isolated", "depot"), ("route", "depot")):
        add_numbers([f"+447700900{n:03d}" for n in range(0, 60)]) if strategy == "isolated" else None
        from canary.campaigns.models import Campaign
        from canary.campaigns.planner import end

        for c in Campaign.objects.filter(status="draft"):
            c.status = "active"
            c.save()
            end(c, actor="bench")
        from canary.phones.models import CanaryNumber

        CanaryNumber.objects.update(status="available", quarantined_until=None, campaign=None)
        spec = CampaignSpec.from_dict(
            {
                "slug": f"bench-{strategy}",
                "name": "bench",
                "carrier": "sf",
                "node_kinds": [kind],
                "decoys_per_node": args.per_node,
                "strategy": strategy,
                "starts_at": "2026-11-01T00:00:00+08:00",
                "ends_at": "2027-05-01T00:00:00+08:00",
                "seed": 1,
            }
        )
        t = time.perf_counter()
        summary = create_campaign(spec, actor="bench")
        seconds = time.perf_counter() - t
        rows.append((strategy, summary.decoys, summary.exposures, seconds))
        print(
            f"{strategy:9s} {summary.decoys:>8,} decoys {summary.exposures:>9,} exposures {seconds:7.1f} s "
            f"({summary.decoys / seconds:,.0f} decoys/s)"
        )

    lines = [
        "## Issuing decoys (PostgreSQL)",
        "",
        machine_line(),
        "",
        f"Synthetic network: {depots:,} depots + couriers + merchants (imported in {network_s:.1f} s); "
        f"{args.per_node} decoys per depot; target ≤ 60 s per 100,000 decoys.",
        "",
        "| strategy | decoys | exposures | seconds | decoys/s |",
        "|---|---:|---:|---:|---:|",
        *[f"| {s} | {d:,} | {e:,} | {sec:.1f} | {d / sec:,.0f} |" for s, d, e, sec in rows],
    ]
    write_report("issue_decoys", "\n".join(lines))


if __name__ == "__main__":
    main()
