"""Coverage-guided fuzzing of every file reader with atheris (libFuzzer), bounded in time.

Not part of the suite (the suite fuzzes with hypothesis, see ``test_reader_fuzz.py``); run it by
hand after changing a reader:

    .venv/bin/python tests/sightings/fuzz_readers_atheris.py --seconds 60          # every reader
    .venv/bin/python tests/sightings/fuzz_readers_atheris.py --only book.xlsx --seconds 300

Each reader is fuzzed in its own process, starting from the valid seed documents of
``test_reader_fuzz.SEEDS``. Anything but ``ReaderError`` escaping ``read_any`` is a crash: libFuzzer
stops and keeps the input. The run also counts the *absorbed* failures: library exceptions that the
reader contract turned into ``ReaderError`` (their type and innermost frame), which say where a
parser breaks on hostile input. A summary table is printed at the end.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


# Our readers and the parsers under them; instrumenting everything imported (Celery...) is slow.
INSTRUMENTED = [
    "canary.sightings.readers",
    "canary.sightings.images",
    "zipfile",
    "json",
    "csv",
    "pypdf",
    "openpyxl.reader",
    "openpyxl.worksheet",
    "bs4",
    "PIL.Image",
    "PIL.PngImagePlugin",
    "PIL.JpegImagePlugin",
]


def fuzz_one(name: str, seconds: int, summary_path: Path, corpus: Path) -> None:
    """The child process: fuzz ``read_any`` under the document name ``name``."""
    import atheris

    import canary  # noqa: F401 - the Celery app and its imports, not worth instrumenting

    with atheris.instrument_imports(include=INSTRUMENTED):
        from canary.sightings.readers import Limits, ReaderError, read_any

    limits = Limits(ocr=False, max_expanded_bytes=64 << 20, max_member_bytes=32 << 20)
    absorbed: collections.Counter[str] = collections.Counter()
    state = {"runs": 0, "reader_errors": 0, "written": 0.0}

    def write_summary() -> None:
        summary_path.write_text(json.dumps({**state, "absorbed": dict(absorbed)}))
        state["written"] = time.monotonic()

    def one_input(data: bytes) -> None:
        state["runs"] += 1
        errors: list[ReaderError] = []
        try:
            for _ in read_any(data, name, limits=limits, errors=errors):
                pass
        except ReaderError as error:
            state["reader_errors"] += 1
            errors.append(error)
        for error in errors:
            cause = error.__cause__
            if cause is not None and str(error).split(": ", 1)[-1].startswith("unreadable ("):
                frame = traceback.extract_tb(cause.__traceback__)[-1]
                absorbed[f"{type(cause).__name__} at {Path(frame.filename).name}:{frame.lineno}"] += 1
        if time.monotonic() - state["written"] > 2:
            write_summary()

    atheris.Setup(
        [sys.argv[0], f"-max_total_time={seconds}", "-rss_limit_mb=4096", "-timeout=30", str(corpus)],
        one_input,
    )
    write_summary()
    atheris.Fuzz()


def run(names: list[str], seconds: int) -> list[dict]:
    from tests.sightings.test_reader_fuzz import SEEDS

    results = []
    for name in names:
        with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            (corpus / "seed").write_bytes(SEEDS[name])
            summary = Path(tmp) / "summary.json"
            started = time.monotonic()
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    name,
                    "--seconds",
                    str(seconds),
                    "--summary",
                    str(summary),
                    "--corpus",
                    str(corpus),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            elapsed = time.monotonic() - started
            figures = json.loads(summary.read_text()) if summary.exists() else {"runs": 0, "absorbed": {}}
            done = re.search(r"Done (\d+) runs in (\d+) second", child.stderr)
            coverage = re.findall(r"cov: (\d+) ft: (\d+)", child.stderr)
            crashed = child.returncode != 0
            results.append(
                {
                    "reader": name,
                    "runs": int(done.group(1)) if done else figures["runs"],
                    "seconds": round(elapsed),
                    "coverage": int(coverage[-1][0]) if coverage else 0,
                    "features": int(coverage[-1][1]) if coverage else 0,
                    "escaped": 1 if crashed else 0,
                    "absorbed": figures["absorbed"],
                    "tail": child.stderr[-1500:] if crashed else "",
                }
            )
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time per reader")
    parser.add_argument("--only", action="append", help="seed document name(s) to fuzz")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--summary", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fuzz_one(args.child, args.seconds, Path(args.summary), Path(args.corpus))
        return
    import django

    django.setup()
    from tests.sightings.test_reader_fuzz import SEEDS

    results = run(args.only or sorted(SEEDS), args.seconds)
    print("\n| reader (seed) | runs | time | coverage (cov/ft) | escaped | absorbed library failures |")
    print("|---|---:|---:|---:|---:|---|")
    for row in results:
        absorbed = "; ".join(f"{k} ×{v}" for k, v in sorted(row["absorbed"].items())) or "none"
        print(
            f"| {row['reader']} | {row['runs']:,} | {row['seconds']} s | "
            f"{row['coverage']}/{row['features']} | {row['escaped']} | {absorbed} |"
        )
    if any(row["escaped"] for row in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
