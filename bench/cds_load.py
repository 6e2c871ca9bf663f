"""Load benchmark of the CDS service (issue 13, part 1): patient-view under an open-loop load.

``spinemets serve`` runs as documented for production (uvicorn with uvloop and httptools, one
worker process per core, client JWTs verified against a trusted issuer, the SQLite replay cache
the workers share), on loopback. ``vegeta`` (bench/tools.py) offers calls at a constant rate
whatever the service answers; each call carries a fresh signed JWT (every ``jti`` is accepted
once) and a ~60-resource prefetch (bench/synth.py). Reported: p50/p99/max latency, errors, the
service's own time per call (``Server-Timing``, SPINEMETS_BENCH=1) and the server's RSS before
and after the run; then the same calls in-process, without HTTP. Both own times are compared
with ``json.loads`` of the same bodies, measured in this run.

    uv run python bench/cds_load.py [--rate 200] [--seconds 30] [--alg RS384|ES384]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from math import nan
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cds_calls import SERVICE, Signer, bodies, loads_median, server_env
from tools import free_port, stop_group, tree_rss_mb, vegeta

SERIAL = 300  # calls sent one at a time: the latency the load's p99 is compared with


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def write_targets(path: Path, base: str, tokens: list[str], files: list[Path]) -> None:
    with path.open("w") as out:
        for i, token in enumerate(tokens):
            out.write(f"POST {base}{SERVICE}\nAuthorization: Bearer {token}\n"
                      f"Content-Type: application/json\n@{files[i % len(files)]}\n\n")  # fmt: skip


def attack(
    targets: Path, rate: float, seconds: float, results: Path, *, max_body: int = 0,
    one_at_a_time: bool = False,
) -> list[dict[str, Any]]:  # fmt: skip
    """vegeta at a constant rate; each result as vegeta encodes it (latency in ns), with the
    first ``max_body`` bytes of each answer. ``one_at_a_time``: one worker, so a call is sent
    only after the one before it is answered."""
    binary = str(vegeta())
    serial = ["-workers=1", "-max-workers=1"] if one_at_a_time else []
    subprocess.run(
        [binary, "attack", f"-targets={targets}", "-lazy", f"-rate={rate:g}/1s",
         f"-duration={seconds:g}s", f"-max-body={max_body}", "-timeout=30s", f"-output={results}",
         *serial],
        check=True,
    )  # fmt: skip
    encoded = subprocess.run(
        [binary, "encode", "--to=json", str(results)], check=True, capture_output=True
    ).stdout
    return [json.loads(line) for line in encoded.splitlines() if line.strip()]


def _server_ms(result: dict[str, Any]) -> float | None:
    headers = result.get("headers") or {}
    for name, values in headers.items():
        if name.lower() == "server-timing" and values and "dur=" in values[0]:
            return float(values[0].split("dur=")[1])
    return None


@dataclass(frozen=True)
class HttpResult:
    sent: int
    errors: int
    p50: float  # ms, from vegeta's send to the end of the response
    p99: float
    max: float
    own_p50: float  # ms, Server-Timing
    own_p99: float
    rss_before: float  # MB, the server and its workers, after the warm-up
    rss_after: float
    failures: dict[str, int]  # status (or vegeta's error) → calls
    serial_p50: float  # ms, the same calls sent one at a time, just before the load
    serial_own_p50: float  # ms, their Server-Timing: the service's own time, undisturbed
    # ms, Server-Timing of the same calls sent back to back (each as soon as the one before is
    # answered): the service's time with the processor kept busy, as json.loads is measured.
    # Shown beside the target's measure (one a call every 20 ms), never instead of it.
    back_to_back_own_p50: float = nan
    # ms: the p99 of the calls answered 200 (the "calls admitted under overload"), and of
    # those shed (503), which should be fast; nan when there were none.
    admitted_p99: float = nan
    shed_p99: float = nan

    @property
    def p99_over_serial(self) -> float:
        """Issue 25's load target: the p99 under load against the median of single calls."""
        return self.p99 / self.serial_p50


def run_http(
    *, signer: Signer, payloads: list[bytes], rate: float, seconds: float, workers: int,
    tmp: Path, progress: Callable[[str], None] = print,
) -> HttpResult:  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    files = write_bodies(tmp, payloads)
    warm = max(200, int(rate * 2))
    count = int(rate * seconds) + 10
    progress(f"signing {warm + 2 * SERIAL + count} tokens ({signer.alg}) ...")
    tokens = signer.tokens(base + SERVICE, warm + 2 * SERIAL + count, lifetime=int(seconds) + 900)
    back_to_back = tokens[warm + SERIAL + count :]
    write_targets(tmp / "warm.txt", base, tokens[:warm], files)
    write_targets(tmp / "serial.txt", base, tokens[warm : warm + SERIAL], files)
    write_targets(tmp / "targets.txt", base, tokens[warm + SERIAL : warm + SERIAL + count], files)
    (tmp / "state").mkdir()
    server = start_serve(port, workers, server_env(signer, base, tmp / "state"), tmp)
    try:
        _wait_up(base, server)
        attack(tmp / "warm.txt", min(rate, 100), warm / min(rate, 100), tmp / "warm.bin")
        rss_before = tree_rss_mb(server.pid)
        progress(f"{SERIAL} calls one at a time ...")
        # 50/s with one vegeta worker: each call leaves when the one before it is answered.
        single = attack(tmp / "serial.txt", 50, SERIAL / 50, tmp / "serial.bin", one_at_a_time=True)
        busy = _back_to_back(base, back_to_back, payloads)
        progress(f"offering {rate:g} calls/s for {seconds:g} s ({workers} workers) ...")
        results = attack(tmp / "targets.txt", rate, seconds, tmp / "results.bin")
        rss_after = tree_rss_mb(server.pid)
    finally:
        stop_group(server)
    latencies = [r["latency"] / 1e6 for r in results]
    admitted = [r["latency"] / 1e6 for r in results if r.get("code") == 200] or [nan]
    shed = [r["latency"] / 1e6 for r in results if r.get("code") == 503] or [nan]
    own = [ms for ms in map(_server_ms, results) if ms is not None]
    failed = Counter(
        str(r.get("code") or r.get("error") or "?") for r in results if r.get("code") != 200
    )
    errors = sum(failed.values())
    return HttpResult(len(results), errors, _pct(latencies, 0.5), _pct(latencies, 0.99),
                      max(latencies), _pct(own, 0.5) if own else float("nan"),
                      _pct(own, 0.99) if own else float("nan"), rss_before, rss_after,
                      dict(failed), _pct([r["latency"] / 1e6 for r in single], 0.5),
                      _pct([ms for ms in map(_server_ms, single) if ms is not None] or [nan], 0.5),
                      _pct(busy or [nan], 0.5), _pct(admitted, 0.99), _pct(shed, 0.99))  # fmt: skip


def _back_to_back(base: str, tokens: list[str], payloads: list[bytes]) -> list[float]:
    """Server-Timing (ms) of calls sent one after another with no pause, on one connection."""
    own = []
    with httpx.Client(timeout=30) as client:
        for i, token in enumerate(tokens):
            answer = client.post(
                base + SERVICE, content=payloads[i % len(payloads)],
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            )  # fmt: skip
            timing = answer.headers.get("server-timing", "")
            if answer.status_code == 200 and "dur=" in timing:
                own.append(float(timing.split("dur=")[1]))
    return own


def write_bodies(tmp: Path, payloads: list[bytes]) -> list[Path]:
    """Each body in a file of its own, as vegeta's targets name them."""
    files = [tmp / f"body-{n}.json" for n in range(len(payloads))]
    for path, body in zip(files, payloads, strict=True):
        path.write_bytes(body)
    return files


def start_serve(port: int, workers: int, env: dict[str, str], tmp: Path) -> subprocess.Popen[bytes]:
    """``spinemets serve`` on loopback in a process group of its own, its log in ``tmp``."""
    script = Path(sys.executable).with_name("spinemets")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapter.cli"]
    return subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=tmp, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=(tmp / "server.log").open("wb"),
    )  # fmt: skip


def _wait_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("bench: spinemets serve exited at start-up (see its log)")
        try:
            httpx.get(f"{base}/cds-services", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("bench: spinemets serve did not start")


@dataclass(frozen=True)
class InProcess:
    verify: float  # ms, medians per step
    parse: float
    call: float
    serialise: float
    total: float


def run_in_process(signer: Signer, payloads: list[bytes], calls: int, tmp: Path) -> InProcess:
    """The route's own steps without HTTP: verify the JWT, parse, call, serialise."""
    base = "http://127.0.0.1:1"
    os.environ.update(server_env(signer, base, tmp / "inproc-state"))
    from adapter.cds.deps import _parse_cds
    from adapter.cds.services import Deps, call_service
    from adapter.cds.settings import load_settings
    from adapter.cds.state import open_state
    from adapter.mapping.terminology import default_terminology

    tokens = signer.tokens(base + SERVICE, calls, lifetime=900)

    async def measure() -> list[tuple[float, ...]]:
        settings = load_settings()
        steps = []
        async with open_state(settings, default_terminology()) as state:
            deps = Deps(state.term, state.http, settings)
            for i, token in enumerate(tokens):
                raw = payloads[i % len(payloads)]
                t0 = time.perf_counter()
                await state.verifier.verify(token, base + SERVICE)
                t1 = time.perf_counter()
                request = _parse_cds(raw, settings.max_prefetch_entries, settings.max_draft_orders)
                t2 = time.perf_counter()
                response = await call_service("spinemets-scores", request, deps)
                t3 = time.perf_counter()
                response.model_dump_json(exclude_none=True)
                t4 = time.perf_counter()
                steps.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0))
        return steps[len(steps) // 5 :]  # the first calls pay lazy imports and caches

    steps = asyncio.run(measure())
    med = [statistics.median(s[i] for s in steps) * 1000 for i in range(5)]
    return InProcess(*med)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--alg", choices=("RS384", "ES384"), default="RS384")
    parser.add_argument("--patients", type=int, default=50)
    args = parser.parse_args()
    payloads = bodies(args.patients)
    signer = Signer.new(args.alg)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        http = run_http(signer=signer, payloads=payloads, rate=args.rate, seconds=args.seconds,
                        workers=args.workers, tmp=tmp)  # fmt: skip
        local = run_in_process(signer, payloads, 600, tmp)
    base = loads_median(payloads) * 1000
    print(report(http, local, base, payloads, args))
    return 0


def report(
    http: HttpResult, local: InProcess, base: float, payloads: list[bytes], args: Any
) -> str:
    size = statistics.mean(len(p) for p in payloads) / 1024
    return "\n".join([
        f"body: ~60 resources, {size:.0f} KiB; JWT {args.alg}; {args.workers} workers",
        f"offered {args.rate:g}/s for {args.seconds:g} s: {http.sent} calls, {http.errors} errors "
        f"{http.failures or ''}",
        f"latency: p50 {http.p50:.2f} ms, p99 {http.p99:.2f} ms, max {http.max:.2f} ms; one "
        f"call at a time: p50 {http.serial_p50:.2f} ms (p99 = {http.p99_over_serial:.1f}×); "
        f"p99 of the calls admitted {http.admitted_p99:.2f} ms, of those shed {http.shed_p99:.2f} ms",
        f"own time (Server-Timing), one at a time: p50 {http.serial_own_p50:.2f} ms = "
        f"{http.serial_own_p50 / base:.1f}× json.loads ({base:.3f} ms); back to back p50 "
        f"{http.back_to_back_own_p50:.2f} ms = {http.back_to_back_own_p50 / base:.1f}×; under "
        f"load p50 {http.own_p50:.2f} ms, p99 {http.own_p99:.2f} ms",
        f"in-process: {local.total:.2f} ms = {local.total / base:.1f}× json.loads (verify "
        f"{local.verify:.2f}, parse {local.parse:.2f}, call {local.call:.2f}, "
        f"serialise {local.serialise:.2f})",
        f"server RSS: {http.rss_before:.0f} MB before, {http.rss_after:.0f} MB after",
    ])  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
