"""Benchmark of `spinemets sync` against a local HAPI FHIR server (issue: sync).

Loads N synthetic patients (~60 resources each) into the server, then syncs them all and reports
patients/s and how the wall time splits between spinemets' own CPU (this process) and waiting
on the server. Starts its own server from hapi/ unless --fhir-server is given.

    uv run python bench/sync_bench.py [--patients 2000] [--concurrency 8]
    uv run python bench/sync_bench.py --synthea 2026 --patients 100

``--synthea SEED`` loads a Synthea corpus (scripts/synthea-corpus, cached) instead of the
synthetic patients: ~160 resources a patient, most of them (immunizations, wellness
encounters) never read by spinemets. Its ids are fixed, so against a reused server (given with
--fhir-server) the first sync may find the outputs already there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from synth import patient_resources  # noqa: E402

from adapter.fhir.client import FhirClient, FhirServerSettings  # noqa: E402
from adapter.mapping.terminology import default_terminology  # noqa: E402
from adapter.pipeline import now_time  # noqa: E402
from adapter.sync.runner import sync_patients  # noqa: E402
from synthea.corpus import generate  # noqa: E402
from synthea.load import patient_ids, transactions  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def load(base: str, patients: int, tag: str) -> list[str]:
    rnd = random.Random(11)
    ids: list[str] = []
    async with httpx.AsyncClient(timeout=600) as http:
        batch: list[dict] = []
        for n in range(patients):
            for resource in patient_resources(n, rnd):
                text = json.dumps(resource).replace("bench-", f"bench{tag}-")
                resource = json.loads(text)
                batch.append(
                    {
                        "resource": resource,
                        "request": {
                            "method": "PUT",
                            "url": f"{resource['resourceType']}/{resource['id']}",
                        },
                    }
                )
            ids.append(f"bench{tag}-{n}")
            if len(batch) >= 600 or n == patients - 1:
                answer = await http.post(
                    base, json={"resourceType": "Bundle", "type": "transaction", "entry": batch}
                )
                answer.raise_for_status()
                batch = []
    return ids


async def load_synthea(base: str, patients: int, seed: int) -> list[str]:
    corpus = generate(patients, seed)
    async with httpx.AsyncClient(timeout=600) as http:
        for bundle in transactions(corpus):
            answer = await http.post(base, json=bundle)
            answer.raise_for_status()
    return patient_ids(corpus)


async def sync_all(base: str, ids: list[str], concurrency: int):
    settings = FhirServerSettings(base_url=base, timeout=60, max_connections=5 * concurrency)
    async with FhirClient.connect(settings) as client:
        return await sync_patients(
            client, default_terminology(), ids, now=now_time(), concurrency=concurrency
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--fhir-server")
    parser.add_argument("--synthea", type=int, metavar="SEED", help="a Synthea corpus instead")
    args = parser.parse_args()
    port = None
    base = args.fhir_server
    if base is None:
        port = free_port()
        # H2 keeps the database in HAPI's heap: the tests' 1 GB thrashes at 120k resources.
        opts = os.environ.get("HAPI_JAVA_OPTS", "-Xmx6g -XX:+UseParallelGC")
        subprocess.run(
            [str(ROOT / "scripts" / "hapi"), "start", "--port", str(port)],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "HAPI_JAVA_OPTS": opts},
        )
        base = f"http://127.0.0.1:{port}/fhir"
    try:
        tag = format(random.randrange(16**6), "06x")
        if args.synthea is not None:
            generate(args.patients, args.synthea)  # outside the timing (cached after the first)
        started = time.perf_counter()
        if args.synthea is None:
            ids = asyncio.run(load(base, args.patients, tag))
        else:
            ids = asyncio.run(load_synthea(base, args.patients, args.synthea))
        print(f"loaded {len(ids)} patients in {time.perf_counter() - started:.0f} s", flush=True)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        summary = asyncio.run(sync_all(base, ids, args.concurrency))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(summary.lines()[0])
        print(f"sync: {len(ids) / wall:.1f} patients/s over {wall:.1f} s wall; spinemets' own CPU {cpu:.1f} s "
              f"= {100 * cpu / wall:.1f}% of wall, the rest waiting on the server")  # fmt: skip
        cpu0, wall0 = time.process_time(), time.perf_counter()
        again = asyncio.run(sync_all(base, ids, args.concurrency))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(again.lines()[0])
        print(
            f"repeat (nothing to write): {len(ids) / wall:.1f} patients/s; own CPU {100 * cpu / wall:.1f}% of wall"
        )
    finally:
        if port is not None:
            subprocess.run(
                [str(ROOT / "scripts" / "hapi"), "stop", "--port", str(port)],
                check=False,
                stdout=subprocess.DEVNULL,
            )


if __name__ == "__main__":
    main()
