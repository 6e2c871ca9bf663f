"""What sync reads from a FHIR server: which patients, and each patient's score inputs."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from adapter.fhir.client import FhirClient
from adapter.mapping.extract import ECOG, KARNOFSKY
from adapter.mapping.findings import FINDING
from adapter.mapping.outcomes import OUTCOME_LOINC
from adapter.mapping.terminology import LOINC, Terminology

__all__ = ["all_patients", "changed_patients", "patient_inputs"]

# Only Observations that feed a score or an outcome: every finding (cement volume included),
# Karnofsky, ECOG, pain and Barthel (`system|` matches any code of the system).
_OBSERVATION_CODES = ",".join(
    quote(c, safe="")
    for c in (
        f"{FINDING}|",
        f"{LOINC}|{KARNOFSKY}",
        f"{LOINC}|{ECOG}",
        *(f"{LOINC}|{code}" for code in sorted(OUTCOME_LOINC)),
    )
)


def _subjects(resources: list[Any]) -> set[str]:
    found = set()
    for resource in resources:
        reference = (resource.get("subject") or {}).get("reference", "")
        if isinstance(reference, str) and reference.startswith("Patient/"):
            found.add(reference.removeprefix("Patient/").split("/")[0])
    return found


async def patient_inputs(client: FhirClient, patient: str) -> list[Any]:
    """The Patient, its Conditions, its score- and outcome-relevant Observations, and what the
    follow-up reads: Procedures, Encounters, AdverseEvents (every page)."""
    pid = quote(patient, safe="")
    record, *found = await asyncio.gather(
        client.read("Patient", patient),
        client.search(f"Condition?patient={pid}&_count=200"),
        client.search(f"Observation?patient={pid}&code={_OBSERVATION_CODES}&_count=200"),
        client.search(f"Procedure?patient={pid}&_count=200"),
        client.search(f"Encounter?patient={pid}&_count=200"),
        client.search(f"AdverseEvent?subject={quote(f'Patient/{patient}', safe='')}&_count=200"),
    )
    return [record, *(resource for group in found for resource in group)]


async def all_patients(client: FhirClient, term: Terminology) -> list[str]:
    """Every patient with a bone-metastasis Condition."""
    codes = ",".join(quote(f"{s}|{c}", safe="") for s, c in term.value_set_codes("bone-metastasis"))
    conditions = await client.search(f"Condition?code={codes}&_elements=subject&_count=500")
    return sorted(_subjects(conditions))


async def changed_patients(client: FhirClient, since: str) -> list[str]:
    """Patients whose score-relevant Observations or Conditions changed after ``since``."""
    when = quote(f"gt{since}", safe="")
    observations, conditions = await asyncio.gather(
        client.search(
            f"Observation?_lastUpdated={when}&code={_OBSERVATION_CODES}&_elements=subject&_count=500"
        ),
        client.search(f"Condition?_lastUpdated={when}&_elements=subject&_count=500"),
    )
    return sorted(_subjects(observations) | _subjects(conditions))
