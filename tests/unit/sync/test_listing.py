"""Which patients ``sync --all`` lists: every patient whose record sync would score."""

from __future__ import annotations

import asyncio

import pytest
import respx

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.mapping.terminology import default_terminology
from adapter.sync.reader import all_patients
from tests.unit.sync.fakefhir import BASE, FakeFhir
from tests.unit.sync.test_command import seed_resources


def listed(fhir: FakeFhir) -> list[str]:
    async def run() -> list[str]:
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await all_patients(client, default_terminology())

    return asyncio.run(run())


@respx.mock
def test_a_myeloma_at_a_vertebral_level_is_listed_beside_the_bone_metastases():
    # seed-19's only spinal lesion is its myeloma (ICD-10-CM C90.00, a descendant of the C90 of
    # ValueSet bone-marrow-primary) with a vertebral bodySite: sync scores it (contract §2,
    # "Levels"), so --all must list it, or its SINS is never written nor withdrawn.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-19"))
    assert listed(fhir) == ["seed-03", "seed-19"]


@respx.mock
def test_a_condition_outside_both_value_sets_is_not_listed():
    resources = seed_resources("seed-19")
    for resource in resources:
        if resource["resourceType"] == "Condition":
            for coding in resource["code"]["coding"]:
                if coding["code"] == "C90.00":
                    coding["code"] = "C91.00"  # lymphoid leukaemia: not a bone-marrow primary
    fhir = FakeFhir(respx.mock, resources)
    assert listed(fhir) == []


@respx.mock
@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("http://hl7.org/fhir/sid/icd-10-cm", "C7951"),
        ("urn:oid:2.16.840.1.113883.6.90", "C79.51"),
        ("https://hl7.org/fhir/sid/icd-10-cm", "C79.51"),
        ("http://hl7.org/fhir/sid/icd-10-cm/", "C79.51"),
    ],
    ids=["undotted", "oid", "https", "trailing-slash"],
)
def test_a_metastasis_in_a_spelling_the_reader_accepts_is_listed(system, code):
    # score and the CDS service read these spellings (README "Input"): --all must list them too,
    # or such a patient's results are never written nor withdrawn.
    resources = seed_resources("seed-03")
    for resource in resources:
        for coding in resource.get("code", {}).get("coding", []):
            if resource["resourceType"] == "Condition" and coding.get("code") == "C79.51":
                coding["system"], coding["code"] = system, code
    fhir = FakeFhir(respx.mock, resources)
    assert listed(fhir) == ["seed-03"]
