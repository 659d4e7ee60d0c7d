"""Run every benchmark and write their latest figures to docs/BENCHMARKS.md.

    python bench/run_all.py                 # all of them (tens of minutes on 2 cores)
    python bench/run_all.py --only labels   # one, then re-assemble the document
    python bench/run_all.py --assemble      # only re-assemble from bench/out/*.md

A benchmark with no report in bench/out keeps the section it had in the document.

Each benchmark compares against a baseline measured in the same run where one exists
(GNU grep for the matcher, the Bayes oracle and PGM for attribution).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

from machine import machine_line

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DOC = ROOT / "docs" / "BENCHMARKS.md"

# (report name, script, arguments): the order the document shows them in.
BENCHMARKS = [
    ("issue_decoys", "issue_decoys.py", []),
    ("exports", "exports.py", []),
    ("labels", "labels.py", []),
    ("identities", "identities.py", []),
    ("sms_webhook", "sms_webhook.py", []),
    ("matcher", "matcher.py", []),
    ("attribution", "attribution.py", []),
    ("alert_latency", "alert_latency.py", []),
    ("memory_per_document", "memory_per_document.py", []),
    ("soak", "soak.py", []),
    ("console_pages", "console_pages.py", []),
]

HEADER = """# Benchmarks

Latest figures of the benchmarks in `bench/`, written by `python bench/run_all.py` (or
`make bench`). Each section names the machine and the date it was measured on. Speed is
measured here, never asserted by the test suite.
"""


def _marker(name: str) -> tuple[str, str]:
    return f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"


def _demoted(report: str) -> str:
    """Every report sits under the document's title: a report titled ``# ...`` moves down a level."""
    if not report.startswith("# "):
        return report
    return "\n".join("#" + line if line.startswith("#") else line for line in report.splitlines())


def _with_machine(report: str, measured: datetime.date) -> str:
    """Every section names the machine and the day: add the line if the report did not."""
    if "Machine:" in report:
        return report
    heading, _, rest = report.partition("\n")
    line = machine_line().replace(datetime.date.today().isoformat(), measured.isoformat())
    return f"{heading}\n\n{line}\n{rest}"


def _previous_sections() -> dict[str, str]:
    """Sections of the current document, so a benchmark not re-run keeps its last figures."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    sections = {}
    for name, _script, _args in BENCHMARKS:
        begin, end = _marker(name)
        if begin in text and end in text:
            sections[name] = text.split(begin, 1)[1].split(end, 1)[0].strip()
    return sections


def assemble() -> None:
    previous = _previous_sections()
    parts = [HEADER]
    for name, _script, _args in BENCHMARKS:
        path = OUT / f"{name}.md"
        if path.exists():
            measured = datetime.date.fromtimestamp(path.stat().st_mtime)
            report = _with_machine(_demoted(path.read_text(encoding="utf-8").strip()), measured)
        else:
            report = previous.get(name)
        if report:
            begin, end = _marker(name)
            parts.append(f"{begin}\n{report}\n{end}")
    DOC.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")


def main() -> int:
    parser = argparse.ArgumentParser(description="run the benchmarks")
    parser.add_argument("--only", choices=[name for name, _, _ in BENCHMARKS])
    parser.add_argument("--assemble", action="store_true", help="only rebuild docs/BENCHMARKS.md")
    args = parser.parse_args()
    failed = []
    if not args.assemble:
        for name, script, extra in BENCHMARKS:
            if args.only and name != args.only:
                continue
            print(f"== {name}", flush=True)
            if subprocess.call([sys.executable, str(BENCH / script), *extra], cwd=ROOT) != 0:
                failed.append(name)
    assemble()
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
