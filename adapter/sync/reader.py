"""What sync reads from a FHIR server: which patients, each patient's score inputs, and the outputs
spinemets already wrote for that patient.

Searches ask the server not to answer from a cache: a notification or a rerun comes right after a
write, and HAPI reuses an identical search's results for a minute.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from adapter.errors import FhirServerError, InputError
from adapter.fhir.client import FhirClient, is_fhir_id
from adapter.fhir.read.references import patient_of
from adapter.mapping.observations import READ_LOINC
from adapter.mapping.terminology import Terminology
from adapter.vocabulary.systems import ASSESSMENT_SID, FINDING, LOINC

__all__ = [
    "all_patients",
    "changed_patients",
    "patient_inputs",
    "patient_snapshot",
    "stored_outputs",
]

# Only Observations spinemets reads: every finding (`system|` matches any code of the system) and
# the LOINC codes the extraction reads.
_OBSERVATION_CODES = ",".join(
    quote(c, safe="") for c in (f"{FINDING}|", *(f"{LOINC}|{code}" for code in sorted(READ_LOINC)))
)
_OURS = quote(f"{ASSESSMENT_SID}|", safe="")


def _subjects(resources: list[Any]) -> set[str]:
    return {p for p in (patient_of(r) for r in resources) if p and not p.startswith("urn:")}


def _input_searches(patient: str) -> list[str]:
    pid = quote(patient, safe="")
    return [
        f"Condition?patient={pid}&_count=200",
        f"Observation?patient={pid}&code={_OBSERVATION_CODES}&_count=200",
        f"Procedure?patient={pid}&_count=200",
        f"Encounter?patient={pid}&_count=200",
        f"AdverseEvent?subject={quote(f'Patient/{patient}', safe='')}&_count=200",
        f"QuestionnaireResponse?patient={pid}&_count=200",  # findings recorded on the forms
    ]


def _output_searches(patient: str) -> list[str]:
    pid = quote(patient, safe="")
    return [
        f"{rtype}?patient={pid}&identifier={_OURS}&_count=200"
        for rtype in ("Observation", "RiskAssessment")
    ]


async def patient_inputs(client: FhirClient, patient: str) -> list[Any]:
    """The Patient, its Conditions, its score- and outcome-relevant Observations, and what the
    follow-up reads: Procedures, Encounters, AdverseEvents (every page)."""
    record, *found = await asyncio.gather(
        client.read("Patient", patient),
        *(client.search(query, fresh=True) for query in _input_searches(patient)),
    )
    return [record, *(resource for group in found for resource in group)]


async def stored_outputs(client: FhirClient, patient: str) -> list[Any]:
    """The Observations and RiskAssessments spinemets wrote for the patient (every page)."""
    found = await asyncio.gather(
        *(client.search(query, fresh=True) for query in _output_searches(patient))
    )
    return [*found[0], *found[1]]


async def patient_snapshot(client: FhirClient, patient: str) -> tuple[list[Any], list[Any]]:
    """:func:`patient_inputs` and :func:`stored_outputs` in one batch request (their further
    pages, rare, as searches of their own): a patient's reads in one round trip."""
    if not is_fhir_id(patient):  # never sent, as read() refuses it
        raise InputError(f"Patient id {patient[:70]!r} is not a FHIR id")
    inputs, outputs = _input_searches(patient), _output_searches(patient)
    record, *found = await client.batch_get(
        [f"Patient/{quote(patient, safe='')}", *inputs, *outputs], fresh=True
    )
    if record.get("resourceType") != "Patient":
        raise FhirServerError("a Patient read answered another resource")
    if any(bundle.get("resourceType") != "Bundle" for bundle in found):
        raise FhirServerError("a FHIR search did not answer with a Bundle")
    pages = await asyncio.gather(*(client.rest_of(bundle) for bundle in found))
    read = [record, *(r for group in pages[: len(inputs)] for r in group)]
    return read, [r for group in pages[len(inputs) :] for r in group]


async def all_patients(client: FhirClient, term: Terminology) -> list[str]:
    """Every patient with a bone-metastasis Condition."""
    codes = ",".join(quote(f"{s}|{c}", safe="") for s, c in term.value_set_codes("bone-metastasis"))
    conditions = await client.search(
        f"Condition?code={codes}&_elements=subject&_count=500", fresh=True
    )
    return sorted(_subjects(conditions))


async def changed_patients(client: FhirClient, since: str) -> list[str]:
    """Patients whose score-relevant Observations, Conditions or form responses changed after
    ``since``."""
    when = quote(f"gt{since}", safe="")
    observations, conditions, responses = await asyncio.gather(
        client.search(
            f"Observation?_lastUpdated={when}&code={_OBSERVATION_CODES}&_elements=subject&_count=500",
            fresh=True,
        ),
        client.search(f"Condition?_lastUpdated={when}&_elements=subject&_count=500", fresh=True),
        client.search(
            f"QuestionnaireResponse?_lastUpdated={when}&_elements=subject&_count=500", fresh=True
        ),
    )
    return sorted(_subjects(observations) | _subjects(conditions) | _subjects(responses))
