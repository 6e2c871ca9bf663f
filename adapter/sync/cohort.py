"""A cohort read from a FHIR server: a Group's members, or every patient with an index procedure
(a completed vertebroplasty, kyphoplasty or fixation Procedure), each read as sync reads one."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from adapter.errors import FhirServerError, InputError
from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData, patients_from_resources
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.mapping.extract import read_observation
from adapter.mapping.followup import AUGMENTATION, FIXATION
from adapter.mapping.terminology import Terminology
from adapter.pipeline import now_time
from adapter.sync.reader import patient_inputs, whole_listing

__all__ = ["cohort_from_server", "cohort_patients"]


def _subject(resource: Any) -> str | None:
    reference = (resource.get("subject") or {}).get("reference", "")
    if isinstance(reference, str) and reference.startswith("Patient/"):
        return reference.removeprefix("Patient/").split("/")[0]
    return None


async def _members(
    client: FhirClient, group: str, now: ClinicalTime
) -> tuple[list[str], list[str]]:
    try:
        found = await client.read("Group", group)
    except FhirServerError as exc:
        if exc.status == 404:
            raise InputError(f"there is no Group/{group} on the server") from None
        raise
    patients, issues = [], []
    for member in found.get("member") or []:
        if not isinstance(member, dict):
            issues.append(f"Group/{group}: a member is not a JSON object.")
            continue
        named = member.get("entity")
        entity = named.get("reference", "") if isinstance(named, dict) else ""
        if not isinstance(entity, str) or not entity.startswith("Patient/"):
            issues.append(f"Group/{group}: member {entity or '(no reference)'} is not a Patient.")
            continue
        # How a registry records a withdrawal or an exclusion: left out, and said.
        period = member.get("period")
        ended = period.get("end") if isinstance(period, dict) else None
        end = parse_time(ended) if isinstance(ended, str) else None
        began = period.get("start") if isinstance(period, dict) else None
        start = parse_time(began) if isinstance(began, str) else None
        if member.get("inactive") is True:
            issues.append(f"Group/{group}: member {entity} is inactive; left out.")
            continue
        # A day or a month given alone lasts to its end (a FHIR Period includes its unit).
        if end is not None and end.end <= now.instant:
            issues.append(f"Group/{group}: membership of {entity} ended {end.text}; left out.")
            continue
        if start is not None and start.instant > now.instant:
            issues.append(
                f"Group/{group}: membership of {entity} begins {start.text}, after the "
                "computation time; left out."
            )
            continue
        if ended is not None and end is None:  # it may have ended: kept, and said
            issues.append(f"Group/{group}: the end of {entity}'s membership cannot be read; kept.")
        patients.append(entity.removeprefix("Patient/").split("/")[0])
    return patients, issues


async def cohort_patients(
    client: FhirClient, term: Terminology, group: str | None, now: ClinicalTime | None = None
) -> tuple[list[str], list[str]]:
    """Patient ids in a stable order, and what was left out on the way; a Group's members as of
    ``now`` (the current time by default)."""
    if group is not None:
        members, issues = await _members(client, group, now or now_time())
        return list(dict.fromkeys(members)), issues
    codes = [
        f"{system}|{code}"
        for value_set in (AUGMENTATION, FIXATION)
        for system, code in term.value_set_codes(value_set)
    ]
    query = ",".join(quote(c, safe="") for c in codes)
    procedures = await client.search(
        f"Procedure?code={query}&status=completed&_elements=subject&_count=500"
    )
    listed = whole_listing(procedures)
    return sorted({p for r in listed if (p := _subject(r)) is not None}), []


async def cohort_from_server(
    settings: FhirServerSettings,
    term: Terminology,
    group: str | None,
    loose: list[Issue],
    notes: list[str],
    now: ClinicalTime | None = None,
) -> list[PatientData]:
    """Each cohort patient's records; ``notes`` gains what was left out of the cohort."""
    async with FhirClient.connect(settings) as client:
        patients, issues = await cohort_patients(client, term, group, now)
        notes += issues
        limit = asyncio.Semaphore(4)

        async def one(patient: str) -> list[Any]:
            async with limit:
                return await patient_inputs(client, patient)

        found = await asyncio.gather(*(one(p) for p in patients))
    out: list[PatientData] = []
    for resources in found:
        out += patients_from_resources(resources, loose, read_observation)
    return out
