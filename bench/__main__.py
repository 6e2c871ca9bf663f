"""Every benchmark of issues 13 and 25 in one run, and one table of ratios against their targets.

The four ratios of issue 25, each taken between measurements of the same run: the CDS call's own
time (``Server-Timing``, RS384 JWT verified) against ``json.loads`` of its body; the p99 at 200
calls/s against the median of the same calls sent one at a time; ``score``'s CPU against an
orjson round trip of its input and output; sync's CPU per patient against ``score``'s.

    bench/run [--quick] [--only cds,score,sync] [--write-readme]
    uv run python -m bench ...

``--quick`` shortens every part (a 20 s load instead of 5 minutes, fewer patients, PostgreSQL
only) for iterating; the figures in README.md come from a full run. Each part's rows are kept in
``bench/out/<part>.json``; the table shows every part's latest run, so ``--only`` redoes one part. ``--write-readme`` puts the
table between the ``bench:start`` and ``bench:end`` markers of README.md. Servers (spinemets
serve, HAPI, PostgreSQL) are started and stopped by each part; ports are in 56000-56999.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import cds_load  # noqa: E402
import score_bench  # noqa: E402
import sync_bench  # noqa: E402

README = HERE.parent / "README.md"
WORKERS = os.cpu_count() or 1  # one worker process per core, as docs/cds-hooks.md recommends
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
Row = tuple[str, str, str, str]  # what, measured, target, met


def _met(ok: bool) -> str:
    return "**met**" if ok else "not met"


def _shed(p99: float) -> str:
    """The shed calls' p99, or that admission control shed none (their p99 is then nan)."""
    return "none shed (503)" if math.isnan(p99) else f"shed (503) p99 {p99:.1f} ms"


def cds_rows(quick: bool) -> list[Row]:
    seconds = 20.0 if quick else 300.0
    payloads = cds_load.bodies(50)
    signer = cds_load.Signer.new("RS384")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        http = cds_load.run_http(signer=signer, payloads=payloads, rate=200.0, seconds=seconds,
                                 workers=WORKERS, tmp=tmp)  # fmt: skip
        local = cds_load.run_in_process(signer, payloads, 600, tmp)
    base = cds_load.loads_median(payloads) * 1000
    own = http.serial_own_p50 / base
    ratio = local.total / base
    growth = http.rss_after - http.rss_before
    return [
        ("CDS own time, in-process (RS384 JWT, 60-resource prefetch)",
         f"{local.total:.2f} ms = {ratio:.1f}× json.loads ({base:.3f} ms); verify {local.verify:.2f}, "
         f"parse {local.parse:.2f}, call {local.call:.2f}, serialise {local.serialise:.2f}",
         "≤ 10×", _met(ratio <= 10)),
        ("CDS own time (Server-Timing, RS384 JWT verified), calls one at a time",
         f"p50 {http.serial_own_p50:.2f} ms = {own:.1f}× json.loads ({base:.3f} ms); back to "
         f"back p50 {http.back_to_back_own_p50:.2f} ms = {http.back_to_back_own_p50 / base:.1f}×; "
         f"at 200/s p50 {http.own_p50:.2f}, p99 {http.own_p99:.2f} ms", "≤ 10×", _met(own <= 10)),
        (f"CDS HTTP at 200 calls/s for {seconds:g} s (vegeta, {WORKERS} workers): p99 against "
         "the same calls one at a time",
         f"p99 {http.p99:.1f} ms = {http.p99_over_serial:.1f}× one at a time (p50 "
         f"{http.serial_p50:.1f} ms); admitted (200) p99 {http.admitted_p99:.1f} ms = "
         f"{http.admitted_p99 / http.serial_p50:.1f}×, {_shed(http.shed_p99)}; "
         f"under load p50 {http.p50:.1f} ms, max {http.max:.0f} ms; "
         f"{http.sent} calls, {http.errors} errors {http.failures or ''}".rstrip(),
         "≤ 3×, no errors", _met(http.p99_over_serial <= 3 and http.errors == 0)),
        ("CDS server RSS before / after the run",
         f"{http.rss_before:.0f} / {http.rss_after:.0f} MB", "flat", _met(growth <= 0.1 * http.rss_before)),
    ]  # fmt: skip


def score_rows(quick: bool) -> list[Row]:
    rows = score_bench.measure(large=500 if quick else 2000, small=1000 if quick else 5000,
                               repeat=2 if quick else 3)  # fmt: skip
    out: list[Row] = []
    for r in rows:
        if r.name.endswith("5×"):
            continue
        target = "≤ 1.5×" if "--validate" not in r.name else "(opt-in)"
        met = _met(r.ratio <= 1.5) if "--validate" not in r.name else ""
        stdlib = f"; {r.seconds / r.stdlib_floor:.2f}× stdlib json" if r.stdlib_floor > 0 else ""
        out.append((f"spinemets {r.name}",
                    f"{r.ratio:.2f}× orjson floor ({r.seconds:.2f} s vs {r.floor:.2f} s CPU{stdlib}, "
                    f"{r.patients / r.seconds:.0f} patients/s)", target, met))  # fmt: skip
    large = next(r for r in rows if r.name.startswith("score, large") and not r.name.endswith("5×"))
    more = next(r for r in rows if r.name.endswith("5×"))
    out.append(("spinemets score peak RSS, large patients ×1 / ×5",
                f"{large.rss_mb:.0f} / {more.rss_mb:.0f} MB", "flat",
                _met(more.rss_mb <= 1.1 * large.rss_mb)))  # fmt: skip
    return out


def sync_rows(quick: bool) -> list[Row]:
    patients = 100 if quick else 500
    tag = format(int(time.time()) % 16**6, "06x")
    corpus = sync_bench.corpus(patients, tag)
    score_ms = sync_bench.score_cpu_ms(corpus, 2 if quick else 3)
    out: list[Row] = []
    results = [
        sync_bench.run_db(db, corpus, 4) for db in (("postgres",) if quick else ("postgres", "h2"))
    ]
    for r in results:
        for name, run in (("first", r.first), ("repeat", r.repeat)):
            ratio = run.cpu_ms / score_ms
            out.append((f"sync {name}, HAPI on {r.db} ({patients} patients)",
                        f"{ratio:.2f}× score's CPU/patient ({run.cpu_ms:.1f} vs {score_ms:.1f} ms); "
                        f"{run.per_second:.1f} patients/s", "≤ 2×", _met(ratio <= 2)))  # fmt: skip
    loads = ", ".join(f"{r.db} {r.load_s:.0f} s" for r in results)
    out.append((f"HAPI corpus load ({patients} patients, {patients * 60 // 1000}k resources)",
                loads, "reported", ""))  # fmt: skip
    return out


def markdown(rows: list[Row]) -> str:
    lines = ["| Bench | Measured | Target | |", "|---|---|---|---|"]
    lines += [f"| {what} | {measured} | {target} | {met} |" for what, measured, target, met in rows]
    return "\n".join(lines)


def write_readme(table: str) -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"bench: README.md has no {START} … {END} block")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for iterating")
    parser.add_argument("--only", default="cds,score,sync", help="comma-separated parts")
    parser.add_argument("--write-readme", action="store_true", help="update README.md's table")
    args = parser.parse_args()
    parts = {"cds": cds_rows, "score": score_rows, "sync": sync_rows}
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in parts]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    for part in chosen:
        print(f"bench: {part} ...", flush=True)
        started = time.perf_counter()
        rows = parts[part](args.quick)
        (out / f"{part}.json").write_text(json.dumps(rows))
        print(f"bench: {part} done in {time.perf_counter() - started:.0f} s", flush=True)
    # The table: each part's rows from its latest run (this one, or an earlier --only run).
    latest = [out / f"{p}.json" for p in parts if (out / f"{p}.json").exists()]
    table = markdown([tuple(row) for path in latest for row in json.loads(path.read_text())])
    print(table)
    (out / "results.md").write_text(table + "\n")
    if args.write_readme:
        write_readme(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
