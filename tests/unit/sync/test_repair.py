"""sync --repair-duplicates: one copy of each output stays, coherent with its references, and the
patient syncs again afterwards."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import respx

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.repair import repair_patient
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patients
from adapter.vocabulary.systems import SERIES_SID
from tests.unit.sync.fakefhir import BASE, FakeFhir

ROOT = Path(__file__).resolve().parents[3]
NOW = parse_time("2025-01-01T00:00:00Z")


def seed_resources(name: str) -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


async def _with_client(work):
    async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
        return await work(client)


def sync(patient: str):
    policy = RetryPolicy(attempts=5, base_delay=0, max_delay=0)
    return asyncio.run(_with_client(
        lambda c: sync_patients(c, default_terminology(), [patient], now=NOW, policy=policy)))  # fmt: skip


def ours(fhir: FakeFhir) -> list[dict]:
    return [r for r in fhir.store.values()
            if any(i.get("system") == SERIES_SID for i in r.get("identifier", []))]  # fmt: skip


@respx.mock
def test_repair_keeps_one_coherent_copy_and_sync_works_again():
    fhir = FakeFhir(respx.mock, seed_resources("seed-01"))
    sync("seed-01")
    fhir.replay_unserialised(fhir.transactions[0])  # a second writer at the same moment
    before = len(ours(fhir))

    repair = asyncio.run(_with_client(lambda c: repair_patient(c, "seed-01")))
    assert len(repair.removed) == before // 2 + 1  # every copied output and its Provenance
    assert "removed" in repair.line() and "Provenance" in repair.line()
    series = [(r["resourceType"], next(i["value"] for i in r["identifier"] if i["system"] == SERIES_SID))
              for r in ours(fhir)]  # fmt: skip
    assert len(series) == len(set(series)) == before // 2
    # Nothing kept refers to what was deleted.
    for resource in fhir.store.values():
        for element in ("basis", "target", "derivedFrom"):
            for ref in resource.get(element, []):
                if ref["reference"].startswith(("Observation/", "RiskAssessment/")):
                    assert ref["reference"] in fhir.store, ref
    (provenance,) = fhir.of_type("Provenance")
    assert {t["reference"] for t in provenance["target"]} == {f"{t}/{i}" for t, i in
                                                           ((r["resourceType"], r["id"]) for r in ours(fhir))}  # fmt: skip
    assert sync("seed-01").outcomes[0].status == "unchanged"


@respx.mock
def test_repair_without_duplicates_deletes_nothing():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    sync("seed-03")
    sent = len(fhir.transactions)
    repair = asyncio.run(_with_client(lambda c: repair_patient(c, "seed-03")))
    assert repair.removed == () and "no duplicates" in repair.line()
    assert len(fhir.transactions) == sent
