"""What sync reads from a FHIR server: which patients, each patient's score inputs, and the outputs
spinemets already wrote for that patient.

Searches ask the server not to answer from a cache: a notification or a rerun comes right after a
write, and HAPI reuses an identical search's results for a minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adapter.errors import FhirServerError, InputError
from adapter.fhir.client import FhirClient, bundle_resources, is_fhir_id, next_link
from adapter.fhir.read.partial import page_failed, search_failed, short_of_total
from adapter.fhir.read.record_list import RECORD_LIST, search_of
from adapter.fhir.read.references import patient_of
from adapter.mapping.observations import READ_LOINC
from adapter.mapping.terminology import Terminology
from adapter.vocabulary.systems import ASSESSMENT_SID, FINDING, ICD10CM, LOINC, spellings_of

__all__ = [
    "Snapshot",
    "all_patients",
    "changed_patients",
    "group_snapshots",
    "patient_inputs",
    "patient_snapshot",
    "record_changes",
    "stored_outputs",
    "whole_listing",
]

# Only Observations spinemets reads: every finding (`system|` matches any code of the system) and
# the LOINC codes the extraction reads.
_OBSERVATION_CODES = ",".join(
    quote(c, safe="") for c in (f"{FINDING}|", *(f"{LOINC}|{code}" for code in sorted(READ_LOINC)))
)
_OURS = quote(f"{ASSESSMENT_SID}|", safe="")


def _subjects(resources: list[Any]) -> set[str]:
    return {p for p in (patient_of(r) for r in resources) if p and not p.startswith("urn:")}


def _paged(query: str) -> str:
    return query if "_count=" in query else f"{query}&_count=200"


def _input_searches(patient: str) -> list[str]:
    """The searches of the record list (adapter.fhir.read.record_list), for one patient: the
    Observation search narrowed to the codes spinemets reads, every search paged by 200."""
    pid = quote(patient, safe="")
    searches = []
    for entry in RECORD_LIST:
        if not entry.params:
            continue  # the Patient: a read, made beside the searches
        query = entry.query(pid)
        if entry.resource_type == "Observation":
            query = f"{query}&code={_OBSERVATION_CODES}"
        searches.append(_paged(query))
    return searches


def _output_searches(patient: str) -> list[str]:
    pid = quote(patient, safe="")
    return [
        f"{rtype}?patient={pid}&identifier={_OURS}&_count=200"
        for rtype in ("Observation", "RiskAssessment")
    ]


async def patient_inputs(client: FhirClient, patient: str) -> list[Any]:
    """The patient's record as the record list declares it: the Patient and every search of
    the list (every page; Observations only those spinemets reads)."""
    record, *found = await asyncio.gather(
        client.read("Patient", patient),
        *(client.search(query, fresh=True) for query in _input_searches(patient)),
    )
    if any(page_failed(group) for group in found):
        raise FhirServerError(
            "the FHIR server reported a search for the patient incomplete", status=200
        )
    return [record, *(resource for group in found for resource in group)]


async def stored_outputs(client: FhirClient, patient: str) -> list[Any]:
    """The Observations and RiskAssessments spinemets wrote for the patient (every page)."""
    found = await asyncio.gather(
        *(client.search(query, fresh=True) for query in _output_searches(patient))
    )
    return [*found[0], *found[1]]


Snapshot = tuple[list[Any], list[Any]]  # a patient's inputs, the outputs stored for them


def _snapshot_urls(patient: str) -> tuple[list[str], int]:
    """The Patient read and the searches of a snapshot; how many of them are inputs."""
    inputs = _input_searches(patient)
    urls = [search_of("Patient").query(quote(patient, safe="")), *inputs]
    return [*urls, *_output_searches(patient)], len(urls)


async def _snapshot_of(client: FhirClient, answers: list[Any], inputs: int) -> Snapshot:
    """A snapshot from its batch answers (the Patient, then the searches), with the further
    pages of each search (rare) as requests of their own."""
    record, *found = answers
    if record.get("resourceType") != "Patient":
        raise FhirServerError("a Patient read answered another resource")
    if any(bundle.get("resourceType") != "Bundle" for bundle in found):
        raise FhirServerError("a FHIR search did not answer with a Bundle")
    # Only a search with a further page (rare) needs a request, and a task, of its own.
    more = {n: client.rest_of(b) for n, b in enumerate(found) if next_link(b) is not None}
    rest = dict(zip(more, await asyncio.gather(*more.values()), strict=True)) if more else {}
    pages = [rest[n] if n in rest else bundle_resources(b) for n, b in enumerate(found)]
    # (a search with further pages is checked against its total once they are read: rest_of)
    cut = any(
        search_failed(b) or (n not in more and short_of_total(b)) for n, b in enumerate(found)
    )
    if cut or any(page_failed(p) for p in rest.values()):
        # The server cut its own search short: scored, the record would miss what was left out
        # (a Bilsky 3 among the results not returned). The server's words are never repeated.
        # Status 200, as the answer was: not transient, a repeat would be cut short the same way.
        raise FhirServerError(
            "the FHIR server reported a search for the patient incomplete", status=200
        )
    read = [record, *(r for group in pages[: inputs - 1] for r in group)]
    return read, [r for group in pages[inputs - 1 :] for r in group]


async def patient_snapshot(client: FhirClient, patient: str) -> Snapshot:
    """:func:`patient_inputs` and :func:`stored_outputs` in one batch request (their further
    pages, rare, as searches of their own): a patient's reads in one round trip."""
    if not is_fhir_id(patient):  # never sent, as read() refuses it
        raise InputError(f"Patient id {patient[:70]!r} is not a FHIR id")
    urls, inputs = _snapshot_urls(patient)
    return await _snapshot_of(client, await client.batch_get(urls, fresh=True), inputs)


async def _part_of(
    client: FhirClient, answers: list[dict[str, Any] | FhirServerError], inputs: int
) -> Snapshot | Exception:
    failed = next((a for a in answers if isinstance(a, FhirServerError)), None)
    if failed is not None:
        return failed
    try:
        return await _snapshot_of(client, answers, inputs)
    # An answer of a shape nothing expected is that patient's failure, not the group's.
    except (FhirServerError, TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        return exc


async def group_snapshots(
    client: FhirClient, patients: Sequence[str]
) -> list[Snapshot | Exception]:
    """The snapshots of several patients (FHIR ids) in one batch request: each patient's
    searches as entries of their own, so that paging and failures stay per patient. A patient
    whose part failed (an entry's status, a further page, an answer of another shape) has that
    error in its place; the request itself failing raises, for the whole group."""
    planned = [_snapshot_urls(p) for p in patients]
    answers = await client.batch_get_each([u for urls, _ in planned for u in urls], fresh=True)
    parts, at = [], 0
    for urls, inputs in planned:
        parts.append(_part_of(client, answers[at : at + len(urls)], inputs))
        at += len(urls)
    return list(await asyncio.gather(*parts))


# The Conditions that make a patient one sync scores: a bone metastasis, or a myeloma or other
# bone-marrow primary (at a vertebral level, which the runner checks: contract §2, "Levels").
LISTED = ("bone-metastasis", "bone-marrow-primary")


_PER_SEARCH = 25  # codes a listing search names: its URL stays well under servers' limits


def listing_codes(term: Terminology) -> list[tuple[str, str]]:
    """The (system, code) pairs that list :data:`LISTED`'s Conditions, in every spelling the
    reader accepts that a server's token search tells apart: ICD-10-CM with and without its dot,
    each system under its HL7 OID, https and a trailing slash (README "Input"). SNOMED CT's
    edition URIs are not searched: a token search would need each edition spelled."""
    out: set[tuple[str, str]] = set()
    for system, code in {pair for listed in LISTED for pair in term.value_set_codes(listed)}:
        codes = {code, code.replace(".", "")} if system == ICD10CM else {code}
        for spelled in (system, *spellings_of(system)):
            out |= {(spelled, c) for c in codes}
    return sorted(out)


async def all_patients(client: FhirClient, term: Terminology) -> list[str]:
    """Every patient with a Condition of :data:`LISTED`'s ValueSets, in any spelling the reader
    accepts (:func:`listing_codes`), in searches of a few codes each."""
    pairs = listing_codes(term)
    searches = [
        ",".join(quote(f"{s}|{c}", safe="") for s, c in pairs[at : at + _PER_SEARCH])
        for at in range(0, len(pairs), _PER_SEARCH)
    ]
    found = await asyncio.gather(
        *(
            client.search(f"Condition?code={codes}&_elements=subject&_count=500", fresh=True)
            for codes in searches
        )
    )
    return sorted({p for group in found for p in _subjects(whole_listing(group))})


def whole_listing(resources: list[Any]) -> list[Any]:
    """A patient listing's resources; an error when the server says it cut the listing short:
    every patient left out would miss its re-score, and the run would look complete (exit 1,
    in spinemets' words, as for a patient's own search)."""
    if page_failed(resources):
        raise FhirServerError("the FHIR server reported the patient listing incomplete", status=200)
    return resources


def record_changes() -> list[str]:
    """What a change to a patient's record is, one search per type of the record list, with no
    status filter (a change out of a status matters as much as one into it) and Observations
    narrowed to those spinemets reads: ``Condition?``, ``Observation?code=…``. An incremental
    sync and the Subscriptions (adapter.sync.subscriptions) both take it from here."""
    return [
        f"{entry.resource_type}?"
        + ("code=" + _OBSERVATION_CODES if entry.resource_type == "Observation" else "")
        for entry in RECORD_LIST
    ]


def _changed_searches(since: str) -> list[str]:
    """One search per type of the record list for what changed after ``since``: a change to
    any part of the record can change an output."""
    when = quote(f"gt{since}", safe="")
    searches = []
    for change in record_changes():
        rtype, _, narrow = change.partition("?")
        elements = "id" if rtype == "Patient" else "subject"
        narrow = f"&{narrow}" if narrow else ""
        searches.append(f"{rtype}?_lastUpdated={when}{narrow}&_elements={elements}&_count=500")
    return searches


async def changed_patients(client: FhirClient, since: str) -> list[str]:
    """Patients any part of whose record (the record list) changed after ``since``."""
    found = await asyncio.gather(
        *(client.search(query, fresh=True) for query in _changed_searches(since))
    )
    return sorted({p for group in found for p in _subjects(whole_listing(group))})
