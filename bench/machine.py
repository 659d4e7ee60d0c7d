"""Shared by the benchmarks: describe the machine and write a report fragment."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
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


def write_sized_report(name: str, size: int, header: str, section: str) -> Path:
    """Keep one section per measured size (``name_SIZE.md``) and write ``name.md`` as the header
    followed by every size measured so far, smallest first: sizes are re-run one command each."""
    OUT.mkdir(exist_ok=True)
    (OUT / f"{name}_{size}.md").write_text(section.rstrip() + "\n", encoding="utf-8")
    sized = sorted(
        (int(path.stem.rsplit("_", 1)[1]), path)
        for path in OUT.glob(f"{name}_*.md")
        if path.stem.rsplit("_", 1)[1].isdigit()
    )
    sections = [path.read_text(encoding="utf-8").strip() for _, path in sized]
    return write_report(name, "\n\n".join([header.strip(), *sections]))


def print_result(result: dict) -> None:
    """A worker process's figures, on the line :func:`worker_result` reads."""
    print("RESULT " + json.dumps(result), flush=True)


def worker_result(command: list[str]) -> dict:
    """Run a benchmark's worker process (a fresh interpreter per measurement) and read its figures."""
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))
