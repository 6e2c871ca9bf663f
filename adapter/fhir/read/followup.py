"""Slim views of what the follow-up of contract §6 reads: Patient, Procedure, Encounter and
AdverseEvent (pain, Barthel and cement are Observations, read with the others)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import (
    Coding,
    ResourceRef,
    _codings,
    _concepts,
    _patient_of,
    _ref,
    _references,
)
from adapter.fhir.read.timing import ClinicalTime, parse_time

__all__ = [
    "AdverseEventRecord",
    "EncounterRecord",
    "FollowUpRecord",
    "PatientRecord",
    "ProcedureRecord",
    "parse_follow_up",
]


class PatientRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    gender: str | None
    birth_date: ClinicalTime | None
    deceased: bool  # deceasedBoolean true, or any deceasedDateTime
    deceased_time: ClinicalTime | None


class ProcedureRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str | None
    codes: tuple[Coding, ...]
    time: ClinicalTime | None  # performedDateTime, else performedPeriod.start
    body_sites: tuple[tuple[Coding, ...], ...]
    reasons: tuple[str, ...]  # reasonReference


class EncounterRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str | None
    time: ClinicalTime | None  # period.end, else period.start


class AdverseEventRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    actuality: str | None
    codes: tuple[Coding, ...]  # event
    time: ClinicalTime | None  # date, else detected, else recordedDate


FollowUpRecord = PatientRecord | ProcedureRecord | EncounterRecord | AdverseEventRecord


def _period(value: Any, end_first: bool) -> ClinicalTime | None:
    if not isinstance(value, dict):
        return None
    if end_first:
        return parse_time(value.get("end")) or parse_time(value.get("start"))
    return parse_time(value.get("start"))


def _patient(resource: Mapping[str, Any], ref: ResourceRef) -> PatientRecord | None:
    if ref.reference is None:
        return None
    deceased_time = parse_time(resource.get("deceasedDateTime"))
    return PatientRecord(
        ref=ref,
        patient=ref.reference.removeprefix("Patient/"),
        gender=resource.get("gender") if isinstance(resource.get("gender"), str) else None,
        birth_date=parse_time(resource.get("birthDate")),
        deceased=resource.get("deceasedBoolean") is True or deceased_time is not None,
        deceased_time=deceased_time,
    )


def parse_follow_up(
    resource: Mapping[str, Any], full_url: str | None, aliases: Mapping[str, str]
) -> FollowUpRecord | Issue | None:
    """One Patient, Procedure, Encounter or AdverseEvent; None for any other type."""
    rtype = resource.get("resourceType")
    if rtype not in ("Patient", "Procedure", "Encounter", "AdverseEvent"):
        return None
    ref = _ref(resource, full_url)
    if rtype == "Patient":
        return _patient(resource, ref)
    patient = _patient_of(resource, aliases)
    if patient is None:
        if rtype == "Encounter":
            return None  # an Encounter may have no subject: it is then about no patient
        label = ref.reference or f"{rtype} without id"
        return Issue("error", "required", f"{label} has no Patient subject; ignored.",
                     ref.reference, "subject")  # fmt: skip
    status = resource.get("status")
    status = status if isinstance(status, str) else None
    if rtype == "Procedure":
        return ProcedureRecord(
            ref=ref,
            patient=patient,
            status=status,
            codes=_codings(resource.get("code")),
            time=parse_time(resource.get("performedDateTime"))
            or _period(resource.get("performedPeriod"), end_first=False),
            body_sites=_concepts(resource.get("bodySite")),
            reasons=_references(resource.get("reasonReference"), aliases),
        )
    if rtype == "Encounter":
        return EncounterRecord(ref, patient, status, _period(resource.get("period"), True))
    actuality = resource.get("actuality")
    return AdverseEventRecord(
        ref=ref,
        patient=patient,
        actuality=actuality if isinstance(actuality, str) else None,
        codes=_codings(resource.get("event")),
        time=parse_time(resource.get("date"))
        or parse_time(resource.get("detected"))
        or parse_time(resource.get("recordedDate")),
    )
