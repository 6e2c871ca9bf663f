"""Reading input: a FHIR Bundle or NDJSON of resources, grouped per patient.

NDJSON from a file is read twice: the first pass notes each patient's last line, the second
hands a patient on as soon as that line is passed, so memory stays flat when a patient's
resources are contiguous (and results stay correct when they are not). Standard input is
spooled to a temporary file first.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from adapter.errors import InputError
from adapter.fhir.read.bundles import Entry, bundle_entries
from adapter.fhir.read.followup import AdverseEventRecord, EncounterRecord, ProcedureRecord
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.lines import bounded_lines, skip_bom, sniff, spool_input, too_long
from adapter.fhir.read.medicines import Medicines
from adapter.fhir.read.orders import OrderRecord
from adapter.fhir.read.parse import READ_TYPES, ParsedResource, parse_resource
from adapter.fhir.read.partial import refuse_partial
from adapter.fhir.read.records import (
    ConditionRecord,
    MedicationRecord,
    ObservationFilter,
    ObservationRecord,
    PatientRecord,
    resource_ref,
)
from adapter.fhir.read.references import patient_of
from adapter.fhir.read.responses import ResponseRecord
from adapter.fhir.read.shape import input_limits
from adapter.fhir.read.timing import zoneless_issue

__all__ = [
    "PatientData",
    "merged_patients",
    "patients_from_resources",
    "read_input",
    "read_resources",
]

JSON_READER_DEPTH = 1024  # orjson refuses a document nested deeper, whatever it holds


@dataclass(slots=True)
class PatientData:
    """Everything one patient's input holds that spinemets reads."""

    patient: str
    record: PatientRecord | None = None
    observations: list[ObservationRecord] = field(default_factory=list)
    conditions: list[ConditionRecord] = field(default_factory=list)
    medications: list[MedicationRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    # The follow-up of contract §6.
    procedures: list[ProcedureRecord] = field(default_factory=list)
    encounters: list[EncounterRecord] = field(default_factory=list)
    adverse_events: list[AdverseEventRecord] = field(default_factory=list)
    # The draft or active ServiceRequests of the record (contract §2 v3): orders whose
    # procedure check the text report and the page show.
    orders: list[OrderRecord] = field(default_factory=list)
    # The responses to spinemets' forms in the input, whatever their status: an Observation
    # extracted from one of them is not counted (the response says what still holds).
    responses: list[str] = field(default_factory=list)


# The record lists of PatientData, what two inputs of one patient add up to, with the type of
# the resources each holds: a record named by another resource (a finding a form's answers
# record, under the QuestionnaireResponse) is one of several under that name.
_RECORD_LISTS = {
    "observations": "Observation", "conditions": "Condition", "medications": "Medication",
    "procedures": "Procedure", "encounters": "Encounter", "adverse_events": "AdverseEvent",
    "orders": "ServiceRequest",
}  # fmt: skip


def _own_reference(record: Any, rtype: str) -> str | None:
    """A record's reference when it names the record's own resource (an order's is its own
    field); None for one without an id, or named by the resource it came from."""
    ref = getattr(record, "ref", None)
    named = ref.reference if ref is not None else getattr(record, "reference", None)
    if isinstance(named, str) and (named.startswith(f"{rtype}/") or rtype == "Medication"):
        return named
    return None


def _identity(record: Any) -> Any:
    """What makes two records the same content: the record itself when it hashes, else its
    text (records hold tuples; a stray list would not hash)."""
    try:
        hash(record)
    except TypeError:
        return repr(record)
    return record


def _twice(ref: str) -> Issue:
    message = (
        f"{ref} is given more than once with different content: the first one read is used "
        "(the order of the inputs) — give one copy, the current one."
    )
    return Issue("warning", "duplicate", message, ref)


def merged_patients(inputs: Iterable[Iterable[PatientData]]) -> list[PatientData]:
    """Each patient's records from several inputs read together (a Bulk Data export holds one
    file per resource type; the same file may be given twice): a resource given twice (its
    reference) is read once, its copies that differ named; copies of the Patient that disagree
    on a death are read as deceased (:func:`_one_patient`). A Medication in another input than
    its request is not resolved (each input resolves its own). In order of each patient's first
    appearance."""
    out: dict[str, PatientData] = {}
    for patients in inputs:
        for data in patients:
            into = out.get(data.patient)
            if into is None:  # read into an empty one: copies within one input are found too
                into = out[data.patient] = PatientData(data.patient)
            if data.record is not None:
                into.record = _one_patient(into, data.record)
            for name, rtype in _RECORD_LISTS.items():
                have: list[Any] = getattr(into, name)
                same = {_identity(r) for r in have}
                seen = {ref: r for r in have if (ref := _own_reference(r, rtype))}
                for record in getattr(data, name):
                    if _identity(record) in same:  # the same content again: one record
                        continue
                    ref = _own_reference(record, rtype)
                    if ref and ref in seen:  # another copy of one resource: which holds? said
                        into.issues.append(_twice(ref))
                        continue
                    if ref:
                        seen[ref] = record
                    same.add(_identity(record))
                    have.append(record)
            into.issues += [i for i in data.issues if i not in into.issues]
            into.responses += [r for r in data.responses if r not in into.responses]
    return list(out.values())


def _group(
    entries: list[Entry], aliases: Mapping[str, str], wanted: ObservationFilter | None
) -> tuple[list[PatientData], list[Issue]]:
    patients: dict[str, PatientData] = {}
    loose: list[Issue] = []
    medicines = Medicines()
    for entry in entries:
        _note_contained(patients, loose, entry.resource, entry.full_url, aliases)
        parsed = parse_resource(entry.resource, entry.full_url, aliases, wanted)
        if parsed is None:
            medicines.note(entry.resource, entry.full_url)
            continue  # a resource spinemets does not read, or an Observation screened out
        # A parsed record knows its patient; only issues need the look-up.
        key = patient_of(entry.resource, aliases) if isinstance(parsed, Issue) else parsed.patient
        _add(patients, loose, key, parsed)
    if medicines:
        for data in patients.values():
            data.medications = medicines.resolved(data.medications)
    return list(patients.values()), loose


def _note_contained(
    patients: dict[str, PatientData],
    loose: list[Issue],
    resource: Any,
    full_url: str | None,
    aliases: Mapping[str, str],
) -> None:
    """Resources of the record's kinds contained in another (a metastasis holding its primary, a
    report holding its findings) are not read: said, never dropped in silence (contract §2). A
    Medication contained in a request is read with it (parse.py)."""
    held = resource.get("contained") if isinstance(resource, dict) else None
    if not held or not isinstance(held, list):
        return
    kinds = sorted(
        {k for r in held if isinstance(r, dict) and (k := r.get("resourceType")) in READ_TYPES}
    )
    if not kinds:
        return
    ref = resource_ref(resource, full_url).reference or f"{resource.get('resourceType')} without id"
    message = (
        f"{ref}: its contained {', '.join(kinds)} resources are not read — send them as "
        "resources of their own."
    )
    _add(
        patients,
        loose,
        patient_of(resource, aliases),
        Issue("warning", "not-supported", message, ref),
    )


def _add(
    patients: dict[str, PatientData],
    loose: list[Issue],
    key: str | None,
    parsed: ParsedResource | OrderRecord | Issue | None,
) -> None:
    if parsed is None:
        return
    data = None
    if key is not None:
        data = patients.get(key)
        if data is None:
            data = patients[key] = PatientData(key)
    if data is None:
        if isinstance(parsed, Issue):
            loose.append(parsed)
        return
    time = getattr(parsed, "time", None)  # the time the record is placed by, where it has one
    if time is not None and time.zoneless:
        ref = getattr(parsed, "ref", None)
        data.issues.append(zoneless_issue(ref.reference if ref is not None else None, time.text))
    if isinstance(parsed, ObservationRecord):
        data.observations.append(parsed)
    elif isinstance(parsed, ResponseRecord):
        data.observations.extend(parsed.findings)
        if parsed.ref.reference is not None:
            data.responses.append(parsed.ref.reference)
        if parsed.unread is not None:
            data.issues.append(parsed.unread)
    elif isinstance(parsed, ConditionRecord):
        data.conditions.append(parsed)
        if parsed.status_note is not None:
            data.issues.append(
                Issue("warning", "invalid", parsed.status_note, parsed.ref.reference)
            )
    elif isinstance(parsed, MedicationRecord):
        data.medications.append(parsed)
    elif isinstance(parsed, PatientRecord):
        data.record = _one_patient(data, parsed)
    elif isinstance(parsed, ProcedureRecord):
        data.procedures.append(parsed)
    elif isinstance(parsed, EncounterRecord):
        data.encounters.append(parsed)
    elif isinstance(parsed, AdverseEventRecord):
        data.adverse_events.append(parsed)
    elif isinstance(parsed, OrderRecord):
        data.orders.append(parsed)
    else:
        data.issues.append(parsed)


def _one_patient(data: PatientData, new: PatientRecord) -> PatientRecord:
    """The Patient read, when it is sent more than once (a stale copy riding in another search):
    copies that disagree on whether the patient has died are read as deceased and named, never
    left to the order they came in (the deceased rule withholds every recommendation)."""
    old = data.record
    if old is None or old.deceased == new.deceased:
        return new
    said = (
        f"{new.ref.reference or 'Patient'} is sent more than once and the copies disagree on "
        "whether the patient has died: read as deceased — check the record"
    )
    data.issues.append(Issue("warning", "business-rule", said, new.ref.reference))
    return old if old.deceased else new


def _load_line(line: bytes, number: int) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return _BadLine(number)


@dataclass(frozen=True, slots=True)
class _BadLine:
    number: int


def _last_lines(stream: IO[bytes], limit: int, medicines: Medicines) -> dict[str, int]:
    """Each patient's last line: a patient is complete, and handed on, once that line is read.
    The Medications met on the way are kept: a request's may come after the patient's lines."""
    last_line: dict[str, int] = {}
    resources = 0
    for number, line in bounded_lines(stream, limit):
        if line is not None and line.strip():
            resource = _load_line(line, number)
            if isinstance(resource, dict) and isinstance(resource.get("resourceType"), str):
                resources += 1
                refuse_partial(resource)  # before a patient is handed on and printed
                if not medicines.note(resource) and resource["resourceType"] == "Bundle":
                    for entry in bundle_entries(resource)[0]:  # those of inner Bundles too
                        medicines.note(entry.resource, entry.full_url)
            key = patient_of(resource)
            if key is not None:
                last_line[key] = number
    if not resources:
        raise InputError("the input holds no FHIR resource (no line has a resourceType)")
    return last_line


def _ndjson_patients(
    stream: IO[bytes], loose: list[Issue], wanted: ObservationFilter | None, origin: int
) -> Iterator[PatientData]:
    limit = input_limits().max_line_bytes
    medicines = Medicines()
    last_line = _last_lines(stream, limit, medicines)
    stream.seek(origin)
    pending: dict[str, PatientData] = {}
    for number, line in bounded_lines(stream, limit):
        if line is None:
            loose.append(too_long(number, limit))
            continue
        if not line.strip():
            continue
        resource = _load_line(line, number)
        if isinstance(resource, _BadLine):
            loose.append(
                Issue("error", "structure", f"NDJSON line {number + 1} is not JSON; ignored.")
            )
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            message = f"NDJSON line {number + 1} is not a FHIR resource; ignored."
            loose.append(Issue("error", "structure", message))
            continue
        if resource.get("resourceType") == "Bundle":
            entries, aliases = bundle_entries(resource)
            for entry in entries:
                _note_contained(pending, loose, entry.resource, entry.full_url, aliases)
                parsed = parse_resource(entry.resource, entry.full_url, aliases, wanted)
                # A parsed record knows its patient (a Patient POSTed with no id, its fullUrl).
                key = (
                    patient_of(entry.resource, aliases)
                    if parsed is None or isinstance(parsed, Issue)
                    else parsed.patient
                )
                _add(pending, loose, key, parsed)
        else:
            _note_contained(pending, loose, resource, None, {})
            parsed = parse_resource(resource, None, {}, wanted)
            # A parsed record knows its patient; only the rest need the look-up.
            key = (
                patient_of(resource)
                if parsed is None or isinstance(parsed, Issue)
                else parsed.patient
            )
            _add(pending, loose, key, parsed)
            if key is not None and last_line.get(key) == number:
                done = pending.pop(key, None)  # None: every line of it was one nothing reads
                if done is not None:
                    done.medications = medicines.resolved(done.medications)
                    yield done
    for data in pending.values():
        data.medications = medicines.resolved(data.medications)
        yield data


def patients_from_resources(
    resources: Iterable[Any], loose: list[Issue], wanted: ObservationFilter | None = None
) -> list[PatientData]:
    """Patients from resources already in memory (a CDS prefetch, a search result).

    A Bundle among them contributes its entries, with its fullUrls resolving references.
    """
    entries: list[Entry] = []
    aliases: dict[str, str] = {}
    for resource in resources:
        if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
            found, more = bundle_entries(resource)
            entries += found
            aliases |= more
        else:
            entries.append(Entry(resource, None))
    patients, issues = _group(entries, aliases, wanted)
    loose.extend(issues)
    return patients


def read_resources(
    stream: IO[bytes], loose: list[Issue], wanted: ObservationFilter | None = None
) -> Iterator[PatientData]:
    """Patients from a seekable byte stream holding a Bundle, a resource or NDJSON."""
    origin = skip_bom(stream)
    if sniff(stream, input_limits().max_line_bytes, origin) == "ndjson":
        yield from _ndjson_patients(stream, loose, wanted, origin)
        return
    try:
        document = orjson.loads(stream.read())
    except orjson.JSONDecodeError as exc:
        if "limit exceeded" in exc.msg:  # orjson's own, far beyond SPINEMETS_MAX_JSON_DEPTH
            raise InputError(
                f"the input nests deeper than {JSON_READER_DEPTH:,} levels, the JSON reader's "
                "limit: refused whole (a resource nested deeper than SPINEMETS_MAX_JSON_DEPTH "
                "is set aside only below it)"
            ) from None
        raise InputError(f"the input is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
        raise InputError("the input is JSON but not a FHIR resource (no resourceType)")
    bundle = document["resourceType"] == "Bundle"
    entries, aliases = bundle_entries(document) if bundle else ([Entry(document, None)], {})
    patients, issues = _group(entries, aliases, wanted)
    loose.extend(issues)
    yield from patients


def read_input(
    path: str, loose: list[Issue], wanted: ObservationFilter | None = None
) -> Iterator[PatientData]:
    """Patients from a file path, or from standard input when the path is ``-``."""
    if path == "-":
        if sys.stdin is None:
            raise InputError("standard input is closed")
        with tempfile.TemporaryFile() as spool:
            spool_input(sys.stdin.buffer, spool, input_limits().max_line_bytes)
            spool.seek(0)
            yield from read_resources(spool, loose, wanted)
        return
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 - closed below, generator keeps it open
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        yield from read_resources(handle, loose, wanted)
