"""Matcher throughput and recall against GNU ``grep -F -f tokens``, in the same run on the same files.

Builds a synthetic leak dump (default 256 MB) of realistic waybill records in four files — CSV in
UTF-8, CSV in GBK, JSON Lines and a one-line-per-message chat export — with decoy records planted in
many spellings, and near misses that must not match. Two densities: ``realistic`` (one decoy record
per 100,000 records, as in a real dump) and ``stress`` (0.4 % of records, about 400 times that, so
the exact path weighs heavily). Decoys: 100,000 by default (``--decoys 1000000`` for the national
scale), issued by the project's own identity factory, one canary phone per 50 decoys (≈ 3 tokens
per decoy). Then, on the same files and the same token list:

* ``grep -F -n -f tokens.txt`` (LC_ALL=C, its output piped to this script), one process over the
  four files, and the same with one grep per file, two at a time (both cores, as ours);
* our scan, the product's own path (``canary.sightings.finding``, as the scan tasks call it): each
  file read whole and scanned in one process, as ``scan_document`` does; then the same files cut
  into the scan tasks' line-aligned parts (CSV parts with the header row in front) and scanned by
  two worker processes, as two Celery workers do. Every result is located (file, line, cell).

Reports the matcher's build time and peak memory, the time to add and to end a campaign without a
rebuild (``Matcher.updated``), MB/s for both, the ratios against the targets (one process ≥ 2.5×
grep at realistic density, ≥ 1.5× at stress density; two worker processes ≥ 1.8× one), recall on
every spelling (and on those grep cannot see), and false positives. Also compares the candidate
engines on literal search alone. Writes ``bench/out/matcher.md``. Generated data lives in
``bench/out/matcher-data-<density>-<decoys>/`` (git-ignored) and is reused while the parameters are
unchanged.

    .venv/bin/python bench/matcher.py [--size-mb 256] [--decoys 100000] [--density realistic|stress]
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import random
import re
import resource
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from canary.campaigns import identity_data
from canary.campaigns.identities import IdentityFactory, IdentitySpaceExhausted, canonical_token
from canary.campaigns.masking import mask_name, mask_phone
from canary.campaigns.waybills import Carrier, format_waybill, serial_range
from canary.sightings.chunking import CHUNK_BYTES, HEADED_FORMATS, first_line, line_aligned_ranges
from canary.sightings.finding import find_in_part, find_matches
from canary.sightings.matcher import DecoyTokens, Matcher
from canary.sightings.readers import detect_format

OUT = Path(__file__).resolve().parent / "out"
DATA = OUT / "matcher-data"
BLOCK = 64 << 20
FILES = (
    ("orders_utf8.csv", "utf-8"),
    ("orders_gbk.csv", "gb18030"),
    ("records.jsonl", "utf-8"),
    ("chat.txt", "utf-8"),
)
CARRIERS = (Carrier.SF, Carrier.YTO, Carrier.ZTO, Carrier.STO, Carrier.JT, Carrier.YUNDA)
FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
)
# Share of records that carry a decoy token, and of records with a token-like string that must NOT
# match. "stress" plants about 400 times what a real dump holds, so the exact path weighs heavily;
# "realistic" is one decoy record per 100,000 records.
DENSITIES = {"stress": (0.004, 0.001), "realistic": (0.00001, 0.00001)}
CHAT_PHRASES = (
    "出新鲜单",
    "今天的货",
    "要的私聊",
    "全国单 秒发",
    "老客户优惠",
    "刚到的 母婴类",
    "收",
    "有没有人要",
)


@dataclass
class Plant:
    decoy_id: int
    variant: str
    strength: str


# -- data ------------------------------------------------------------------------------------------


def make_decoys(count: int, phones: int, rng: random.Random) -> tuple[list[DecoyTokens], set[str]]:
    """Decoys from the identity factory; past the unique names it can issue, unique names drawn
    from the same surname and given-name frequencies (``person_name``)."""
    factory = IdentityFactory(seed=rng.randrange(1 << 30))
    factory.exhausted = False
    names_issued: set[str] = set()
    canary_phones = set()
    while len(canary_phones) < phones:
        canary_phones.add(f"+86{rng.choice(('170', '171', '165', '167'))}{rng.randrange(10**8):08d}")
    phone_list = sorted(canary_phones)
    cities = list(identity_data.CITY_DISTRICTS)
    decoys = []
    for index in range(count):
        carrier = CARRIERS[index % len(CARRIERS)]
        waybill = format_waybill(carrier, serial_range(carrier)[1] - index)  # a reserved block at the top
        city = cities[index % len(cities)]
        address = factory.address(city + "市", city + "市")
        name = _unique_name(factory, names_issued)
        decoys.append(DecoyTokens(index + 1, waybill, phone_list[index % phones], name, address.token))
    return decoys, canary_phones


def _unique_name(factory: IdentityFactory, issued: set[str]) -> str:
    if not factory.exhausted:
        try:
            name = factory.recipient().name
            issued.add(name)
            return name
        except IdentitySpaceExhausted:
            factory.exhausted = True  # every later call would search the whole space again
    name = factory.person_name()
    while name in issued:
        name = factory.person_name()
    issued.add(name)
    return name


class Records:
    """Random realistic records that never contain a decoy token."""

    def __init__(self, decoys: list[DecoyTokens], canary_phones: set[str], rng: random.Random) -> None:
        self.rng = rng
        factory = IdentityFactory(seed=rng.randrange(1 << 30))
        decoy_names = {decoy.name for decoy in decoys}
        decoy_tokens = {canonical_token(decoy.address_token) for decoy in decoys}
        self.names = [
            name for name in (factory.person_name() for _ in range(200_000)) if name not in decoy_names
        ]
        cities = list(identity_data.CITY_DISTRICTS)
        self.addresses = []
        for _ in range(100_000):
            city = rng.choice(cities)
            address = factory.address(city + "市", city + "市")
            if canonical_token(address.token) not in decoy_tokens:  # with or without 室
                self.addresses.append(address.full)
        self.items = [factory.item().description for _ in range(2_000)]
        self.canary_national = {phone[3:] for phone in canary_phones}
        self.decoy_waybills = {decoy.waybill_no for decoy in decoys}

    def phone(self) -> str:
        while True:
            number = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
            if number not in self.canary_national:
                return number

    def waybill(self) -> str:
        carrier = self.rng.choice(CARRIERS)
        while True:
            number = format_waybill(carrier, self.rng.randrange(serial_range(carrier)[1] // 2))
            if number not in self.decoy_waybills:
                return number

    def fields(self) -> dict[str, str]:
        rng = self.rng
        phone = self.phone()
        name = rng.choice(self.names)
        roll = rng.random()
        if roll < 0.10:  # privacy-label export
            name, phone = mask_name(name), mask_phone(phone)
        elif roll < 0.15:
            phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
        elif roll < 0.16:
            phone = phone.translate(FULL_WIDTH)
        month, day, hour, minute = (
            rng.randint(1, 12),
            rng.randint(1, 28),
            rng.randint(0, 23),
            rng.randint(0, 59),
        )
        return {
            "waybill": self.waybill(),
            "name": name,
            "phone": phone,
            "address": rng.choice(self.addresses),
            "item": rng.choice(self.items),
            "time": f"2024-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{rng.randint(0, 59):02d}",
            "price": f"{rng.randint(5, 3000)}.{rng.randint(0, 99):02d}",
        }


def plant(fields: dict[str, str], decoy: DecoyTokens, rng: random.Random) -> Plant:
    """Put one decoy token into ``fields`` in a random spelling."""
    nsn = decoy.phone[3:]
    grouped = f"{nsn[:3]} {nsn[3:7]} {nsn[7:]}"
    letters = decoy.waybill_no.rstrip("0123456789")
    digits = decoy.waybill_no[len(letters) :]
    variants = {
        "waybill exact": ("waybill", decoy.waybill_no),
        "waybill lower-case": ("waybill", decoy.waybill_no.lower()),
        "waybill full-width": ("waybill", decoy.waybill_no.translate(FULL_WIDTH)),
        "waybill spaced": (
            "waybill",
            f"{letters} {digits}" if letters else f"{digits[:4]} {digits[4:8]} {digits[8:]}",
        ),
        "phone exact": ("phone", nsn),
        "phone 3-4-4": ("phone", grouped),
        "phone dashed +86": ("phone", "+86-" + grouped.replace(" ", "-")),
        "phone 0086": ("phone", "0086 " + nsn),
        "phone full-width": ("phone", nsn.translate(FULL_WIDTH)),
        "phone zero-width": ("phone", "\u200b".join(nsn)),
        "name exact": ("name", decoy.name),
        "name zero-width": ("name", "\u200b".join(decoy.name)),
        "address exact": ("address", decoy.address_token),
        "address full-width": ("address", decoy.address_token.translate(FULL_WIDTH)),
        "masked + waybill": ("masked+waybill", None),
        "masked only": ("masked", None),
    }
    variant = rng.choice(list(variants))
    field, value = variants[variant]
    if field == "masked+waybill":
        fields.update(name=mask_name(decoy.name), phone=mask_phone(nsn), waybill=decoy.waybill_no)
    elif field == "masked":
        fields.update(name=mask_name(decoy.name), phone=mask_phone(nsn))
    elif field == "address":
        fields["address"] = fields["address"][:6] + value
    else:
        fields[field] = value
    return Plant(decoy.decoy_id, variant, "weak" if field == "masked" else "strong")


def near_miss(fields: dict[str, str], decoy: DecoyTokens, rng: random.Random) -> str:
    """A token-like string that contains a decoy token but is not one (grep sees it; we must not)."""
    kind = rng.choice(("longer number", "longer name", "longer waybill"))
    if kind == "longer number":
        fields["phone"] = "9" + decoy.phone[3:]
    elif kind == "longer name":
        fields["name"] = decoy.name + "收"
    else:
        fields["waybill"] = decoy.waybill_no + "7"
    return kind


def render(kind: str, fields: dict[str, str], rng: random.Random) -> str:
    f = fields
    if kind == "csv":
        return (
            f"{f['waybill']},{f['name']},{f['phone']},{f['address']},{f['item']},{f['time']},{f['price']}\n"
        )
    if kind == "jsonl":
        return (
            f'{{"order_id":"{f["waybill"]}","receiver":"{f["name"]}","mobile":"{f["phone"]}",'
            f'"address":"{f["address"]}","goods":"{f["item"]}","time":"{f["time"]}","price":{f["price"]}}}\n'
        )
    phrase = rng.choice(CHAT_PHRASES)
    seller = f"卖家{rng.randint(1, 99)}"
    return f"{f['time']} {seller}: {phrase} {f['name']} {f['phone']} {f['address']} 单号{f['waybill']}\n"


def generate(size_mb: int, decoy_count: int, seed: int, density: str) -> dict:
    plant_rate, near_miss_rate = DENSITIES[density]
    rng = random.Random(seed)
    started = time.perf_counter()
    decoys, canary_phones = make_decoys(decoy_count, max(1, decoy_count // 50), rng)
    records = Records(decoys, canary_phones, rng)
    DATA.mkdir(parents=True, exist_ok=True)
    truth: dict[tuple[str, int], Plant] = {}
    misses: dict[tuple[str, int], str] = {}
    per_file = size_mb * (1 << 20) // len(FILES)
    record_count = 0
    for file_name, encoding in FILES:
        kind = "jsonl" if file_name.endswith(".jsonl") else "chat" if file_name.endswith(".txt") else "csv"
        with open(DATA / file_name, "wb") as out:
            line = 1
            if kind == "csv":
                out.write("订单号,收件人,手机,收货地址,物品,下单时间,金额\n".encode(encoding))
                line += 1
            written = 0
            buffer: list[str] = []
            while written < per_file:
                fields = records.fields()
                roll = rng.random()
                if roll < plant_rate:
                    truth[(file_name, line)] = plant(fields, rng.choice(decoys), rng)
                elif roll < plant_rate + near_miss_rate:
                    misses[(file_name, line)] = near_miss(fields, rng.choice(decoys), rng)
                text = render(kind, fields, rng)
                buffer.append(text)
                line += 1
                record_count += 1
                if len(buffer) >= 10_000:
                    chunk = "".join(buffer).encode(encoding)
                    out.write(chunk)
                    written += len(chunk)
                    buffer = []
            out.write("".join(buffer).encode(encoding))
    tokens = sorted({t for d in decoys for t in (d.waybill_no, d.phone[3:], d.name, d.address_token)})
    (DATA / "tokens.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    manifest = {
        "size_mb": size_mb,
        "decoys": decoy_count,
        "seed": seed,
        "density": density,
        "records": record_count,
    }
    with open(DATA / "truth.pkl", "wb") as out:
        pickle.dump({"decoys": decoys, "truth": truth, "misses": misses, "manifest": manifest}, out)
    (DATA / "manifest.json").write_text(json.dumps(manifest))
    print(f"generated {record_count:,} records in {time.perf_counter() - started:.0f} s")
    return manifest


# -- measuring ---------------------------------------------------------------------------------------


Found = dict[tuple[str, int], list[tuple[int, str]]]
_LINE = re.compile(r" line (\d+)")


def _collect(found: Found, file_name: str, location: str, decoy_id: int, strength: str) -> None:
    found[(file_name, int(_LINE.search(location).group(1)))].append((decoy_id, strength))


def scan_ours(matcher: Matcher) -> tuple[float, Found]:
    """Every file read whole and scanned in this process, results located."""
    found: Found = defaultdict(list)
    started = time.perf_counter()
    for file_name, _ in FILES:
        data = (DATA / file_name).read_bytes()
        for record, match in find_matches(matcher, data, file_name):
            _collect(found, file_name, record.locate(match.line, match.start), match.decoy_id, match.strength)
        del data
    return time.perf_counter() - started, found


_worker_matcher: Matcher | None = None
_workers_ready = None


def _load_worker(blob: bytes, ready) -> None:
    global _worker_matcher, _workers_ready
    _worker_matcher = pickle.loads(blob)
    _workers_ready = ready
    gc.freeze()


def _wait_for_every_worker(_: int) -> None:
    """Held until every worker runs one: each has loaded its matcher, as warm Celery workers have."""
    _workers_ready.wait(timeout=3600)


def _scan_part(task: tuple[str, int, int, int, bytes]) -> list[tuple[str, int, str]]:
    """One part in a worker process, as ``scan_range`` reads it: (location, decoy, strength)."""
    file_name, start, end, line, header = task
    with open(DATA / file_name, "rb") as source:
        source.seek(start)
        data = source.read(end - start)
    assert _worker_matcher is not None
    return [
        (location, match.decoy_id, match.strength)
        for location, match in find_in_part(_worker_matcher, data, file_name, line, header)
    ]


def scan_ours_parallel(blob: bytes, workers: int) -> tuple[float, Found]:
    """The scan tasks' split (``line_aligned_ranges``, ``CHUNK_BYTES``) over worker processes."""
    import multiprocessing

    tasks = []
    for file_name, _ in FILES:
        path = DATA / file_name
        with open(path, "rb") as source:
            headed = detect_format(source.read(4096), file_name) in HEADED_FORMATS
            header = first_line(source) if headed else b""
            for part in line_aligned_ranges(source, path.stat().st_size, chunk_bytes=CHUNK_BYTES):
                part_header = header if part.index else b""
                tasks.append((file_name, part.start, part.end, part.first_line, part_header))
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(workers)
    with context.Pool(workers, initializer=_load_worker, initargs=(blob, ready)) as pool:
        pool.map(_wait_for_every_worker, range(workers), chunksize=1)
        started = time.perf_counter()
        results = pool.map(_scan_part, tasks, chunksize=1)
        elapsed = time.perf_counter() - started
    found: Found = defaultdict(list)
    for (file_name, *_), matches in zip(tasks, results, strict=True):
        for location, decoy_id, strength in matches:
            _collect(found, file_name, location, decoy_id, strength)
    return elapsed, found


def _grep(names: list[str]) -> tuple[float, bytes]:
    command = ["grep", "-F", "-n", "-H", "-f", "tokens.txt", *names]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=DATA, capture_output=True, env={"LC_ALL": "C"}, check=False)
    return time.perf_counter() - started, result.stdout


def _grep_lines(output: bytes) -> set[tuple[str, int]]:
    lines = set()
    for row in output.splitlines():
        file_name, line, _ = row.split(b":", 2)
        lines.add((file_name.decode(), int(line)))
    return lines


def scan_grep() -> tuple[float, set[tuple[str, int]]]:
    elapsed, output = _grep([name for name, _ in FILES])
    return elapsed, _grep_lines(output)


def scan_grep_parallel(workers: int) -> float:
    """One grep per file, ``workers`` at a time: GNU grep given the cores ours gets."""
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda name: _grep([name]), [name for name, _ in FILES]))
    return time.perf_counter() - started


def grep_setup_seconds() -> float:
    started = time.perf_counter()
    subprocess.run(
        ["grep", "-F", "-c", "-f", "tokens.txt", "/dev/null"], cwd=DATA, capture_output=True, check=False
    )
    return time.perf_counter() - started


def write_decoys_tsv(decoys: list[DecoyTokens]) -> Path:
    """The decoys as the database hands them to a build: one row per line."""
    path = DATA / "decoys.tsv"
    if not path.exists():
        with open(path, "w", encoding="utf-8") as out:
            for d in decoys:
                out.write(f"{d.decoy_id}\t{d.waybill_no}\t{d.phone}\t{d.name}\t{d.address_token}\n")
    return path


def build_from_rows(path: Path) -> None:
    """Child mode: build from streamed rows, as the merge task does from a database cursor, and
    print what it cost (wall and CPU seconds, peak RSS, RSS before the build)."""

    def rows():
        with open(path, encoding="utf-8") as source:
            for line in source:
                ident, waybill, phone, name, address = line.rstrip("\n").split("\t")
                yield DecoyTokens(int(ident), waybill, phone, name, address)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    Matcher.build(rows())
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu": time.process_time() - cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_before_mb": before,
            }
        )
    )


def measure_build(decoys: list[DecoyTokens]) -> dict[str, float]:
    """The build in a fresh process of its own, streaming rows: its memory is the worker's."""
    path = write_decoys_tsv(decoys)
    output = subprocess.run(
        [sys.executable, __file__, "--build-from", str(path)], capture_output=True, check=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def compare_engines(
    tokens: list[str], decoys: list[DecoyTokens], sample: bytes
) -> list[tuple[str, float, float]]:
    """Literal search alone (no normalisation) on the same sample: build seconds and MB/s."""
    import ahocorasick
    import ahocorasick_rs
    import daachorse
    import hyperscan

    encoded = [token.encode() for token in tokens]
    rows = []

    started = time.perf_counter()
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(expressions=encoded, ids=list(range(len(encoded))), elements=len(encoded), literal=True)
    built = time.perf_counter() - started
    started = time.perf_counter()
    database.scan(sample, match_event_handler=lambda *_: None)
    rows.append(
        (
            "hyperscan 0.9.1, one literal database (bytes)",
            built,
            len(sample) / 1e6 / (time.perf_counter() - started),
        )
    )

    addresses = {decoy.address_token for decoy in decoys}
    forward = [token.encode() for token in tokens if token not in addresses]
    backward = [token.encode()[::-1] for token in tokens if token in addresses]
    started = time.perf_counter()
    databases = []
    for expressions in (forward, backward):
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        database.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            literal=True,
        )
        databases.append(database)
    built = time.perf_counter() - started
    started = time.perf_counter()
    databases[0].scan(sample, match_event_handler=lambda *_: None)
    databases[1].scan(sample[::-1], match_event_handler=lambda *_: None)
    rate = len(sample) / 1e6 / (time.perf_counter() - started)
    rows.append(("hyperscan, address markers reversed (as the matcher does)", built, rate))

    started = time.perf_counter()
    automaton_daac = daachorse.DoubleArrayAhoCorasick(encoded)
    built = time.perf_counter() - started
    started = time.perf_counter()
    automaton_daac.find(sample)
    rows.append(
        (
            "daachorse 0.5.0 (bytes; the matcher's engine)",
            built,
            len(sample) / 1e6 / (time.perf_counter() - started),
        )
    )

    started = time.perf_counter()
    automaton_rs = ahocorasick_rs.BytesAhoCorasick(encoded)
    built = time.perf_counter() - started
    started = time.perf_counter()
    automaton_rs.find_matches_as_indexes(sample)
    rows.append(("ahocorasick_rs 1.0.3 (bytes)", built, len(sample) / 1e6 / (time.perf_counter() - started)))

    started = time.perf_counter()
    automaton = ahocorasick.Automaton()
    for index, token in enumerate(tokens):
        automaton.add_word(token, index)
    automaton.make_automaton()
    built = time.perf_counter() - started
    text = sample.decode("utf-8", "replace")
    started = time.perf_counter()
    for _ in automaton.iter(text):
        pass
    rows.append(("pyahocorasick 2.3.1 (str)", built, len(sample) / 1e6 / (time.perf_counter() - started)))
    return rows


def measure_update(matcher: Matcher, decoys: list[DecoyTokens], size: int) -> dict[str, float]:
    """Seconds to add a campaign of ``size`` decoys and to end one, without a rebuild
    (``Matcher.updated``, as ``canary.sightings.matching`` does), and that the answers agree with
    a matcher built over the same set."""
    rng = random.Random(size)
    campaign, _ = make_decoys(size, max(1, size // 50), rng)
    top = max(decoy.decoy_id for decoy in decoys)
    # Fresh ids, and waybills from another reserved block than the build's.
    added = [
        DecoyTokens(top + d.decoy_id, "JD" + d.waybill_no[-13:], d.phone, d.name, d.address_token)
        for d in campaign
    ]
    started = time.perf_counter()
    with_campaign = matcher.updated(added, [])
    add_seconds = time.perf_counter() - started
    ended = {decoy.decoy_id for decoy in decoys[:size]}
    started = time.perf_counter()
    without_campaign = matcher.updated([], ended)
    end_seconds = time.perf_counter() - started
    sample = "\n".join(
        f"{d.waybill_no},{d.name},{d.phone[3:]},{d.address_token}" for d in (*added[:200], *decoys[:200])
    ).encode()
    reference = Matcher.build([*decoys[size:], *added]) if len(decoys) <= 100_000 else None
    both = matcher.updated(added, ended)
    same = (
        None
        if reference is None
        else both.match_records_bytes(sample) == reference.match_records_bytes(sample)
    )
    found = {match.decoy_id for match in with_campaign.match_records_bytes(sample)}
    return {
        "add": add_seconds,
        "end": end_seconds,
        "size": size,
        "new found": len(found & {d.decoy_id for d in added[:200]}),
        "ended found": len({m.decoy_id for m in without_campaign.match_records_bytes(sample)} & ended),
        "same as rebuild": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--decoys", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--density", choices=sorted(DENSITIES), default="realistic")
    parser.add_argument(
        "--update-decoys", type=int, default=10_000, help="size of the campaign added and ended"
    )
    parser.add_argument("--skip-engines", action="store_true", help="leave out the engine comparison")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--build-from", type=Path, help=argparse.SUPPRESS)  # child mode, see build_from_rows
    parser.add_argument(
        "--rounds", type=int, default=2, help="times to measure each contender, in turns (the best counts)"
    )
    args = parser.parse_args()
    if args.build_from:
        build_from_rows(args.build_from)
        return

    global DATA
    DATA = OUT / f"matcher-data-{args.density}-{args.decoys}"
    wanted = {"size_mb": args.size_mb, "decoys": args.decoys, "seed": args.seed, "density": args.density}
    manifest_path = DATA / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if args.regenerate or {k: manifest.get(k) for k in wanted} != wanted:
        manifest = generate(args.size_mb, args.decoys, args.seed, args.density)
    with open(DATA / "truth.pkl", "rb") as source:
        stored = pickle.load(source)
    decoys, truth, misses = stored["decoys"], stored["truth"], stored["misses"]
    total_bytes = sum((DATA / name).stat().st_size for name, _ in FILES)
    tokens = (DATA / "tokens.txt").read_text(encoding="utf-8").split("\n")[:-1]

    build = measure_build(decoys)
    matcher = Matcher.build(decoys)
    blob = pickle.dumps(matcher)
    started = time.perf_counter()
    matcher = pickle.loads(blob)
    load_seconds = time.perf_counter() - started
    gc.freeze()  # as canary.sightings.matching.get_matcher does in the workers
    update = measure_update(matcher, decoys, args.update_decoys)

    for name, _ in FILES:  # same warm page cache for every contender
        with open(DATA / name, "rb") as source:
            while source.read(BLOCK):
                pass
    workers = 2
    # In turns, so that whatever else the machine does weighs on every contender alike.
    timings: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        seconds, grep_lines = scan_grep()
        timings["grep"].append(seconds)
        seconds, our_found = scan_ours(matcher)
        timings["ours"].append(seconds)
        seconds, parallel_found = scan_ours_parallel(blob, workers)
        timings["ours parallel"].append(seconds)
        timings["grep parallel"].append(scan_grep_parallel(workers))
    grep_seconds, our_seconds = min(timings["grep"]), min(timings["ours"])
    parallel_seconds, grep_parallel_seconds = min(timings["ours parallel"]), min(timings["grep parallel"])
    grep_setup = grep_setup_seconds()
    parallel_same = {k: sorted(v) for k, v in parallel_found.items()} == {
        k: sorted(v) for k, v in our_found.items()
    }

    by_variant: dict[str, Counter] = defaultdict(Counter)
    for key, expected in truth.items():
        got = dict(our_found.get(key, []))
        row = by_variant[expected.variant]
        row["planted"] += 1
        row["ours"] += expected.decoy_id in got
        row["ours right strength"] += got.get(expected.decoy_id) == expected.strength
        row["grep"] += key in grep_lines
        if key not in grep_lines:
            row["unseen by grep"] += 1
            row["ours on unseen"] += expected.decoy_id in got
    planted_lines = set(truth)
    our_strong_fp = sum(
        1 for key, got in our_found.items() if key not in planted_lines for _, s in got if s == "strong"
    )
    our_weak_random = sum(
        1 for key, got in our_found.items() if key not in planted_lines for _, s in got if s == "weak"
    )
    our_near_miss = sum(1 for key in misses if key in our_found)
    grep_fp = len(grep_lines - planted_lines)
    grep_near_miss = sum(1 for key in misses if key in grep_lines)

    total_planted = len(truth)
    ours_found = sum(row["ours"] for row in by_variant.values())
    unseen = sum(row["unseen by grep"] for row in by_variant.values())
    ours_unseen = sum(row["ours on unseen"] for row in by_variant.values())
    mb = total_bytes / 1e6
    our_rate, grep_rate = mb / our_seconds, mb / grep_seconds
    parallel_rate, grep_parallel_rate = mb / parallel_seconds, mb / grep_parallel_seconds
    grep_scan_rate = mb / max(grep_seconds - grep_setup, 1e-9)
    target = 2.5 if args.density == "realistic" else 1.5
    ratios = {
        "one process against one grep": (our_rate / grep_rate, target),
        f"{workers} worker processes against one": (parallel_rate / our_rate, 1.8),
        f"{workers} worker processes against {workers} greps": (parallel_rate / grep_parallel_rate, None),
    }

    sample = (DATA / FILES[0][0]).read_bytes()[:BLOCK]
    engines = [] if args.skip_engines else compare_engines(tokens, decoys, sample)

    lines = [
        "# Matcher benchmark",
        "",
        f"Dump: {mb:,.0f} MB in 4 files (CSV UTF-8, CSV GBK, JSON Lines, chat text), "
        f"{manifest['records']:,} records, {total_planted:,} planted decoy records, "
        f"{len(misses):,} near misses.",
        f"Decoys: {len(decoys):,} from the identity factory sharing "
        f"{len({d.phone for d in decoys}):,} canary phones; "
        f"{len(tokens):,} tokens (grep gets the same list, canonical spellings).",
        f"Density: {args.density} ({DENSITIES[args.density][0]:.5%} of records planted).",
        f"Matcher build, in a fresh process streaming the decoys as database rows: {build['seconds']:.1f} s "
        f"({build['cpu']:.1f} CPU s; {matcher.token_count:,} literals + {matcher.trigger_count:,} folding "
        f"triggers), peak RSS {build['peak_rss_mb']:,.0f} MB ({build['rss_before_mb']:,.0f} MB before "
        f"the build); pickled {len(blob) / 1e6:.0f} MB, loads in {load_seconds:.2f} s.",
        f"Update without a rebuild: a campaign of {update['size']:,} decoys added in {update['add']:.2f} s, "
        f"one of {update['size']:,} ended in {update['end']:.3f} s; the added found "
        f"{update['new found']}/200, the ended {update['ended found']}/200; answers "
        + (
            "not compared with a full rebuild (too big)"
            if update["same as rebuild"] is None
            else ("identical to" if update["same as rebuild"] else "DIFFERENT from") + " a full rebuild's"
        )
        + ".",
        f"Files in the page cache; GNU grep with LC_ALL=C, its output piped to this script. Ours is the "
        f"product's scan path, every result located. Best of {args.rounds} rounds, contenders in turns.",
        "",
        "| contender | processes | seconds | MB/s |",
        "| --- | ---: | ---: | ---: |",
        f"| ours: each file read whole, scanned as `scan_document` does | 1 | {our_seconds:.1f} "
        f"| {our_rate:,.0f} |",
        f"| ours: the scan tasks' {CHUNK_BYTES >> 20} MB parts on worker processes (results "
        f"{'identical' if parallel_same else 'DIFFERENT'}) | {workers} | {parallel_seconds:.1f} "
        f"| {parallel_rate:,.0f} |",
        f"| grep -F -n -f tokens.txt | 1 | {grep_seconds:.1f} | {grep_rate:,.0f} |",
        f"| grep, less its {grep_setup:.1f} s pattern set-up | 1 | {grep_seconds - grep_setup:.1f} "
        f"| {grep_scan_rate:,.0f} |",
        f"| one grep per file, {workers} at a time | {workers} | {grep_parallel_seconds:.1f} "
        f"| {grep_parallel_rate:,.0f} |",
        "",
        "Ratios: "
        + "; ".join(
            f"{name}: **{ratio:.2f}×**"
            + ("" if goal is None else f" (target ≥ {goal}×: {'met' if ratio >= goal else 'not met'})")
            for name, (ratio, goal) in ratios.items()
        )
        + ".",
        "",
        f"Recall: ours {ours_found:,}/{total_planted:,} ({100 * ours_found / total_planted:.2f} %); "
        f"grep {sum(r['grep'] for r in by_variant.values()):,}/{total_planted:,}. "
        f"On the {unseen:,} planted records grep cannot see: ours {ours_unseen:,} "
        f"({100 * ours_unseen / max(unseen, 1):.2f} %).",
        f"False positives: ours {our_strong_fp:,} strong matches on unplanted lines, {our_near_miss:,} on "
        f"the {len(misses):,} near misses; grep {grep_fp:,} unplanted lines "
        f"({grep_near_miss:,} of them near misses).",
        f"Weak matches on random records (a masked name and a masked phone that both fit one of ≤ 3 decoys "
        f"by chance): {our_weak_random:,}.",
        "",
        "| spelling | planted | ours | strength right | grep | unseen by grep | ours on unseen |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for variant in sorted(by_variant):
        r = by_variant[variant]
        lines.append(
            f"| {variant} | {r['planted']} | {r['ours']} | {r['ours right strength']} | {r['grep']} | "
            f"{r['unseen by grep']} | {r['ours on unseen']} |"
        )
    lines += [
        "",
        f"Engines, literal search of the same {len(tokens):,} tokens in the first {len(sample) / 1e6:.0f} MB "
        "(no normalisation):",
        "",
        "| engine | build s | MB/s |",
        "| --- | ---: | ---: |",
        *(f"| {name} | {built:.1f} | {rate:,.0f} |" for name, built, rate in engines),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    OUT.mkdir(exist_ok=True)
    (OUT / "matcher.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
