"""spinemets sync against a real HAPI FHIR server, directly and through injected faults."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from adapter.fhir.client import FhirClient
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patients
from tests.integration.conftest import count, load_seed_copy
from tests.integration.faultproxy import FaultProxy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCORE = "http://spinemets.org/fhir/CodeSystem/score"
NOW = parse_time("2025-01-01T00:00:00Z")


def load_patients(base: str, names: list[str]) -> dict[str, int]:
    """Fresh copies of seed patients on the server; id → number of SINS levels expected."""
    loaded = {}
    for name in names:
        expected = json.loads(
            (ROOT / "fixtures" / "expected" / "seed" / f"{name}.expected.json").read_text()
        )
        loaded[load_seed_copy(base, name)] = len(expected["patients"][name]["sins"])
    return loaded


def run_sync(base: str, patients: list[str], policy: RetryPolicy, timeout: float = 10.0):
    async def go():
        async with httpx.AsyncClient() as http:

            async def make_client() -> FhirClient:
                return FhirClient(http, base, timeout=timeout)

            return await sync_patients(
                make_client, default_terminology(), patients, now=NOW, policy=policy, concurrency=3
            )

    return asyncio.run(go())


def test_sync_twice_creates_nothing_the_second_time(fhir_base, conformance_uploaded):
    patients = load_patients(fhir_base, ["seed-02", "seed-10", "seed-19"])
    first = run_sync(fhir_base, list(patients), RetryPolicy())
    assert (first.count("written"), first.count("failed")) == (3, 0)
    second = run_sync(fhir_base, list(patients), RetryPolicy())
    assert (second.count("unchanged"), second.count("written")) == (3, 0)
    assert all(o.created == 0 for o in second.outcomes)
    for pid, levels in patients.items():
        assert count(fhir_base, f"Observation?patient={pid}&code={SCORE}|sins") == levels
        assert count(fhir_base, f"RiskAssessment?patient={pid}") == 3


def test_sync_command_line_all_and_since(fhir_base, conformance_uploaded):
    patients = load_patients(fhir_base, ["seed-05"])
    (pid,) = patients
    since = httpx.get(f"{fhir_base}/Patient/{pid}", timeout=60).json()["meta"]["lastUpdated"]
    cmd = ["uv", "run", "--locked", "spinemets", "sync", "--fhir-server", fhir_base]
    first = subprocess.run([*cmd, "--all"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert first.returncode == 0, first.stderr
    assert "failed 0" in first.stdout
    again = subprocess.run([*cmd, "--all"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert "written 0" in again.stdout and again.returncode == 0
    # A new finding for this patient: --since picks the patient up, and the scores change.
    finding = {"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{pid}"},
               "code": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding", "code": "frankel-grade"}]},
               "valueCodeableConcept": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding", "code": "frankel-c"}]},
               "effectiveDateTime": "2030-01-01T00:00:00Z"}  # fmt: skip
    assert httpx.post(f"{fhir_base}/Observation", json=finding, timeout=60).status_code == 201
    changed = subprocess.run(
        [*cmd, "--since", since], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert changed.returncode == 0, changed.stderr
    assert "written 1" in changed.stdout, changed.stdout
    assert count(fhir_base, f"Observation?patient={pid}&code={SCORE}|tokuhashi-revised") == 2
    bad = subprocess.run(
        [*cmd, "--since", "last tuesday"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_sync_through_faults_loses_nothing_and_duplicates_nothing(fhir_base, conformance_uploaded):
    patients = load_patients(
        fhir_base, ["seed-01", "seed-04", "seed-07", "seed-12", "seed-15", "seed-17"]
    )
    upstream = urlsplit(fhir_base)
    kinds = ["lost", "503", "drop", "429", "slow", "500"]

    def schedule(n: int, line: str) -> str | None:
        return kinds[(n // 2) % len(kinds)] if n % 2 == 0 else None  # every other request fails

    async def go():
        proxy = FaultProxy(upstream.hostname, upstream.port, schedule, slow_seconds=2.5)
        port = await proxy.start()
        base = f"http://127.0.0.1:{port}{upstream.path}"
        try:
            async with httpx.AsyncClient() as http:

                async def make_client() -> FhirClient:
                    return FhirClient(http, base, timeout=1.5)

                faulty = await sync_patients(make_client, default_terminology(), list(patients), now=NOW,
                                             policy=RetryPolicy(attempts=3, base_delay=0.05, max_delay=1.5), concurrency=3)  # fmt: skip
        finally:
            await proxy.stop()
        return faulty, proxy.faults

    faulty, faults = asyncio.run(go())
    assert set(faults) == set(kinds), faults  # every kind of fault happened
    assert faulty.retries > 0
    # After recovery (a clean re-run, as an operator would), every patient has exactly one set.
    recovered = run_sync(fhir_base, list(patients), RetryPolicy())
    assert recovered.count("failed") == 0
    for pid, levels in patients.items():
        assert count(fhir_base, f"Observation?patient={pid}&code={SCORE}|sins") == levels, pid
        for score in ("tomita", "tokuhashi-revised"):
            assert count(fhir_base, f"Observation?patient={pid}&code={SCORE}|{score}") == 1, (
                pid,
                score,
            )
        assert count(fhir_base, f"RiskAssessment?patient={pid}") == 3, pid
        tomita = httpx.get(
            f"{fhir_base}/Observation?patient={pid}&code={SCORE}%7Ctomita", timeout=60
        ).json()["entry"][0]["resource"]
        assert count(fhir_base, f"Provenance?target=Observation/{tomita['id']}") == 1, pid
    # A third run writes nothing at all.
    assert run_sync(fhir_base, list(patients), RetryPolicy()).count("written") == 0
