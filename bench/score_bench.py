"""Benchmark of `spinemets score` against the JSON floor (issue 13, part 2).

The floor is what any program that reads the input and writes the output must at least do in
Python: ``orjson.loads`` + ``orjson.dumps`` (issue 25; stdlib ``json`` in issue 13, still shown)
of every input line, and of the output Bundle spinemets wrote, measured in the same run. Every variant runs in its own process on one core
(taskset when available); a variant's cost is the CPU time of that process (user + system,
from ``wait4``, so the other work on a shared machine does not count) minus the same command's
start-up, measured on a one-patient input. Each is repeated and the least kept. Peak RSS is the
process's own; it is measured at two input sizes to show that memory stays flat.

    uv run python bench/score_bench.py [--large 2000] [--small 5000] [--repeat 3]
    uv run python bench/score_bench.py --synthea 2026 --large 200

``--synthea SEED`` scores a Synthea corpus (scripts/synthea-corpus, cached; ~150 resources a
patient) as the large input instead of the synthetic one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import write_ndjson

# The floor of issue 25: orjson, the fastest JSON in Python, reading every input line and the
# output written and writing them again; "json" is the stdlib floor of the earlier round, kept
# beside it for comparison.
FLOOR = """
import os, sys
if sys.argv[3] == "orjson":
    import orjson
    loads, dumps = orjson.loads, orjson.dumps
    out = open(os.devnull, "wb")
else:
    import json
    loads, dumps = json.loads, json.dumps
    out = open(os.devnull, "w")
with open(sys.argv[1], "rb") as lines:
    for line in lines:
        out.write(dumps(loads(line)))
    with open(sys.argv[2], "rb") as written:
        out.write(dumps(loads(written.read())))
"""
NOW = "2025-01-01T00:00:00Z"


@dataclass(frozen=True)
class Run:
    cpu: float  # seconds of user + system CPU
    rss_mb: float  # peak resident set


@dataclass(frozen=True)
class Row:
    name: str
    patients: int
    resources: int
    seconds: float  # CPU, start-up taken off
    floor: float  # the orjson floor's CPU for the same input and output, start-up taken off
    rss_mb: float
    stdlib_floor: float = float("nan")  # the same with the stdlib json module

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor


def run(cmd: list[str], stdout: Path | None = None) -> Run:
    """CPU seconds and peak RSS of one child process (pinned to one core when possible).

    The peak is the process's VmHWM, read until it exits: ``ru_maxrss`` would also count the
    moment between fork and exec, when the child is a copy of this (larger) process.
    """
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    peak_kib = 0
    with open(stdout or os.devnull, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out)
        while True:
            peak_kib = _high_water(proc.pid) or peak_kib  # the last reading: the final image's
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.02)
    if status != 0:
        raise SystemExit(f"{cmd} failed with status {status}")
    return Run(usage.ru_utime + usage.ru_stime, peak_kib / 1024)


def _high_water(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def best(cmd: list[str], repeat: int, stdout: Path | None = None) -> Run:
    runs = [run(cmd, stdout) for _ in range(repeat)]
    return Run(min(r.cpu for r in runs), max(r.rss_mb for r in runs))


def score_cmd(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "adapter.cli", "score", "--now", NOW, *extra, str(path)]


def floor_cmd(path: Path, output: Path, parser: str = "orjson") -> list[str]:
    return [sys.executable, "-c", FLOOR, str(path), str(output), parser]


def lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def first_patients(source: Path, target: Path, count: int) -> None:
    """The lines of the first ``count`` patients of an NDJSON file (Patient lines start one)."""
    seen = 0
    with source.open("rb") as src, target.open("wb") as out:
        for line in src:
            if line.startswith(b'{"resourceType":"Patient"'):
                seen += 1
                if seen > count:
                    break
            out.write(line)


def measure_size(
    label: str, path: Path, patients: int, tmp: Path, repeat: int, validate: bool
) -> list[Row]:
    """Default and (optionally) --validate against the floor for one input file."""
    one = tmp / f"{label}-one.ndjson"
    first_patients(path, one, 1)
    out, out_one = tmp / f"{label}.out.json", tmp / f"{label}-one.out.json"
    start = best(score_cmd(one), repeat, out_one).cpu
    default = best(score_cmd(path), repeat, out)
    floor = best(floor_cmd(path, out), repeat).cpu - best(floor_cmd(one, out_one), repeat).cpu
    stdlib = (
        best(floor_cmd(path, out, "json"), repeat).cpu
        - best(floor_cmd(one, out_one, "json"), repeat).cpu
    )
    resources = lines(path)
    rows = [
        Row(f"score, {label}", patients, resources, default.cpu - start, floor, default.rss_mb,
            stdlib)
    ]  # fmt: skip
    if validate:
        checked = run(score_cmd(path, "--validate"))
        start_checked = best(score_cmd(one, "--validate"), repeat).cpu
        rows.append(
            Row(f"score --validate, {label}", patients, resources,
                checked.cpu - start_checked, floor, checked.rss_mb)
        )  # fmt: skip
    return rows


def measure(
    *, large: int, small: int, repeat: int, validate: bool = True, synthea: int | None = None
) -> list[Row]:
    """The score bench's rows: small and large patients, and large at 5× the count (memory)."""
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        big, little, more = tmp / "large.ndjson", tmp / "small.ndjson", tmp / "large5.ndjson"
        if synthea is None:
            write_ndjson(big, large)
            write_ndjson(more, 5 * large)
            label = "large (60 resources)"
        else:
            from synthea.corpus import generate

            source = generate(5 * large, synthea) / "resources.ndjson"
            first_patients(source, big, large)
            shutil.copyfile(source, more)
            label = f"Synthea seed {synthea}"
        write_ndjson(little, small, size="small")
        rows = measure_size("small (12 resources)", little, small, tmp, repeat, validate)
        rows += measure_size(label, big, large, tmp, repeat, validate)
        rows += measure_size(f"{label}, 5×", more, 5 * large, tmp, 1, validate=False)
    return rows


def table(rows: list[Row]) -> str:
    out = [f"{'variant':<46}{'patients':>9}{'CPU s':>8}{'patients/s':>11}"
           f"{'floor s':>9}{'× floor':>9}{'peak RSS MB':>12}"]  # fmt: skip
    for r in rows:
        out.append(f"{r.name:<46}{r.patients:>9}{r.seconds:>8.2f}{r.patients / r.seconds:>11.0f}"
                   f"{r.floor:>9.2f}{r.ratio:>9.2f}{r.rss_mb:>12.0f}")  # fmt: skip
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=2000, help="patients of ~60 resources")
    parser.add_argument("--small", type=int, default=5000, help="patients of 12 resources")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-validate-row", action="store_true", help="skip --validate runs")
    parser.add_argument("--synthea", type=int, metavar="SEED", help="a Synthea corpus as large")
    args = parser.parse_args()
    rows = measure(large=args.large, small=args.small, repeat=args.repeat,
                   validate=not args.no_validate_row, synthea=args.synthea)  # fmt: skip
    print(table(rows))


if __name__ == "__main__":
    main()
