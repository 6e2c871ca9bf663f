"""Only a patient with a bone-metastasis Condition is scored, whichever way sync came to it
(`--all`, `--since`, `--patient`, a notification): the others get nothing written, and the
summary says how many were skipped and why."""

from __future__ import annotations

import asyncio

import respx

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.mapping.terminology import default_terminology
from adapter.sync.runner import sync_patient
from tests.unit.sync.fakefhir import BASE, FakeFhir
from tests.unit.sync.test_command import sync
from tests.unit.sync.test_runner import FAST, NOW, ours, run, seed_resources

ACTIVE = "http://terminology.hl7.org/CodeSystem/condition-clinical"
SKIPPED = "skipped 1 (no bone-metastasis Condition)"


def diabetic(patient: str = "dm1") -> list[dict]:
    """A patient whose record has no cancer at all: type 2 diabetes, recorded recently."""
    return [
        {"resourceType": "Patient", "id": patient, "gender": "female", "birthDate": "1960-01-01"},
        {"resourceType": "Condition", "id": f"{patient}-e11",
         "subject": {"reference": f"Patient/{patient}"},
         "clinicalStatus": {"coding": [{"system": ACTIVE, "code": "active"}]},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9",
                              "display": "Type 2 diabetes mellitus"}]},
         "recordedDate": "2024-12-30"},
    ]  # fmt: skip


def written_for(fhir: FakeFhir, patient: str) -> list[dict]:
    return [
        r
        for rtype in ("Observation", "RiskAssessment")
        for r in ours(fhir, rtype)
        if r["subject"]["reference"] == f"Patient/{patient}"
    ]


@respx.mock
def test_a_patient_without_a_bone_metastasis_is_skipped_and_the_summary_says_why():
    fhir = FakeFhir(respx.mock, diabetic() + seed_resources("seed-03"))
    summary = run(["dm1", "seed-03"])
    by_patient = {o.patient: o for o in summary.outcomes}
    assert by_patient["dm1"].status == "skipped"
    assert by_patient["dm1"].reason == "no bone-metastasis Condition"
    assert by_patient["seed-03"].status == "written"
    assert written_for(fhir, "dm1") == [] and len(fhir.transactions) == 1
    assert SKIPPED in summary.lines()[0] and "failed 0" in summary.lines()[0]


@respx.mock
def test_a_notified_patient_without_a_bone_metastasis_gets_nothing_written():
    fhir = FakeFhir(respx.mock, diabetic())

    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patient(client, default_terminology(), "dm1", now=NOW, policy=FAST)

    outcome = asyncio.run(go())  # what the notification worker runs for a queued patient
    assert outcome.status == "skipped" and outcome.reason == "no bone-metastasis Condition"
    assert fhir.transactions == [] and written_for(fhir, "dm1") == []


@respx.mock
def test_sync_since_skips_a_changed_patient_without_a_bone_metastasis(capsys):
    fhir = FakeFhir(respx.mock, diabetic() + seed_resources("seed-03"))
    assert sync("--since", "2024-12-01T00:00:00Z") == 0
    out = capsys.readouterr().out
    assert SKIPPED in out and "written 1" in out
    assert written_for(fhir, "dm1") == [] and written_for(fhir, "seed-03")
