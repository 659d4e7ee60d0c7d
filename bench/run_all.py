"""Run every benchmark and write their latest figures to docs/BENCHMARKS.md.

    python bench/run_all.py                 # all of them (tens of minutes on 2 cores)
    python bench/run_all.py --only labels   # one, then re-assemble the document
    python bench/run_all.py --assemble      # only re-assemble from bench/out/*.md

Each benchmark compares against a baseline measured in the same run where one exists
(GNU grep for the matcher, the Bayes oracle and PGM for attribution).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
DOC = ROOT / "docs" / "BENCHMARKS.md"

# (report name, script, arguments): the order the document shows them in.
BENCHMARKS = [
    ("issue_decoys", "issue_decoys.py", []),
    ("labels", "labels.py", []),
    ("sms_webhook", "sms_webhook.py", []),
    ("matcher", "matcher.py", []),
    ("attribution", "attribution.py", []),
    ("alert_latency", "alert_latency.py", []),
]

HEADER = """# Benchmarks

Latest figures of the benchmarks in `bench/`, written by `python bench/run_all.py` (or
`make bench`). Each section names the machine and the date it was measured on. Speed is
measured here, never asserted by the test suite.
"""


def assemble() -> None:
    parts = [HEADER]
    for name, _script, _args in BENCHMARKS:
        path = OUT / f"{name}.md"
        if path.exists():
            parts.append(path.read_text(encoding="utf-8").strip())
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
