"""Input resources → records: one function per resource type spinemets reads.

A structurally unusable resource (no subject, wrong shapes) becomes an :class:`Issue`, not a
record; a resource type nothing reads is skipped without being looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from adapter.fhir.read.followup import FollowUpRecord, parse_follow_up
from adapter.fhir.read.identity import patient_name, record_number
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.orders import OrderRecord, order_of_record
from adapter.fhir.read.record_list import READ_TYPES
from adapter.fhir.read.records import (
    NAME_SHOWN,
    Coding,
    ConditionRecord,
    MedicationRecord,
    ObservationFilter,
    ObservationRecord,
    PatientRecord,
    Quantity,
    ResourceRef,
    body_site_names,
    codings,
    concept_name,
    concepts,
    references,
    resource_ref,
    site_concepts,
    status_code,
)
from adapter.fhir.read.references import normalise_reference, patient_of
from adapter.fhir.read.responses import ResponseRecord, parse_response
from adapter.fhir.read.shape import input_limits, malformed
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.vocabulary.cards import shorten
from adapter.vocabulary.forms import form_of_canonical
from adapter.vocabulary.systems import (
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    RELATED_CONDITION_URLS,
    code_label,
)

# Every record parse_resource returns (the record types live beside their readers).
ParsedResource: TypeAlias = (
    PatientRecord
    | ObservationRecord
    | ConditionRecord
    | MedicationRecord
    | FollowUpRecord
    | OrderRecord
    | ResponseRecord
)

__all__ = ["READ_TYPES", "ParsedResource", "parse_resource"]


def _period_end(period: Any) -> ClinicalTime | None:
    return parse_time(period.get("end")) if isinstance(period, dict) else None


def _period_start(period: Any) -> ClinicalTime | None:
    return parse_time(period.get("start")) if isinstance(period, dict) else None


def _observation_time(resource: Mapping[str, Any]) -> ClinicalTime | None:
    return (
        parse_time(resource.get("effectiveDateTime"))
        or parse_time(resource.get("effectiveInstant"))
        or _period_end(resource.get("effectivePeriod"))
        or parse_time(resource.get("issued"))
        # A period still open, with no issued time: taken from its start, never "no time".
        or _period_start(resource.get("effectivePeriod"))
    )


def _quantity(resource: Mapping[str, Any]) -> Quantity | None:
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict):
        return None
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    code, unit, system = quantity.get("code"), quantity.get("unit"), quantity.get("system")
    written = code if isinstance(code, str) and code else unit if isinstance(unit, str) else None
    comparator = quantity.get("comparator")
    return Quantity(
        float(value),
        written or None,
        system if isinstance(system, str) else None,
        comparator if isinstance(comparator, str) and comparator else None,
    )


def _value_number(resource: Mapping[str, Any], quantity: Quantity | None) -> float | None:
    value = resource.get("valueInteger")
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return quantity.value if quantity is not None else None


def _observation(
    resource: Mapping[str, Any],
    ref: ResourceRef,
    patient: str,
    aliases: Mapping[str, str],
    codes: tuple[Coding, ...],
) -> ObservationRecord | Issue:
    status = resource.get("status")
    if not isinstance(status, str):
        label = ref.reference or "Observation without id"
        return Issue("error", "required", f"{label} has no status; ignored.", ref.reference)
    quantity = _quantity(resource)
    return ObservationRecord(
        ref=ref,
        patient=patient,
        status=status,
        codes=codes,
        value_codes=codings(resource.get("valueCodeableConcept")),
        value_number=_value_number(resource, quantity),
        quantity=quantity,
        body_sites=concepts(resource.get("bodySite")),
        # An Observation's bodySite is one concept (R4 0..1): its name, read only by words.
        site_names=(concept_name(resource.get("bodySite")),),
        focus=references(resource.get("focus"), aliases),
        part_of=references(resource.get("partOf"), aliases),
        time=_observation_time(resource),
        derived_from=references(resource.get("derivedFrom"), aliases),
    )


def _condition(
    resource: Mapping[str, Any], ref: ResourceRef, patient: str, aliases: Mapping[str, str]
) -> ConditionRecord:
    related = tuple(
        r
        for r in (
            normalise_reference(ext.get("valueReference"), aliases)
            for ext in resource.get("extension") or ()
            if isinstance(ext, dict) and ext.get("url") in RELATED_CONDITION_URLS
        )
        if r is not None
    )
    codes, name = codings(resource.get("code")), concept_name(resource.get("code"))
    verification, readable = status_code(
        resource.get("verificationStatus"), CONDITION_VERIFICATION, _VERIFICATION_CODES
    )
    notes = []
    if not readable:  # never read as confirmed: possibly present, and said
        verification = "unconfirmed"
        words = _status_words(resource, ref, codes, name, "verificationStatus")
        notes.append(f"{words} read as unconfirmed.")
    clinical, readable = status_code(
        resource.get("clinicalStatus"), CONDITION_CLINICAL, _CLINICAL_CODES
    )
    if not readable:
        # Whether it is current cannot be told: possibly, so never dropped (a dropped metastasis
        # would make its kind a certain "none") nor counted as certain — read as current and
        # unconfirmed, and said.
        if verification not in ("refuted", "entered-in-error"):
            verification = "unconfirmed"
        words = _status_words(resource, ref, codes, name, "clinicalStatus")
        notes.append(f"{words} read as possibly current (as unconfirmed).")
    note = " ".join(notes) or None
    names, uncoded = body_site_names(resource.get("bodySite"))
    onset = parse_time(resource.get("onsetDateTime")) or _period_start(resource.get("onsetPeriod"))
    recorded = parse_time(resource.get("recordedDate"))
    return ConditionRecord(
        ref=ref,
        patient=patient,
        clinical_status=clinical,
        verification_status=verification,
        status_note=note,
        codes=codes,
        body_sites=site_concepts(resource.get("bodySite")),
        site_names=names,
        uncoded_sites=uncoded,
        related=related,
        time=onset or recorded,
        profiles=_profiles(resource),
        name=name,
        abatement=parse_time(resource.get("abatementDateTime"))
        or _abated_by(resource.get("abatementPeriod")),
        recorded=recorded,
        onset=onset,
    )


_CLINICAL_CODES = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
_VERIFICATION_CODES = frozenset(
    {"unconfirmed", "provisional", "differential", "confirmed", "refuted", "entered-in-error"}
)


_STATUS_SYSTEMS = {
    "verificationStatus": "condition-ver-status",
    "clinicalStatus": "condition-clinical",
}


def _status_words(
    resource: Mapping[str, Any],
    ref: ResourceRef,
    codes: tuple[Coding, ...],
    name: str | None,
    element: str,
) -> str:
    """ "Condition/x (ICD-10-CM C79.51): its clinicalStatus …": the diagnosis is named, as cards
    drop the id (contract §4 v3) and would not say which Condition it is."""
    words = concept_name(resource.get(element))
    given = f" ({words})" if words else ""
    label = ref.reference or "A Condition without id"
    name = name or (code_label(codes[0].system, codes[0].code) if codes else None)
    named = f" ({shorten(name, NAME_SHOWN)})" if name else ""
    return (
        f"{label}{named}: its {element}{given} holds none of FHIR's "
        f"{_STATUS_SYSTEMS[element]} codes:"
    )


def _abated_by(period: Any) -> ClinicalTime | None:
    """When the Condition abated, as a period gives it: its end, else its start (abated only
    once the whole period is past, so one still running at the computation time is current)."""
    return _period_end(period) or _period_start(period)


def _profiles(resource: Mapping[str, Any]) -> tuple[str, ...]:
    meta = resource.get("meta")
    listed = meta.get("profile") if isinstance(meta, dict) else None
    return tuple(p for p in listed if isinstance(p, str)) if isinstance(listed, list) else ()


def _patient(resource: Mapping[str, Any], ref: ResourceRef, patient: str) -> PatientRecord:
    gender = resource.get("gender")
    deceased_time = parse_time(resource.get("deceasedDateTime"))
    return PatientRecord(
        ref=ref,
        patient=patient,
        gender=gender if isinstance(gender, str) else None,
        birth_date=parse_time(resource.get("birthDate")),
        deceased=resource.get("deceasedBoolean") is True or deceased_time is not None,
        deceased_time=deceased_time,
        name=patient_name(resource),
        record_number=record_number(resource),
    )


def _medication(
    resource: Mapping[str, Any], ref: ResourceRef, patient: str, aliases: Mapping[str, str]
) -> MedicationRecord:
    status = resource.get("status")
    time = (
        parse_time(resource.get("authoredOn"))
        or parse_time(resource.get("effectiveDateTime"))
        or _period_start(resource.get("effectivePeriod"))
        or parse_time(resource.get("dateAsserted"))
    )
    concept = resource.get("medicationCodeableConcept")
    reference = resource.get("medicationReference")
    medication = normalise_reference(reference, aliases)
    codes, name = codings(concept), concept_name(concept)
    if medication is not None and medication.startswith("#"):
        codes, name = _contained(resource, medication[1:])
    if not name and isinstance(reference, dict) and isinstance(reference.get("display"), str):
        name = reference["display"].strip() or None  # the drug, when the Medication is elsewhere
    return MedicationRecord(
        ref=ref,
        patient=patient,
        status=status if isinstance(status, str) else None,
        codes=codes,
        medication=medication,
        time=time,
        name=name,
    )


def _contained(resource: Mapping[str, Any], local: str) -> tuple[tuple[Coding, ...], str | None]:
    """The code and name of a Medication contained in the request (``#id``)."""
    for inner in resource.get("contained") or ():
        if (
            isinstance(inner, dict)
            and inner.get("resourceType") == "Medication"
            and inner.get("id") == local
        ):
            return codings(inner.get("code")), concept_name(inner.get("code"))
    return (), None


_FOLLOW_UP = frozenset({"Procedure", "Encounter", "AdverseEvent"})
# READ_TYPES, every type of the record list (adapter.fhir.read.record_list), is what an input is
# read for; the rest is never looked at. Each is parsed here, or left to its own reader.


def _order(
    resource: Mapping[str, Any], ref: ResourceRef, patient: str
) -> OrderRecord | Issue | None:
    """A ServiceRequest of the record; one whose doNotPerform is no boolean may forbid what it
    names, so it is an invalid resource, never read as an order to do it."""
    order = order_of_record(resource, patient)
    if order is None or order.do_not_perform_problem is None:
        return order
    label = ref.reference or "ServiceRequest without id"
    message = f"{label} is malformed (doNotPerform: not true or false); ignored."
    return Issue("error", "structure", message, ref.reference, "doNotPerform")


def parse_resource(
    resource: Any,
    full_url: str | None,
    aliases: Mapping[str, str],
    wanted: ObservationFilter | None = None,
) -> ParsedResource | OrderRecord | Issue | None:
    """Parse one input resource; None for resources spinemets does not read.

    ``wanted`` screens Observations by code before anything else is parsed: most of a
    patient's Observations (vitals, most labs) feed nothing, and parsing them dominated the cost.
    """
    if not isinstance(resource, dict):
        return Issue("error", "structure", "An entry is not a FHIR resource (not a JSON object).")
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str):
        return Issue("error", "structure", "An entry's resourceType is not a string; ignored.")
    if rtype not in READ_TYPES:
        return None
    if (
        rtype == "QuestionnaireResponse"
        and form_of_canonical(resource.get("questionnaire")) is None
    ):
        return None  # a response to some other form: nothing spinemets reads
    limits = input_limits()
    if rtype == "Observation" and wanted is not None:
        codes = codings(resource.get("code"))
        if codes and not wanted(codes):
            return None  # nothing reads it: not looked at further
        if not codes and malformed(resource, limits) is None:
            return None  # no code at all: nothing to read either
    reason = malformed(resource, limits)
    if reason is None:
        try:
            return _parse(resource, rtype, full_url, aliases)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
            # A shape the checks above do not know: still one invalid resource, not a failed run.
            reason = f"an element of an unexpected type ({type(exc).__name__})"
    ref = resource_ref(resource, full_url)
    label = ref.reference or f"{rtype} without id"
    return Issue("error", "structure", f"{label} is malformed ({reason}); ignored.", ref.reference)


def _patient_by_full_url(full_url: str | None) -> str | None:
    """The id a Patient without one goes by in its Bundle: a transaction POSTs it with none, and
    its entries reference its fullUrl, which they are read under (references.patient_of); else
    the id an absolute fullUrl ends with."""
    if not full_url:
        return None
    named = normalise_reference({"reference": full_url})
    if named is None:
        return None
    if named.startswith("urn:"):
        return named
    return named[len("Patient/") :] or None if named.startswith("Patient/") else None


def _parse(
    resource: dict[str, Any], rtype: str, full_url: str | None, aliases: Mapping[str, str]
) -> ParsedResource | Issue | None:
    if rtype in _FOLLOW_UP:  # the follow-up of contract §6, in its own module
        return parse_follow_up(resource, full_url, aliases)
    codes = codings(resource.get("code")) if rtype == "Observation" else ()
    ref = resource_ref(resource, full_url)
    patient = patient_of(resource, aliases)
    if patient is None and rtype == "Patient":
        patient = _patient_by_full_url(full_url)
    if patient is None:
        label = ref.reference or f"{rtype} without id"
        if rtype == "Patient":
            return Issue("error", "required", f"{label} has no id; ignored.", ref.reference)
        message = f"{label} has no Patient subject; ignored."
        return Issue("error", "required", message, ref.reference, "subject")
    if rtype == "Observation":
        return _observation(resource, ref, patient, aliases, codes)
    if rtype == "Condition":
        return _condition(resource, ref, patient, aliases)
    if rtype == "Patient":
        return _patient(resource, ref, patient)
    if rtype == "ServiceRequest":
        return _order(resource, ref, patient)
    if rtype == "QuestionnaireResponse":
        return parse_response(resource, ref, patient)
    return _medication(resource, ref, patient, aliases)
