"""Slim views of what the follow-up of contract §6 reads: Procedure, Encounter and AdverseEvent
(the Patient, pain, Barthel and cement are read with the other records)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import (
    Coding,
    ResourceRef,
    body_site_names,
    codings,
    concepts,
    references,
    resource_ref,
)
from adapter.fhir.read.references import patient_of
from adapter.fhir.read.timing import ClinicalTime, parse_time

__all__ = [
    "AdverseEventRecord",
    "EncounterRecord",
    "FollowUpRecord",
    "ProcedureRecord",
    "parse_follow_up",
]


class ProcedureRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str | None
    codes: tuple[Coding, ...]
    time: ClinicalTime | None  # performedDateTime, else performedPeriod.start
    body_sites: tuple[tuple[Coding, ...], ...]
    reasons: tuple[str, ...]  # reasonReference
    words: str = ""  # code.text and the codings' displays, lower case: how the record names it
    site_words: str = ""  # each bodySite's name ("|" between them): where the record says it was
    uncoded_sites: tuple[str, ...] = ()  # the bodySites in words only, as written
    site_names: tuple[str | None, ...] = ()  # each coded bodySite as the record names it


class EncounterRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str | None
    time: ClinicalTime | None  # period.end, else period.start
    start: ClinicalTime | None = None  # period.start: when the patient was there
    codes: tuple[Coding, ...] = ()  # type


class AdverseEventRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    actuality: str | None
    codes: tuple[Coding, ...]  # event
    time: ClinicalTime | None  # date, else detected, else recordedDate


FollowUpRecord = ProcedureRecord | EncounterRecord | AdverseEventRecord


def _period(value: Any, end_first: bool) -> ClinicalTime | None:
    if not isinstance(value, dict):
        return None
    if end_first:
        return parse_time(value.get("end")) or parse_time(value.get("start"))
    return parse_time(value.get("start"))


def _words(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    texts = [concept.get("text")]
    texts += [c.get("display") for c in concept.get("coding") or () if isinstance(c, dict)]
    return " ".join(t for t in texts if isinstance(t, str)).lower()


def _site_words(coded: tuple[str | None, ...], uncoded: tuple[str, ...]) -> str:
    """Each bodySite as the record names it (body_site_names), lower case, "|" between them."""
    return "|".join(name.lower() for name in (*coded, *uncoded) if name)


def parse_follow_up(
    resource: Mapping[str, Any], full_url: str | None, aliases: Mapping[str, str]
) -> FollowUpRecord | Issue | None:
    """One Procedure, Encounter or AdverseEvent; None for any other type."""
    rtype = resource.get("resourceType")
    if rtype not in ("Procedure", "Encounter", "AdverseEvent"):
        return None
    ref = resource_ref(resource, full_url)
    patient = patient_of(resource, aliases)
    if patient is None:
        if rtype == "Encounter":
            return None  # an Encounter may have no subject: it is then about no patient
        label = ref.reference or f"{rtype} without id"
        return Issue(
            "error",
            "required",
            f"{label} has no Patient subject; ignored.",
            ref.reference,
            "subject",
        )
    status = resource.get("status")
    status = status if isinstance(status, str) else None
    if rtype == "Procedure":
        coded, uncoded = body_site_names(resource.get("bodySite"))
        return ProcedureRecord(
            ref=ref,
            patient=patient,
            status=status,
            codes=codings(resource.get("code")),
            time=parse_time(resource.get("performedDateTime"))
            or _period(resource.get("performedPeriod"), end_first=False),
            body_sites=concepts(resource.get("bodySite")),
            reasons=references(resource.get("reasonReference"), aliases),
            words=_words(resource.get("code")),
            site_words=_site_words(coded, uncoded),
            uncoded_sites=uncoded,
            site_names=coded,
        )
    if rtype == "Encounter":
        period = resource.get("period")
        types = tuple(c for concept in concepts(resource.get("type")) for c in concept)
        return EncounterRecord(
            ref, patient, status, _period(period, True), _period(period, False), types
        )
    actuality = resource.get("actuality")
    return AdverseEventRecord(
        ref=ref,
        patient=patient,
        actuality=actuality if isinstance(actuality, str) else None,
        codes=codings(resource.get("event")),
        time=parse_time(resource.get("date"))
        or parse_time(resource.get("detected"))
        or parse_time(resource.get("recordedDate")),
    )
