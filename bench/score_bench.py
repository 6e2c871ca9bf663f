"""Benchmark of `spinemets score` on streamed NDJSON (issue: scoring engine).

Each variant runs in its own process on one core (taskset when available), so peak RSS is that
variant's own. Reported as ratios against `json.loads` + `json.dumps` of the same lines, measured
in the same run; absolute figures depend on the (shared, noisy) machine.

    uv run python bench/score_bench.py [--patients 10000]
    uv run python bench/score_bench.py --synthea 2026 --patients 200 --small 50

``--synthea SEED`` reads a Synthea corpus (scripts/synthea-corpus, cached) instead of the
synthetic generator: its ``resources.ndjson`` for the larger size, its first ``--small``
patients for the smaller one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import write_ndjson

from synthea.corpus import generate

BASELINE = """
import json, sys
with open(sys.argv[1], "rb") as f, open(os.devnull, "w") as out:
    for line in f:
        out.write(json.dumps(json.loads(line)))
"""


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{cmd} failed with status {status}")
    return elapsed, usage.ru_maxrss


def synthea_inputs(big: Path, small: Path, patients: int, few: int, seed: int) -> int:
    """The corpus's flat NDJSON, whole and cut after its first ``few`` patients; resources."""
    source = generate(patients, seed) / "resources.ndjson"
    shutil.copyfile(source, big)
    seen = 0
    with source.open("rb") as lines, small.open("wb") as out:
        for line in lines:
            if line.startswith(b'{"resourceType":"Patient"'):
                seen += 1
                if seen > few:
                    break
            out.write(line)
    with big.open("rb") as lines:
        return sum(1 for _ in lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument(
        "--small", type=int, default=2_000, help="second size, to show memory is flat"
    )
    parser.add_argument("--synthea", type=int, metavar="SEED", help="a Synthea corpus instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp, "big.ndjson"), Path(tmp, "small.ndjson")
        if args.synthea is None:
            resources = write_ndjson(big, args.patients)
            write_ndjson(small, args.small)
            kind = "synthetic"
        else:
            resources = synthea_inputs(big, small, args.patients, args.small, args.synthea)
            kind = f"Synthea corpus, seed {args.synthea}"
        size_mb = big.stat().st_size / 1e6
        print(f"input ({kind}): {args.patients} patients, {resources} resources "
              f"({resources / args.patients:.0f}/patient), {size_mb:.0f} MB NDJSON")  # fmt: skip
        py = sys.executable
        base = ["-c", "import os\n" + BASELINE]
        score = ["-m", "adapter.cli", "score", "--now", "2025-01-01T00:00:00Z"]
        rows = [
            ("json.loads + json.dumps", run([py, *base, str(big)])),
            ("spinemets score --no-validate", run([py, *score, "--no-validate", str(big)])),
            ("spinemets score (R4B-validated)", run([py, *score, str(big)])),
            (f"spinemets score --no-validate, {args.small} patients", run([py, *score, "--no-validate", str(small)])),
        ]  # fmt: skip
        base_s = rows[0][1][0]
        print(
            f"{'variant':<48}{'seconds':>9}{'patients/s':>12}{'× baseline':>12}{'peak RSS MB':>13}"
        )
        for name, (secs, rss) in rows:
            n = args.small if name.endswith(f"{args.small} patients") else args.patients
            print(
                f"{name:<48}{secs:>9.2f}{n / secs:>12.0f}{secs / base_s * args.patients / n:>12.2f}{rss / 1024:>13.0f}"
            )


if __name__ == "__main__":
    main()
