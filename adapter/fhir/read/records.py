"""Slim, typed views of the input resources spinemets reads.

Only the elements the extraction needs are kept; everything else in the JSON is ignored.
Records are NamedTuples: tens of thousands are built per second in a bulk run. They are
built by :mod:`adapter.fhir.read.parse`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from adapter.fhir.read.references import normalise_reference
from adapter.fhir.read.timing import ClinicalTime
from adapter.vocabulary.cards import shorten
from adapter.vocabulary.systems import ICD10CM, LATERALITY_URLS, canonical_system

__all__ = [
    "Coding",
    "ConditionRecord",
    "MedicationRecord",
    "ObservationFilter",
    "ObservationRecord",
    "PatientRecord",
    "Quantity",
    "ResourceRef",
    "body_site_names",
    "codings",
    "concept_name",
    "concepts",
    "references",
    "resource_ref",
    "site_concepts",
    "status_code",
]


class Coding(NamedTuple):
    system: str | None
    code: str


class ResourceRef(NamedTuple):
    """How outputs point at an input: ``Observation/123``, or its fullUrl when it has no id."""

    resource_type: str
    reference: str | None


class Quantity(NamedTuple):
    """A ``valueQuantity``: its number and how its unit is written (UCUM code, else unit)."""

    value: float
    unit: str | None
    system: str | None
    comparator: str | None = None  # "<", "<=", ">=", ">": the value is a bound, not the value


class PatientRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    gender: str | None
    birth_date: ClinicalTime | None
    deceased: bool  # deceasedBoolean true, or a deceasedDateTime
    deceased_time: ClinicalTime | None
    # Who the page is about, as the record names them (the header of the page, contract §7).
    name: str | None = None
    record_number: str | None = None


class ObservationRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    status: str
    codes: tuple[Coding, ...]
    value_codes: tuple[Coding, ...]
    value_number: float | None  # valueInteger, or valueQuantity.value
    quantity: Quantity | None
    body_sites: tuple[tuple[Coding, ...], ...]
    focus: tuple[str, ...]
    part_of: tuple[str, ...]
    time: ClinicalTime | None
    derived_from: tuple[str, ...] = ()  # a response it was extracted from is not counted twice
    site_names: tuple[str | None, ...] = ()  # each coded bodySite as named (body_site_names)

    @property
    def unit(self) -> str | None:
        """The valueQuantity's unit as written (UCUM code, else unit)."""
        return self.quantity.unit if self.quantity is not None else None


# How a Condition whose clinicalStatus or verificationStatus could not be read is said: it
# counts as unconfirmed (adapter/fhir/read/parse.py), and the reason travels with it.
STATUS_NOT_READ = "status not read: taken as unconfirmed"
# Characters of a Condition's own words quoted in any output: every real diagnosis name whole
# (a few hundred at most), a hostile 200 KB text bounded.
NAME_SHOWN = 400


class ConditionRecord(NamedTuple):
    ref: ResourceRef
    patient: str
    clinical_status: str | None
    verification_status: str | None
    codes: tuple[Coding, ...]
    body_sites: tuple[tuple[Coding, ...], ...]
    related: tuple[str, ...]  # conditions this one names as related (its primary tumour)
    time: ClinicalTime | None
    profiles: tuple[str, ...] = ()  # meta.profile: the profiles the Condition claims
    name: str | None = None  # the diagnosis as people read it: the code's text or a display
    site_names: tuple[str | None, ...] = ()  # each coded bodySite as named (body_site_names)
    uncoded_sites: tuple[str, ...] = ()  # the bodySites in words only: no level, but quoted
    # When it abated (abatementDateTime, else abatementPeriod): its status is read as of then.
    abatement: ClinicalTime | None = None
    # When it was asserted (recordedDate): a diagnosis is last known present then, whatever its
    # onset; what dates a diagnosis that stands for a grade (adapter/mapping/safety.py).
    recorded: ClinicalTime | None = None
    # Why its verificationStatus was read as unconfirmed (one given that cannot be read): said
    # once as a warning beside the patient's other issues.
    status_note: str | None = None
    # When it began (onsetDateTime, else onsetPeriod.start); None when only its recordedDate,
    # or nothing, dates it. An onset on the day it was recorded is an onset all the same.
    onset: ClinicalTime | None = None

    @property
    def shown_name(self) -> str | None:
        """Its name as every output quotes it: the record's words, cut at a word boundary
        (matching reads :attr:`name` whole)."""
        return shorten(self.name, NAME_SHOWN) if self.name else None

    @property
    def verification_said(self) -> str | None:
        """Its verification status as cards say it ("provisional"); when a status could not be
        read, that, and how it was taken."""
        return STATUS_NOT_READ if self.status_note is not None else self.verification_status

    @property
    def last_known(self) -> ClinicalTime | None:
        """When it was last known present: the later of its time (onset) and its recordedDate,
        a partial date counted to its end ("2024-05" may be 31 May). A compression diagnosed
        yesterday whose symptoms began in April is no old evidence."""
        times = [t for t in (self.time, self.recorded) if t is not None]
        return max(times, key=lambda t: t.end) if times else None


class MedicationRecord(NamedTuple):
    """A MedicationRequest or MedicationStatement: what is (or was) taken."""

    ref: ResourceRef
    patient: str
    status: str | None
    codes: tuple[Coding, ...]  # medicationCodeableConcept, or the referenced Medication's code
    medication: str | None  # medicationReference, resolved against the input's Medications
    time: ClinicalTime | None
    name: str | None = None  # the drug as people read it: the concept's text or a display


ObservationFilter = Callable[[tuple[Coding, ...]], bool]


def concept_name(concept: Any) -> str | None:
    """A CodeableConcept as people read it: its text, else its first coding's display."""
    if not isinstance(concept, dict):
        return None
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return text.strip()
    found = concept.get("coding")
    for coding in found if isinstance(found, list) else ():  # wrong JSON types: no display
        display = coding.get("display") if isinstance(coding, dict) else None
        if isinstance(display, str) and display.strip():
            return display.strip()
    return None


def codings(concept: Any) -> tuple[Coding, ...]:
    """The codings of a CodeableConcept that have a code."""
    if not isinstance(concept, dict):
        return ()
    found = concept.get("coding")
    out = []
    for coding in found if isinstance(found, list) else ():  # wrong JSON types: no coding
        if isinstance(coding, dict):
            code = coding.get("code")
            if isinstance(code, str):
                system = coding.get("system")
                known = canonical_system(system) if isinstance(system, str) else None
                if known == ICD10CM and len(code) > 3 and "." not in code:
                    code = f"{code[:3]}.{code[3:]}"  # C7951, as claims write it, is C79.51
                out.append(Coding(known, code))
    return tuple(out)


def concepts(value: Any) -> tuple[tuple[Coding, ...], ...]:
    """The coded concepts of a CodeableConcept or a list of them."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(c for c in (codings(v) for v in value) if c)


def site_concepts(value: Any) -> tuple[tuple[Coding, ...], ...]:
    """The coded bodySites, each with the codings of its laterality extension after its own (a
    qualifier: "Left" beside "Bone structure of femur", contract §2 counts)."""
    items = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
    out = []
    for item in items:
        own = codings(item)
        if own:
            found = item.get("extension")
            sides = tuple(
                c
                for ext in (found if isinstance(found, list) else ())
                if isinstance(ext, dict) and ext.get("url") in LATERALITY_URLS
                for c in codings(ext.get("valueCodeableConcept"))
            )
            out.append(own + sides)
    return tuple(out)


def status_code(concept: Any, system: str, codes: frozenset[str]) -> tuple[str | None, bool]:
    """The status a CodeableConcept gives in ``system`` (FHIR's required binding, ``codes`` its
    codes): ``(code, True)``; ``(None, True)`` when there is none at all; ``(None, False)`` when
    one is given but not in that system (a local code only, words only): it cannot be read. A
    local coding before FHIR's own is passed over; a coding with no system is read when its code
    is one of ``codes``."""
    if concept is None or concept == {}:
        return None, True
    found = codings(concept)
    for coding in found:
        if coding.system == system and coding.code.lower() in codes:
            return coding.code.lower(), True
    for coding in found:
        if coding.system is None and coding.code.lower() in codes:
            return coding.code.lower(), True
    return None, False


def references(value: Any, aliases: Mapping[str, str]) -> tuple[str, ...]:
    items = value if isinstance(value, list) else ()
    return tuple(r for r in (normalise_reference(v, aliases) for v in items) if r is not None)


def resource_ref(resource: Mapping[str, Any], full_url: str | None) -> ResourceRef:
    rtype = str(resource.get("resourceType"))
    rid = resource.get("id")
    if isinstance(rid, str) and rid:
        return ResourceRef(rtype, f"{rtype}/{rid}")
    return ResourceRef(rtype, full_url)


def body_site_names(value: Any) -> tuple[tuple[str | None, ...], tuple[str, ...]]:
    """(the name of each coded bodySite, in the order of ``concepts``; the uncoded ones' names)."""
    items = [value] if isinstance(value, dict) else value if isinstance(value, list) else []
    coded = tuple(concept_name(v) for v in items if codings(v))
    uncoded = tuple(n for v in items if not codings(v) and (n := concept_name(v)) is not None)
    return coded, uncoded
