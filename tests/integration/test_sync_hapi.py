"""spinemets sync against a real HAPI FHIR server: directly, through injected faults, with
overlapping writers, with duplicates left on the server, and with a corrected input."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.reader import all_patients
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patients
from tests.integration.conftest import count, load_seed_copy
from tests.integration.faultproxy import FaultProxy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCORE = "http://spinemets.org/fhir/CodeSystem/score"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
NOW = parse_time("2025-01-01T00:00:00Z")
CLI = ["uv", "run", "--locked", "spinemets", "sync", "--fhir-server"]


def load_patients(base: str, names: list[str]) -> dict[str, int]:
    """Fresh copies of seed patients on the server; id → number of SINS levels expected."""
    loaded = {}
    for name in names:
        expected = json.loads(
            (ROOT / "fixtures" / "expected" / "seed" / f"{name}.expected.json").read_text()
        )
        loaded[load_seed_copy(base, name)] = len(expected["patients"][name]["sins"])
    return loaded


async def sync(
    base: str,
    patients: list[str],
    policy: RetryPolicy,
    timeout: float = 30.0,
    concurrency: int = 3,
):
    async with FhirClient.connect(FhirServerSettings(base_url=base, timeout=timeout)) as client:
        return await sync_patients(
            client, default_terminology(), patients, now=NOW, policy=policy,
            concurrency=concurrency,
        )  # fmt: skip


# contract v3: the more prognosis tools, written by sync by default (scores-more.md).
MORE = ("bauer-original", "bauer-modified", "nesms", "van-der-linden")


def run_sync(base: str, patients: list[str], policy: RetryPolicy | None = None):
    return asyncio.run(sync(base, patients, policy or RetryPolicy()))


def assert_one_current_set(base: str, patients: dict[str, int]) -> None:
    """Exactly one resource per series, and one Provenance naming it."""
    for pid, levels in patients.items():
        assert count(base, f"Observation?patient={pid}&code={SCORE}|sins") == levels, pid
        for score in ("tomita", "tokuhashi-revised", *MORE):
            assert count(base, f"Observation?patient={pid}&code={SCORE}|{score}") == 1, (pid, score)
        assert count(base, f"RiskAssessment?patient={pid}") == 3 + len(MORE), pid
        tomita = httpx.get(f"{base}/Observation?patient={pid}&code={SCORE}%7Ctomita",
                           headers={"Cache-Control": "no-cache"}, timeout=60).json()["entry"][0]["resource"]  # fmt: skip
        assert count(base, f"Provenance?target=Observation/{tomita['id']}") == 1, pid


def test_sync_twice_creates_nothing_the_second_time(fhir_base, conformance_uploaded):
    patients = load_patients(fhir_base, ["seed-02", "seed-10", "seed-19"])
    first = run_sync(fhir_base, list(patients))
    assert [o.status for o in first.outcomes] == ["written"] * 3
    second = run_sync(fhir_base, list(patients))
    assert [o.status for o in second.outcomes] == ["unchanged"] * 3
    assert all(o.created == 0 for o in second.outcomes)
    assert_one_current_set(fhir_base, patients)


def test_all_lists_a_myeloma_patient_beside_the_bone_metastases(fhir_base, conformance_uploaded):
    # seed-19's only spinal lesion is a C90.00 myeloma at vertebral levels; HAPI's token search
    # matches codes exactly, so --all must name C90.00 itself, not only bone-marrow-primary's C90.
    patients = load_patients(fhir_base, ["seed-03", "seed-19"])

    async def listing() -> list[str]:
        async with FhirClient.connect(FhirServerSettings(base_url=fhir_base)) as client:
            return await all_patients(client, default_terminology())

    assert set(patients) <= set(asyncio.run(listing()))


def test_a_group_read_in_one_request_with_a_patient_missing_from_the_server(
    fhir_base, conformance_uploaded
):
    patients = load_patients(fhir_base, ["seed-03", "seed-05", "seed-13"])
    ids = list(patients)
    wanted = [ids[0], "spinemets-missing-patient", *ids[1:]]
    summary = asyncio.run(sync(fhir_base, wanted, RetryPolicy(), concurrency=1))  # one group
    assert [(o.patient, o.status) for o in summary.outcomes] == [
        (ids[0], "written"), ("spinemets-missing-patient", "failed"),
        (ids[1], "written"), (ids[2], "written")]  # fmt: skip
    assert "404" in (summary.outcomes[1].reason or "") and summary.retries == 0
    assert_one_current_set(fhir_base, patients)
    # The three were new, so written in one transaction: HAPI's answer, split by its entries'
    # order, gives each patient the resources created for it, and only those.
    for outcome in (o for o in summary.outcomes if o.status == "written"):
        assert outcome.created == len(outcome.outputs) > 0
        for output in outcome.outputs:
            rtype, rid = output.value.split("/")[:2]
            if rtype == "Provenance":
                continue
            stored = httpx.get(f"{fhir_base}/{rtype}/{rid}", timeout=60).json()
            assert stored["subject"]["reference"] == f"Patient/{outcome.patient}"
    again = asyncio.run(sync(fhir_base, ids, RetryPolicy(), concurrency=1))
    assert [o.status for o in again.outcomes] == ["unchanged"] * 3


def test_a_corrected_input_supersedes_the_older_result(fhir_base, conformance_uploaded):
    patients = load_patients(fhir_base, ["seed-05"])
    (pid,) = patients
    since = httpx.get(f"{fhir_base}/Patient/{pid}", timeout=60).json()["meta"]["lastUpdated"]
    first = subprocess.run(
        [*CLI, fhir_base, "--all"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert first.returncode == 0, first.stderr
    assert "failed 0" in first.stdout
    again = subprocess.run(
        [*CLI, fhir_base, "--all"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert "written 0" in again.stdout and again.returncode == 0
    # A new finding: --since picks the patient up; the score changes and replaces the older one.
    finding = {"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{pid}"},
               "code": {"coding": [{"system": FINDING, "code": "frankel-grade"}]},
               "valueCodeableConcept": {"coding": [{"system": FINDING, "code": "frankel-c"}]},
               "effectiveDateTime": "2024-12-30T00:00:00Z"}  # fmt: skip
    assert httpx.post(f"{fhir_base}/Observation", json=finding, timeout=60).status_code == 201
    changed = subprocess.run([*CLI, fhir_base, "--since", since], capture_output=True, text=True,
                             cwd=ROOT, check=False)  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "written 1" in changed.stdout, changed.stdout
    assert count(fhir_base, f"Observation?patient={pid}&code={SCORE}|tokuhashi-revised") == 1
    current = httpx.get(f"{fhir_base}/Observation?patient={pid}&code={SCORE}%7Ctokuhashi-revised",
                        headers={"Cache-Control": "no-cache"}, timeout=60).json()["entry"][0]["resource"]  # fmt: skip
    assert current["status"] == "final" and current["meta"]["versionId"] == "2"  # contract §3
    palsy = next(
        c for c in current["component"] if c["code"]["coding"][0]["code"] == "tokuhashi-palsy"
    )
    assert palsy["valueInteger"] == 1  # Frankel C
    history = httpx.get(f"{fhir_base}/Observation/{current['id']}/_history", timeout=60).json()
    assert [e["resource"]["status"] for e in history["entry"]] == ["final", "final"]
    # The change has its own Provenance, naming what changed; the first one stays.
    assert count(fhir_base, f"Provenance?target=Observation/{current['id']}") == 2
    bad = subprocess.run([*CLI, fhir_base, "--since", "last tuesday"], capture_output=True,
                         text=True, cwd=ROOT, check=False)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def first_time_faults(kinds: list[str]):
    """Fault distinct requests once (by request line and body): each of the first ones with the
    next kind until every kind has happened, then every other one, cycling the kinds.

    How many distinct requests a run makes depends on timing (a lost answer makes a re-read), so
    every kind is spent first: a run of one group read and a transaction a patient meets them all.
    A repeated request passes, so every run can finish within its retries: the test can assert
    each run's outcome, not only the state after a clean rerun.
    """
    seen: dict[str, int] = {}

    def schedule(n: int, request: bytes) -> str | None:
        head, _, body = request.partition(b"\r\n\r\n")
        key = hashlib.sha256(head.split(b"\r\n", 1)[0] + body).hexdigest()
        if key in seen:
            return None
        seen[key] = index = len(seen)
        if index < len(kinds):
            return kinds[index]
        return kinds[index % len(kinds)] if index % 2 == 0 else None

    return schedule


def through_proxy(fhir_base: str, schedule, work):
    upstream = urlsplit(fhir_base)

    async def go():
        proxy = FaultProxy(upstream.hostname, upstream.port, schedule, slow_seconds=2.5)
        port = await proxy.start()
        try:
            return await work(f"http://127.0.0.1:{port}{upstream.path}"), proxy
        finally:
            await proxy.stop()

    return asyncio.run(go())


def test_sync_through_faults_and_overlapping_transactions(fhir_base, conformance_uploaded):
    patients = load_patients(
        fhir_base, ["seed-01", "seed-04", "seed-07", "seed-12", "seed-15", "seed-17"]
    )
    kinds = ["twice", "lost", "503", "drop", "429", "slow", "500"]
    policy = RetryPolicy(attempts=5, base_delay=0.05, max_delay=1.5)
    faulty, proxy = through_proxy(
        fhir_base,
        first_time_faults(kinds),
        lambda base: sync(base, list(patients), policy, timeout=1.5),
    )
    assert set(proxy.faults) == set(kinds), proxy.faults  # every kind of fault happened
    assert faulty.retries > 0
    # The faulty run itself brought every patient up to date: nothing failed, nothing twice.
    assert [o.status for o in faulty.outcomes] == ["written"] * len(patients), faulty.lines()
    assert_one_current_set(fhir_base, patients)
    # A rerun finds everything current and sends no write at all (its reads are one POSTed
    # batch of GETs a patient).
    posts = []

    def writes(n: int, request: bytes) -> None:
        if request.startswith(b"POST") and b'"type":"batch"' not in request:
            posts.append(request[:4])

    rerun, _ = through_proxy(
        fhir_base, writes, lambda base: sync(base, list(patients), RetryPolicy())
    )
    assert [o.status for o in rerun.outcomes] == ["unchanged"] * len(patients) and posts == []


def test_two_syncs_at_once_each_finish_and_write_one_set(fhir_base, conformance_uploaded):
    """A command-line sync beside the service's re-sync, or two replicas: same patients, same time."""
    patients = load_patients(fhir_base, ["seed-06", "seed-09", "seed-11", "seed-14"])

    async def both():
        return await asyncio.gather(
            *(sync(fhir_base, list(patients), RetryPolicy()) for _ in range(2))
        )

    one, two = asyncio.run(both())
    for pid in patients:
        statuses = sorted(s.status for s in (*one.outcomes, *two.outcomes) if s.patient == pid)
        assert statuses in (["unchanged", "written"], ["written", "written"]), (
            pid,
            one.lines(),
            two.lines(),
        )
    assert_one_current_set(fhir_base, patients)


def test_duplicates_are_repaired_or_withdrawn(fhir_base, conformance_uploaded):
    patients = load_patients(fhir_base, ["seed-08"])
    (pid,) = patients
    run_sync(fhir_base, [pid])
    # What a server that does not serialise conditional creates leaves behind, or an EHR that
    # accepted a CDS suggestion (the same identifiers): a second copy.
    stored = httpx.get(f"{fhir_base}/Observation?patient={pid}&code={SCORE}%7Ctomita",
                       headers={"Cache-Control": "no-cache"}, timeout=60).json()["entry"][0]["resource"]  # fmt: skip
    copy = {k: v for k, v in stored.items() if k not in ("id", "meta")}
    assert httpx.post(f"{fhir_base}/Observation", json=copy, timeout=60).status_code == 201
    repaired = subprocess.run([*CLI, fhir_base, "--patient", pid, "--repair-duplicates"],
                              capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert f"Patient/{pid}: removed 1 duplicates (1 Observation)" in repaired.stdout
    assert_one_current_set(fhir_base, patients)
    assert [o.status for o in run_sync(fhir_base, [pid]).outcomes] == ["unchanged"]
    # Without the repair, sync withdraws the copy it finds and brings the patient up to date.
    made = httpx.post(f"{fhir_base}/Observation", json=copy, timeout=60)
    assert made.status_code == 201
    (outcome,) = run_sync(fhir_base, [pid]).outcomes
    assert outcome.status == "written", outcome.reason
    withdrawn = httpx.get(made.headers["Location"].split("/_history/")[0], timeout=60).json()
    assert withdrawn["status"] == "entered-in-error"
    current = f"Observation?patient={pid}&code={SCORE}|tomita&status=final,amended"
    assert count(fhir_base, current) == 1
    assert [o.status for o in run_sync(fhir_base, [pid]).outcomes] == ["unchanged"]
