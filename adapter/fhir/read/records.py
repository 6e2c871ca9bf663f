"""Slim, typed views of the input resources spinemets reads (Patient, Observation, Condition).

Only the elements the extraction needs are kept; everything else in the JSON is ignored. A
structurally unusable resource (no subject, wrong shapes) becomes an :class:`Issue`, not a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.timing import ClinicalTime, parse_time

if TYPE_CHECKING:
    from adapter.fhir.read.followup import FollowUpRecord

__all__ = [
    "Coding",
    "ConditionRecord",
    "ObservationFilter",
    "ObservationRecord",
    "ParsedResource",
    "ResourceRef",
    "parse_resource",
]

RELATED_PRIMARY_URL = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition"
)


class Coding(NamedTuple):  # a NamedTuple: built tens of thousands of times per second
    system: str | None
    code: str


class ResourceRef(NamedTuple):
    """How outputs point at an input: ``Observation/123``, or its fullUrl when it has no id."""

    resource_type: str
    reference: str | None


class ObservationRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str
    codes: tuple[Coding, ...]
    value_codes: tuple[Coding, ...]
    value_number: float | None
    body_sites: tuple[tuple[Coding, ...], ...]
    focus: tuple[str, ...]
    time: ClinicalTime | None
    unit: str | None = None  # valueQuantity's code, else its unit (pain in mm, cement in mL)
    part_of: tuple[str, ...] = ()


class ConditionRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    clinical_status: str | None
    verification_status: str | None
    codes: tuple[Coding, ...]
    body_sites: tuple[tuple[Coding, ...], ...]
    related_primaries: tuple[str, ...]
    time: ClinicalTime | None


ParsedResource = ObservationRecord | ConditionRecord


def _codings(concept: Any) -> tuple[Coding, ...]:
    if not isinstance(concept, dict):
        return ()
    out = []
    for coding in concept.get("coding") or ():
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            out.append(Coding(system if isinstance(system, str) else None, coding["code"]))
    return tuple(out)


def _status_code(concept: Any) -> str | None:
    codes = _codings(concept)
    return codes[0].code if codes else None


def _concepts(value: Any) -> tuple[tuple[Coding, ...], ...]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(c for c in (_codings(v) for v in value) if c)


def normalise_reference(reference: Any, aliases: Mapping[str, str]) -> str | None:
    """``Type/id`` for relative, absolute or urn:uuid references (via the Bundle's fullUrls)."""
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if not isinstance(ref, str) or not ref:
        return None
    if ref.count("/") == 1 and not ref.startswith("urn:"):
        return ref  # the common case, relative Type/id
    if ref in aliases:
        return aliases[ref]
    if ref.startswith(("urn:uuid:", "urn:oid:", "#")):
        return ref
    parts = ref.rstrip("/").split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:]) if len(parts) >= 2 else ref


def _patient_of(resource: Mapping[str, Any], aliases: Mapping[str, str]) -> str | None:
    subject = normalise_reference(resource.get("subject"), aliases)
    if subject is None:
        return None
    if subject.startswith("Patient/"):
        return subject[len("Patient/") :]
    return subject if subject.startswith("urn:") else None


def _ref(resource: Mapping[str, Any], full_url: str | None) -> ResourceRef:
    rtype = str(resource.get("resourceType"))
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return ResourceRef(rtype, f"{rtype}/{rid}")
    return ResourceRef(rtype, full_url)


def _observation_time(resource: Mapping[str, Any]) -> ClinicalTime | None:
    period = resource.get("effectivePeriod")
    return (
        parse_time(resource.get("effectiveDateTime"))
        or parse_time(resource.get("effectiveInstant"))
        or (parse_time(period.get("end")) if isinstance(period, dict) else None)
        or parse_time(resource.get("issued"))
    )


def _unit(resource: Mapping[str, Any]) -> str | None:
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    unit = quantity.get("code") or quantity.get("unit")
    return unit if isinstance(unit, str) else None


def _references(value: Any, aliases: Mapping[str, str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(r for r in (normalise_reference(v, aliases) for v in value) if r is not None)


def _value_number(resource: Mapping[str, Any]) -> float | None:
    value = resource.get("valueInteger")
    if value is None and isinstance(resource.get("valueQuantity"), dict):
        value = resource["valueQuantity"].get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


ObservationFilter = Callable[[tuple[Coding, ...]], bool]


def parse_resource(
    resource: Any,
    full_url: str | None,
    aliases: Mapping[str, str],
    wanted: ObservationFilter | None = None,
) -> ParsedResource | FollowUpRecord | Issue | None:
    """Parse one input resource; None for resources spinemets does not read.

    ``wanted`` screens Observations by code before anything else is parsed: most of a
    patient's Observations (labs, vitals) feed no score, and parsing them dominated the cost.
    """
    if not isinstance(resource, dict):
        return Issue("error", "structure", "An entry is not a FHIR resource (not a JSON object).")
    rtype = resource.get("resourceType")
    if rtype not in ("Observation", "Condition"):
        # Patient, Procedure, Encounter, AdverseEvent: the follow-up of contract §6.
        from adapter.fhir.read.followup import parse_follow_up

        return parse_follow_up(resource, full_url, aliases)
    codes = _codings(resource.get("code"))
    if rtype == "Observation" and wanted is not None and not wanted(codes):
        return None
    ref = _ref(resource, full_url)
    label = ref.reference or f"{rtype} without id"
    patient = _patient_of(resource, aliases)
    if patient is None:
        message = f"{label} has no Patient subject; ignored."
        return Issue("error", "required", message, ref.reference, "subject")
    if rtype == "Observation":
        status = resource.get("status")
        if not isinstance(status, str):
            return Issue("error", "required", f"{label} has no status; ignored.", ref.reference)
        focus = _references(resource.get("focus"), aliases)
        return ObservationRecord(
            ref=ref,
            patient=patient,
            status=status,
            codes=codes,
            value_codes=_codings(resource.get("valueCodeableConcept")),
            value_number=_value_number(resource),
            body_sites=_concepts(resource.get("bodySite")),
            focus=focus,
            time=_observation_time(resource),
            unit=_unit(resource),
            part_of=_references(resource.get("partOf"), aliases),
        )
    related = tuple(
        r
        for r in (
            normalise_reference(ext.get("valueReference"), aliases)
            for ext in resource.get("extension") or ()
            if isinstance(ext, dict) and ext.get("url") == RELATED_PRIMARY_URL
        )
        if r is not None
    )
    return ConditionRecord(
        ref=ref,
        patient=patient,
        clinical_status=_status_code(resource.get("clinicalStatus")),
        verification_status=_status_code(resource.get("verificationStatus")),
        codes=codes,
        body_sites=_concepts(resource.get("bodySite")),
        related_primaries=related,
        time=parse_time(resource.get("onsetDateTime"))
        or parse_time(resource.get("recordedDate"))
        or (
            parse_time(resource["onsetPeriod"].get("start"))
            if isinstance(resource.get("onsetPeriod"), dict)
            else None
        ),
    )
