"""Load benchmark of the CDS service: patient-view at a fixed rate against `spinemets serve`.

The service runs in its own process on loopback (SPINEMETS_BENCH=1 makes it report its own time
per request in a Server-Timing header; access log off). This process is the load generator: an
open loop that starts one request every 1/rate seconds whatever the previous ones are doing, so a
slow service cannot slow the offered load (latency counts from the intended start). Each body
carries a realistic prefetch (~60 resources, bench/synth.py). The service's own time is compared
with `json.loads` of the same bodies, measured in this run.

    uv run python bench/cds_load.py [--rate 100] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import patient_resources


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _searchset(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}  # fmt: skip


def bodies(count: int) -> list[bytes]:
    rnd = random.Random(11)
    out = []
    for n in range(count):
        resources = list(patient_resources(n, rnd))
        patient = next(r for r in resources if r["resourceType"] == "Patient")
        body = {
            "hook": "patient-view",
            "hookInstance": f"00000000-0000-4000-8000-{n:012d}",
            "context": {"userId": "Practitioner/bench", "patientId": patient["id"]},
            "prefetch": {
                "patient": patient,
                "conditions": _searchset(
                    [r for r in resources if r["resourceType"] == "Condition"]
                ),
                "observations": _searchset(
                    [r for r in resources if r["resourceType"] == "Observation"]
                ),
            },
        }
        out.append(json.dumps(body).encode())
    return out


def loads_time(body: bytes, repeat: int = 200) -> float:
    """Median seconds of json.loads on one body."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        json.loads(body)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(base: str, payloads: list[bytes], rate: float, seconds: float) -> dict:
    total = int(rate * seconds)
    latencies: list[float] = []
    own: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as client:
        # Warm up: first calls pay lazy imports and connection set-up.
        for payload in payloads[:20]:
            await client.post("/cds-services/spinemets-scores", content=payload,
                              headers={"content-type": "application/json"})  # fmt: skip
        t0 = time.perf_counter() + 0.1

        async def one(i: int) -> None:
            due = t0 + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            try:
                response = await client.post(
                    "/cds-services/spinemets-scores", content=payloads[i % len(payloads)],
                    headers={"content-type": "application/json"},
                )  # fmt: skip
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                return
            latencies.append(time.perf_counter() - due)
            if response.status_code != 200 or not response.json()["cards"]:
                errors.append(str(response.status_code))
            timing = response.headers.get("server-timing", "")
            if "dur=" in timing:
                own.append(float(timing.split("dur=")[1]) / 1000)

        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - t0
    return {"sent": total, "ok": len(latencies) - len(errors), "errors": errors,
            "elapsed": elapsed, "latencies": latencies, "own": own}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--patients", type=int, default=50)
    args = parser.parse_args()

    payloads = bodies(args.patients)
    prefetches = [json.loads(p)["prefetch"] for p in payloads]
    sizes = [
        1 + len(f["conditions"]["entry"]) + len(f["observations"]["entry"]) for f in prefetches
    ]
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEMETS_")}
    env |= {"SPINEMETS_BENCH": "1", "SPINEMETS_ACCESS_LOG": "false"}
    script = Path(sys.executable).with_name("spinemets")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapter.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    httpx.get(f"{base}/cds-services", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            result = asyncio.run(load(base, payloads, args.rate, args.seconds))
        finally:
            server.terminate()
            server.wait(10)

    baseline = statistics.median(loads_time(p) for p in payloads)
    lat, own = result["latencies"], result["own"]
    own_median = statistics.median(own)
    print(f"prefetch: {statistics.mean(sizes):.0f} resources, "
          f"{statistics.mean(len(p) for p in payloads) / 1024:.0f} KiB per request")  # fmt: skip
    print(f"offered: {args.rate:.0f} req/s for {args.seconds:.0f} s = {result['sent']} requests")
    throughput = result["ok"] / result["elapsed"]
    print(f"throughput: {throughput:.1f} req/s, errors: {len(result['errors'])}")
    print(f"latency (from intended start): p50 {_pct(lat, 0.5) * 1000:.2f} ms, "
          f"p99 {_pct(lat, 0.99) * 1000:.2f} ms, max {max(lat) * 1000:.2f} ms")  # fmt: skip
    print(f"service own time: p50 {own_median * 1000:.2f} ms, "
          f"p99 {_pct(own, 0.99) * 1000:.2f} ms")  # fmt: skip
    print(f"json.loads of the same body: {baseline * 1000:.3f} ms (median)")
    print(f"ratio own time / json.loads: {own_median / baseline:.1f}x (target <= 10x)")
    print(f"target p99 < 50 ms: {'met' if _pct(lat, 0.99) < 0.05 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
