"""Benchmark of `spinemets batch` (issue 14): a synthetic Bulk Data export scored in one process,
in a pool of every local core, and on a two-worker local Dask cluster.

    uv run python bench/batch_bench.py [--patients 20000] [--export DIR] [--partitions N]

The export (bench/synth.py, about 60 resources a patient, NDJSON files per type) is written to
``--export`` (kept, and reused when it already holds that many patients) or a temporary folder.
Each engine runs the same `run_batch` in this process; the memory of the process tree is sampled
every 0.1 s (psutil), so "peak per worker" is the largest RSS of one worker process. The estimate
for 10 and 100 workers uses the measured per-task costs of the one-process run (see docs/batch.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from synth import write_export

from adapter.batch.engines import DaskEngine, LocalEngine, local_cores
from adapter.batch.run import Options, run_batch
from adapter.fhir.read.timing import parse_time

NOW = "2025-01-01T00:00:00Z"
MIB = 1 << 20


class Sampler:
    """Peak RSS and CPU seconds of every process under this one, sampled in a thread."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.spawned: set[int] = set()  # multiprocessing's workers (not its resource tracker)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for proc in [me, *me.children(recursive=True)]:
                try:
                    rss, cpu = proc.memory_info().rss, proc.cpu_times()
                    if proc.pid not in self.peaks and "spawn_main" in " ".join(proc.cmdline()):
                        self.spawned.add(proc.pid)
                except psutil.Error:
                    continue
                self.peaks[proc.pid] = max(self.peaks.get(proc.pid, 0), rss)
                self.cpu[proc.pid] = cpu.user + cpu.system
            time.sleep(0.1)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Timed:
    """An engine whose stages are timed from the first task sent to the last result back."""

    def __init__(self, engine) -> None:
        self.engine, self.description, self.stages = engine, engine.description, {}

    def map(self, fn, items, *, stage):
        start = time.perf_counter()
        yield from self.engine.map(fn, items, stage=stage)
        self.stages[stage] = time.perf_counter() - start

    def close(self) -> None:
        self.engine.close()


def export_for(patients: int, directory: Path | None) -> tuple[Path, int]:
    """The export of ``patients`` synthetic patients, and its size in bytes."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="spinemets-batch-bench-"))
    marker = directory / ".patients"
    if not (marker.exists() and marker.read_text() == str(patients)):
        shutil.rmtree(directory, ignore_errors=True)
        started = time.perf_counter()
        count = write_export(directory, patients)
        marker.write_text(str(patients))
        print(
            f"export: {patients} patients, {count} resources in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
    return directory, sum(p.stat().st_size for p in directory.glob("*.ndjson"))


def dask_cluster(workers: int):
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
        scheduler_port=57401,
        worker_port="57410:57429",
        port="57430:57449",
    )


def measure(name: str, engine, worker_pids, export: Path, partitions: int | None) -> dict:
    timed = Timed(engine)
    output = Path(tempfile.mkdtemp(prefix="spinemets-batch-out-"))
    cpu_before = time.process_time()
    try:
        with Sampler() as sampler:
            started = time.perf_counter()
            summary = run_batch(
                export,
                output,
                engine=timed,
                options=Options(now=parse_time(NOW), partitions=partitions),
            )
            wall = time.perf_counter() - started
            own_cpu = time.process_time() - cpu_before
    finally:
        timed.close()
        shutil.rmtree(output, ignore_errors=True)
    pids = worker_pids(sampler) or [os.getpid()]
    load = os.getloadavg()[0]
    row = {
        "engine": name,
        "workers": len(pids),
        "patients": summary.patients,
        "partitions": summary.partitions,
        "chunks": summary.chunks,
        "wall_s": wall,
        "shard_s": timed.stages["shard"],
        "score_s": timed.stages["score"],
        "patients_per_s": summary.patients / wall,
        "peak_worker_mib": max(sampler.peaks.get(p, 0) for p in pids) / MIB,
        "peak_driver_mib": sampler.peaks.get(os.getpid(), 0) / MIB,
        "shuffle_mb": summary.shuffled / 1e6,
        "resources_read": summary.lines,
        "worker_cpu_s": own_cpu
        if pids == [os.getpid()]
        else sum(sampler.cpu.get(p, 0.0) for p in pids),
        "load_1min": load,
    }
    print(
        json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}),
        flush=True,
    )
    return row


def pool_workers(sampler: Sampler) -> list[int]:
    return sorted(sampler.spawned)


def _noop(item: int) -> int:
    return item


def task_overhead(engine: DaskEngine, tasks: int = 2000) -> float:
    """Seconds a Dask task costs the cluster beyond its own work (scheduling, round trips)."""
    started = time.perf_counter()
    for _ in engine.map(_noop, list(range(tasks)), stage="noop"):
        pass
    return (time.perf_counter() - started) / tasks


def estimate(
    one: dict,
    dask: dict,
    export_bytes: int,
    workers: int,
    partitions: int,
    overhead: float,
    fs_mb_s: float,
) -> tuple[float, float, float]:
    """(compute, I/O, scheduling) seconds on ``workers`` Dask workers of one core each, for the
    same export cut in ``partitions``.

    Compute: the CPU seconds the 2-worker Dask run spent (Dask workers spend more per patient
    than a plain process), shared between the passes as in the one-process run, each pass split
    over min(workers, its tasks). I/O: the time past that compute to read the export once, and to
    write and read the shuffle once, through a shared filesystem of ``fs_mb_s`` MB/s in all.
    Scheduling: ``overhead`` per task, serial on the scheduler."""
    chunks = max(1, math.ceil(export_bytes / min(32 * MIB, max(MIB, export_bytes / partitions))))
    shard_part = one["shard_s"] / (one["shard_s"] + one["score_s"])
    shard_cpu = dask["worker_cpu_s"] * shard_part / min(workers, chunks)
    score_cpu = dask["worker_cpu_s"] * (1 - shard_part) / min(workers, partitions)
    shard = max(shard_cpu, export_bytes / 1e6 / fs_mb_s)
    score = max(score_cpu, 2 * one["shuffle_mb"] / fs_mb_s)
    return (
        shard_cpu + score_cpu,
        max(0.0, shard + score - shard_cpu - score_cpu),
        overhead * (chunks + partitions),
    )


def run_engines(args: argparse.Namespace) -> tuple[list[dict], int, float]:
    export, size = export_for(args.patients, args.export)
    print(f"export: {size / 1e6:.0f} MB in {len(list(export.glob('*.ndjson')))} files", flush=True)
    rows = [measure("1 process", LocalEngine(1), lambda _: [], export, args.partitions)]
    cores = local_cores()
    pool = LocalEngine(cores)
    rows.append(measure(f"{cores} local processes", pool, pool_workers, export, args.partitions))
    with dask_cluster(2) as cluster:
        engine = DaskEngine(cluster.scheduler_address)
        pids = list(engine._client.run(os.getpid).values())
        overhead = task_overhead(engine)
        print(json.dumps({"export_bytes": size, "task_overhead_s": overhead}), flush=True)
        rows.append(measure("Dask, 2 workers", engine, lambda _: pids, export, args.partitions))
    return rows, size, overhead


def from_log(path: Path) -> tuple[list[dict], int, float]:
    """The rows of an earlier run, from its log (its JSON lines)."""
    rows, size, overhead = [], 0, 0.0
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            if "engine" in item:
                rows.append(item)
            else:
                size, overhead = item["export_bytes"], item["task_overhead_s"]
    return rows, size, overhead


def report(rows: list[dict], size: int, overhead: float, fs_mb_s: float) -> None:
    base = rows[0]["patients_per_s"]
    print(
        "\n| Engine | Workers | Wall s | Shard s | Score s | Patients/s | Efficiency | CPU ms/patient | Peak RSS/worker MiB | Load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        eff = r["patients_per_s"] / base / r["workers"]
        print(
            f"| {r['engine']} | {r['workers']} | {r['wall_s']:.1f} | {r['shard_s']:.1f} | {r['score_s']:.1f} | "
            f"{r['patients_per_s']:.0f} | {eff:.0%} | {r['worker_cpu_s'] / r['patients'] * 1000:.2f} | "
            f"{r['peak_worker_mib']:.0f} | {r['load_1min']:.1f} |"
        )
    one, dask = rows[0], rows[-1]
    print(
        f"\nshuffle: {one['shuffle_mb']:.0f} MB of {size / 1e6:.0f} MB exported; {one['partitions']} partitions, "
        f"{one['chunks']} chunks; Dask overhead {overhead * 1000:.1f} ms a task"
    )
    print(
        f"\n| Workers | Partitions | Compute s | I/O wait s ({fs_mb_s:.0f} MB/s) | Scheduling s | Wall s | Patients/s | Efficiency |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rate_1 = one["patients"] / sum(
        estimate(one, dask, size, 1, one["partitions"], overhead, fs_mb_s)
    )
    for workers in (1, 2, 10, 100):
        partitions = max(one["partitions"], 4 * workers)
        parts = estimate(one, dask, size, workers, partitions, overhead, fs_mb_s)
        rate = one["patients"] / sum(parts)
        print(
            f"| {workers} | {partitions} | {parts[0]:.1f} | {parts[1]:.1f} | {parts[2]:.1f} | {sum(parts):.1f} | "
            f"{rate:.0f} | {rate / rate_1 / workers:.0%} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--export", type=Path, help="keep the export here (reused if it matches)")
    parser.add_argument("--partitions", type=int, help="default: from the export's size")
    parser.add_argument("--fs-mb-s", type=float, default=500.0, help="shared filesystem (estimate)")
    parser.add_argument("--from-log", type=Path, help="the tables of an earlier run's log")
    args = parser.parse_args()
    rows, size, overhead = from_log(args.from_log) if args.from_log else run_engines(args)
    report(rows, size, overhead, args.fs_mb_s)


if __name__ == "__main__":
    main()
