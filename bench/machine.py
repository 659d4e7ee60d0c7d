"""Shared by the benchmarks: describe the machine and write a report fragment."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    return (
        f"Machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}; "
        f"measured {datetime.date.today().isoformat()}."
    )


def write_report(name: str, markdown: str) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(OUT.parent.parent)}")
    return path
