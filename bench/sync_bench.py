"""Benchmark of `spinemets sync` against a local HAPI FHIR server (issue 13, part 3).

Loads N synthetic patients (~60 resources each) into HAPI, syncs them all (first sync: every
output written), then again (repeat: nothing to write), and reports patients/s and spinemets'
own CPU per patient: the CPU time of this process (every thread) over the sync, divided by the
patients. That is compared with the CPU per patient of ``spinemets score`` on the same patients
as NDJSON (start-up taken off), so the ratio does not improve just because the server is slow.

The server runs on H2 (HAPI's in-memory default, the tests' database) or on PostgreSQL from
Debian's packages (bench/postgres, started and stopped here; never by CI); the corpus load time
is reported for each.

    uv run python bench/sync_bench.py [--patients 500] [--db postgres|h2|both]
    uv run python bench/sync_bench.py --fhir-server http://127.0.0.1:8090/fhir
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from score_bench import NOW, best, first_patients, score_cmd  # noqa: E402
from synth import patient_resources  # noqa: E402
from tools import free_port  # noqa: E402

from adapter.fhir.client import FhirClient, FhirServerSettings  # noqa: E402
from adapter.fhir.read.timing import parse_time  # noqa: E402
from adapter.heap import settle  # noqa: E402
from adapter.mapping.terminology import default_terminology  # noqa: E402
from adapter.sync.runner import Summary, sync_patients  # noqa: E402


def corpus(patients: int, tag: str) -> list[list[dict]]:
    """Each patient's resources, with ids unique to this run."""
    rnd = random.Random(11)
    out = []
    for n in range(patients):
        text = json.dumps(list(patient_resources(n, rnd))).replace("bench-", f"bench{tag}-")
        out.append(json.loads(text))
    return out


async def load(base: str, patients: list[list[dict]]) -> list[str]:
    """PUT transactions of ~600 resources; the patients' ids."""
    ids: list[str] = []
    batch: list[dict] = []
    async with httpx.AsyncClient(timeout=600) as http:
        for n, resources in enumerate(patients):
            for resource in resources:
                url = f"{resource['resourceType']}/{resource['id']}"
                batch.append({"resource": resource, "request": {"method": "PUT", "url": url}})
            ids.append(resources[0]["id"])
            if len(batch) >= 600 or n == len(patients) - 1:
                answer = await http.post(
                    base, json={"resourceType": "Bundle", "type": "transaction", "entry": batch}
                )
                answer.raise_for_status()
                batch = []
    return ids


async def sync_all(base: str, ids: list[str], concurrency: int) -> Summary:
    settings = FhirServerSettings(
        base_url=base, timeout=120, max_connections=max(8, 5 * concurrency)
    )
    now = parse_time(NOW)
    assert now is not None
    async with FhirClient.connect(settings) as client:
        return await sync_patients(
            client, default_terminology(), ids, now=now, concurrency=concurrency
        )


@dataclass(frozen=True)
class SyncRun:
    patients: int
    wall: float
    cpu: float
    summary: str

    @property
    def per_second(self) -> float:
        return self.patients / self.wall

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.patients


def warm_up(base: str, concurrency: int) -> None:
    """Start-up outside the timing, as for score: terminology, imports, the first client; then
    the collector settled as `spinemets sync` settles it (adapter/heap.py: what lives on frozen,
    a larger young generation; here freezing also keeps the corpus, which the command never
    holds, from being walked by every collection)."""
    default_terminology()
    asyncio.run(sync_all(base, [], concurrency))
    settle()


def timed_sync(base: str, ids: list[str], concurrency: int) -> SyncRun:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    summary = asyncio.run(sync_all(base, ids, concurrency))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if summary.failed:
        raise SystemExit("\n".join(summary.lines()[:5]))
    return SyncRun(len(ids), wall, cpu, summary.lines()[0])


def score_cpu_ms(patients: list[list[dict]], repeat: int) -> float:
    """CPU per patient of ``spinemets score`` on the same resources (start-up taken off)."""
    with tempfile.TemporaryDirectory() as name:
        path, one = Path(name, "all.ndjson"), Path(name, "one.ndjson")
        with path.open("w") as out:
            for resources in patients:
                for resource in resources:
                    out.write(json.dumps(resource, separators=(",", ":")) + "\n")
        first_patients(path, one, 1)
        cpu = best(score_cmd(path), repeat).cpu - best(score_cmd(one), repeat).cpu
    return 1000 * cpu / len(patients)


@dataclass(frozen=True)
class DbResult:
    db: str
    load_s: float
    first: SyncRun
    repeat: SyncRun


def hapi(action: str, port: int, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        [str(ROOT / "scripts" / "hapi"), action, "--port", str(port)],
        check=action == "start", stdout=subprocess.DEVNULL, env=env,
    )  # fmt: skip


def postgres(action: str, *args: str) -> dict[str, str]:
    """bench/postgres start|stop; the SPRING_* settings it prints."""
    out = subprocess.run(
        [str(ROOT / "bench" / "postgres"), action, *args],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in out.splitlines() if line.startswith("SPRING_"))


def run_db(db: str, patients: list[list[dict]], concurrency: int, log=print) -> DbResult:
    """Start HAPI on ``db``, load, sync twice, stop everything."""
    port = free_port()
    env = dict(os.environ)
    started_pg = False
    if db == "postgres":
        env |= postgres("start", "--port", str(free_port(exclude=port)))
        started_pg = True
        env.setdefault("HAPI_JAVA_OPTS", "-Xmx2g -XX:+UseParallelGC")
    else:
        # H2 keeps the database in HAPI's heap: the tests' 1 GB thrashes at 100k resources.
        env.setdefault("HAPI_JAVA_OPTS", "-Xmx6g -XX:+UseParallelGC")
    try:
        log(f"sync bench: starting HAPI on {db} (port {port}) ...")
        hapi("start", port, env)
        base = f"http://127.0.0.1:{port}/fhir"
        started = time.perf_counter()
        ids = asyncio.run(load(base, patients))
        load_s = time.perf_counter() - started
        log(f"sync bench: {db}: loaded {len(ids)} patients in {load_s:.0f} s; syncing ...")
        warm_up(base, concurrency)
        first = timed_sync(base, ids, concurrency)
        repeat = timed_sync(base, ids, concurrency)
        return DbResult(db, load_s, first, repeat)
    finally:
        hapi("stop", port)
        if started_pg:
            postgres("stop")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4, help="as spinemets sync's default")
    parser.add_argument("--db", choices=("postgres", "h2", "both"), default="both")
    parser.add_argument("--fhir-server", help="an already running server (loaded here)")
    args = parser.parse_args()
    tag = format(random.randrange(16**6), "06x")
    patients = corpus(args.patients, tag)
    score_ms = score_cpu_ms(patients, 3)
    results = []
    if args.fhir_server:
        started = time.perf_counter()
        ids = asyncio.run(load(args.fhir_server, patients))
        load_s = time.perf_counter() - started
        warm_up(args.fhir_server, args.concurrency)
        results.append(DbResult("given", load_s, timed_sync(args.fhir_server, ids, args.concurrency),
                                timed_sync(args.fhir_server, ids, args.concurrency)))  # fmt: skip
    else:
        for db in ("postgres", "h2") if args.db == "both" else (args.db,):
            results.append(run_db(db, patients, args.concurrency))
    print(table(results, score_ms, args.patients))


def table(results: list[DbResult], score_ms: float, patients: int) -> str:
    out = [f"spinemets score: {score_ms:.2f} ms CPU per patient ({patients} patients, ~60 resources)",
           f"{'database':<10}{'load s':>8}{'run':>8}{'patients/s':>12}{'CPU ms/patient':>16}{'× score':>9}"]  # fmt: skip
    for r in results:
        for name, run in (("first", r.first), ("repeat", r.repeat)):
            out.append(f"{r.db:<10}{r.load_s:>8.0f}{name:>8}{run.per_second:>12.1f}"
                       f"{run.cpu_ms:>16.2f}{run.cpu_ms / score_ms:>9.2f}")  # fmt: skip
    return "\n".join(out)


if __name__ == "__main__":
    main()
