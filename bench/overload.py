"""Overload benchmark of the CDS service (contract §8, issue 22 §7): calls under hostile company.

``spinemets serve`` runs as in bench/cds_load.py (uvicorn, one worker process per core, every
call's JWT verified) with FHIR notifications on. For ``--seconds`` (default 300), at the same time:

- **vegeta** offers patient-view calls open-loop at ``--rate`` (default 200/s), each with a fresh
  JWT and a ~60-resource prefetch;
- a **notification storm**: ``--storm-rate`` (default 500/s) rest-hook notifications, open-loop,
  each naming one of a few thousand patients (their re-syncs read a FHIR server that refuses
  connections, so they fail and are retried, as when the EHR's server is down);
- ``--slow`` (default 2,000) **slow connections**: half send their request head a byte a
  second, half a complete head and then their body a byte a second; each reconnects a second
  after the service ends it (``SPINEMETS_HEADER_TIMEOUT``, ``SPINEMETS_BODY_TIMEOUT``, or a
  refusal). A slow body carries a fresh JWT while the bench's supply lasts (enough for each to
  be cut off by the body timeout), so that it is let in to trickle; after that a spent one,
  refused (401) before its body is read.

Reported: p50/p99/max latency of the *admitted* calls (answered 200), the share shed (503: by
admission control, ``throttled``, or by uvicorn's connection limit, ``SPINEMETS_MAX_CONNECTIONS``),
other failures, what the storm and the slow clients got, ``/healthz`` latency during the run,
and the server's RSS before and after. Not run by CI.

    uv run python bench/overload.py [--rate 200] [--seconds 300] [--storm-rate 500] [--slow 2000]
                                    [--max-connections N] [--max-in-flight N]

``--storm-rate 0 --slow 0`` gives the same calls alone, the baseline to compare with.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cds_calls import SERVICE, Signer, bodies, server_env
from cds_load import _pct, _wait_up, start_serve, write_bodies, write_targets
from cds_load import attack as cds_attack
from pressure import Pressure
from tools import free_port, stop_group, tree_rss_mb, vegeta

SECRET = "bench-notify-secret-0123456789"


def attack(targets: Path, rate: float, seconds: float, results: Path) -> list[dict[str, Any]]:
    """vegeta at a constant rate, keeping the start of each body (whose 503 it was)."""
    return cds_attack(targets, rate, seconds, results, max_body=512)


def short_error(error: str) -> str:
    """vegeta's error without the addresses and ports that make each one unique."""
    for marker, name in (("Timeout", "timeout (30 s)"), ("deadline", "timeout (30 s)"),
                         ("reset by peer", "connection reset"), ("refused", "connection refused"),
                         ("EOF", "connection closed")):  # fmt: skip
        if marker in error:
            return name
    return error.rsplit(": ", 1)[-1]


def outcome_of(result: dict[str, Any]) -> str:
    """admitted, shed (admission), shed (connections), or the failure."""
    code = result.get("code")
    if code == 200:
        return "admitted"
    if code == 503:
        body = base64.b64decode(result.get("body") or b"").decode("utf-8", "replace")
        # The connection limit's refusal names connections (adapter/cds/protocol.py).
        limited = "too many connections" in body or "throttled" not in body
        return "shed: connection limit" if limited else "shed: throttled"
    return f"failed: {code or short_error(result.get('error') or '?')}"


def storm_targets(path: Path, base: str, tmp: Path, patients: int = 1000) -> None:
    """Notifications naming ``patients`` patients in turn (vegeta cycles through them)."""
    with path.open("w") as out:
        for n in range(patients):
            body = tmp / f"notify-{n}.json"
            body.write_text(json.dumps({"resourceType": "Observation", "id": f"o{n}",
                                        "status": "final",
                                        "subject": {"reference": f"Patient/storm-{n}"}}))  # fmt: skip
            out.write(f"POST {base}/fhir-notify\nAuthorization: Bearer {SECRET}\n"
                      f"Content-Type: application/fhir+json\n@{body}\n\n")  # fmt: skip


def storm(targets: Path, rate: float, seconds: float, results: Path) -> subprocess.Popen[bytes]:
    """The notification storm: a second vegeta, started now, open-loop like the first."""
    return subprocess.Popen(
        [str(vegeta()), "attack", f"-targets={targets}", f"-rate={rate:g}/1s",
         f"-duration={seconds:g}s", "-max-body=512", "-timeout=30s", f"-output={results}"],
    )  # fmt: skip


def storm_outcomes(results: Path) -> Counter[str]:
    encoded = subprocess.run(
        [str(vegeta()), "encode", "--to=json", str(results)], check=True, capture_output=True
    ).stdout
    decoded = [json.loads(line) for line in encoded.splitlines() if line.strip()]
    return Counter(str(r.get("code") or short_error(r.get("error") or "?")) for r in decoded)


def environment(args: argparse.Namespace, signer: Signer, base: str, tmp: Path) -> dict[str, str]:
    closed = free_port()  # nothing listens there: every re-sync fails at once
    env = server_env(signer, base, tmp / "state") | {
        "SPINEMETS_FHIR_SERVER": f"http://127.0.0.1:{closed}/fhir",
        "SPINEMETS_NOTIFY_SECRET": SECRET,
        "SPINEMETS_NOTIFY_QUEUE_LIMIT": str(args.queue_limit),
    }
    if args.max_connections:
        env["SPINEMETS_MAX_CONNECTIONS"] = str(args.max_connections)
    if args.max_in_flight:
        env["SPINEMETS_MAX_IN_FLIGHT"] = str(args.max_in_flight)
    return env


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    payloads = bodies(args.patients)
    signer = Signer.new(args.alg)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    files = write_bodies(tmp, payloads)
    warm, count = 200, int(args.rate * args.seconds) + 10
    print(f"signing {warm + count} tokens ({args.alg}) ...", flush=True)
    tokens = signer.tokens(base + SERVICE, warm + count, lifetime=int(args.seconds) + 900)
    write_targets(tmp / "warm.txt", base, tokens[:warm], files)
    write_targets(tmp / "targets.txt", base, tokens[warm:], files)
    storm_targets(tmp / "storm.txt", base, tmp)
    slow_tokens = signer.tokens(
        base + SERVICE,
        args.slow // 2 * int(args.seconds / 30 + 3),
        lifetime=int(args.seconds) + 900,
    )
    (tmp / "state").mkdir()
    server = start_serve(port, args.workers, environment(args, signer, base, tmp), tmp)
    try:
        _wait_up(base, server)
        attack(tmp / "warm.txt", 100, warm / 100, tmp / "warm.bin")
        rss_before = tree_rss_mb(server.pid)
        pressure = Pressure("127.0.0.1", port, slow=args.slow, tokens=iter(slow_tokens))
        pressure.start()
        storming = (
            storm(tmp / "storm.txt", args.storm_rate, args.seconds, tmp / "storm.bin")
            if args.storm_rate > 0
            else None
        )
        print(f"offering {args.rate:g} calls/s for {args.seconds:g} s with a storm of "
              f"{args.storm_rate:g} notifications/s and {args.slow} slow connections ...",
              flush=True)  # fmt: skip
        try:
            results = attack(tmp / "targets.txt", args.rate, args.seconds, tmp / "results.bin")
        finally:
            if storming is not None:
                storming.wait(120)
            seen = pressure.stop()
        rss_after = tree_rss_mb(server.pid)
        seen["storm"] = storm_outcomes(tmp / "storm.bin") if storming else Counter()
    finally:
        stop_group(server)
    errors = sum(1 for line in (tmp / "server.log").read_text().splitlines() if '"error"' in line)
    return {"results": results, "pressure": seen, "rss": (rss_before, rss_after),
            "server_errors": errors}  # fmt: skip


def report(args: argparse.Namespace, measured: dict[str, Any]) -> str:
    results = measured["results"]
    outcomes = Counter(outcome_of(r) for r in results)
    admitted = [r["latency"] / 1e6 for r in results if r.get("code") == 200]
    shed = outcomes["shed: throttled"] + outcomes["shed: connection limit"]
    seen, (before, after) = measured["pressure"], measured["rss"]
    health = seen["health_ms"]
    lines = [
        f"offered {args.rate:g} calls/s for {args.seconds:g} s ({args.workers} workers, JWT "
        f"{args.alg}): {len(results)} calls",
        f"admitted {len(admitted)} ({len(admitted) / max(1, len(results)):.1%}): p50 "
        + (f"{_pct(admitted, 0.5):.1f} ms, p99 {_pct(admitted, 0.99):.1f} ms, "
           f"max {max(admitted):.1f} ms" if admitted else "-"),
        f"shed {shed} ({shed / max(1, len(results)):.1%}): throttled "
        f"{outcomes['shed: throttled']}, connection limit {outcomes['shed: connection limit']}",
        "other: " + (", ".join(f"{k[len('failed: '):]} {v}" for k, v in sorted(outcomes.items())
                               if k.startswith("failed")) or "none"),
        f"storm: {sum(seen['storm'].values())} notifications sent, answers "
        f"{dict(seen['storm'].most_common())}",
        f"slow connections: {args.slow} held, {seen['slow_connects']} connects, "
        f"{seen['slow_cut']} ended by the service, answers {dict(seen['slow_answers'])}",
        "/healthz during the run: " + (
            f"{len(health)} probes, p50 {_pct(health, 0.5):.1f} ms, max {max(health):.1f} ms, "
            f"failures {dict(seen['health_failed'])}"
            if health
            else f"failures {dict(seen['health_failed'])}"
        ),
        f"server RSS: {before:.0f} MB before, {after:.0f} MB after; error lines in its log: "
        f"{measured['server_errors']}",
    ]  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--storm-rate", type=float, default=500.0)
    parser.add_argument("--slow", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--alg", choices=("RS384", "ES384"), default="RS384")
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--queue-limit", type=int, default=10_000)
    parser.add_argument("--max-connections", type=int, default=0, help="0: the service default")
    parser.add_argument("--max-in-flight", type=int, default=0, help="0: the service default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        print(report(args, run(args, Path(name))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
