"""Contract §2 v3, one list of what a patient's record is: declared once
(adapter/fhir/read/record_list.py), and every surface reads every type of it — the CDS prefetch
templates and their fallback, sync and the cohort on a server, files and Bulk Data exports."""

from __future__ import annotations

import asyncio
import io
import json
from urllib.parse import unquote

import pytest

from adapter.batch import partition
from adapter.cds.services import SERVICES, discovery
from adapter.fhir.read import parse
from adapter.fhir.read.parse import parse_resource
from adapter.fhir.read.record_list import READ_TYPES, RECORD_LIST, search_of
from adapter.fhir.read.source import patients_from_resources, read_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.observations import ECOG, KARNOFSKY, READ_LOINC
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import patient_records, score_patient
from adapter.sync import cohort, reader
from adapter.sync.subscriptions import CRITERIA
from adapter.vocabulary.systems import FINDING, LOINC
from tests.support.records import NOW, P, default_patient, order

EXPECTED = {
    "Patient", "Condition", "Observation", "Procedure", "MedicationRequest",
    "MedicationStatement", "MedicationAdministration", "AdverseEvent", "Encounter", "QuestionnaireResponse", "ServiceRequest",
}  # fmt: skip
# What a CDS client already relies on (discovery): these keys are never renamed or dropped.
V2_KEYS = {
    "patient", "conditions", "observations", "procedures", "encounters", "medicationRequests",
    "medicationStatements",
}  # fmt: skip


def test_the_record_list_names_each_type_of_the_contract_once():
    types = [s.resource_type for s in RECORD_LIST]
    assert sorted(types) == sorted(EXPECTED)
    keys = [s.prefetch_key for s in RECORD_LIST]
    assert len(set(keys)) == len(keys) and set(keys) >= V2_KEYS
    assert search_of("ServiceRequest").params.endswith("status=draft,active")
    assert search_of("AdverseEvent").query("42") == "AdverseEvent?subject=Patient/42"
    assert search_of("Patient").query("42") == "Patient/42"


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_cds_service_prefetches_the_whole_record(service):
    entry = next(s for s in discovery().services if s.id == service)
    assert entry.prefetch == {s.prefetch_key: s.template() for s in RECORD_LIST}
    # The bug this closes: patient-view did not ask for AdverseEvent, while sync read it.
    assert entry.prefetch["adverseEvents"] == "AdverseEvent?subject=Patient/{{context.patientId}}"
    # Unchanged for clients that rely on them.
    assert entry.prefetch["conditions"] == "Condition?patient={{context.patientId}}"
    assert entry.prefetch["observations"] == "Observation?patient={{context.patientId}}&_count=200"
    # A dose given (a stat dexamethasone, today's enoxaparin) is read beside the orders.
    assert entry.prefetch["medicationAdministrations"] == (
        "MedicationAdministration?patient={{context.patientId}}&status=completed,in-progress"
    )


# CDS Hooks 2.0's RECOMMENDED prefetch query subset: an instance read, or a type search with
# reference, token and date parameters, _count and _sort. A client that cannot fill a template
# omits its key; with no fhirServer that was a 412 on every call.
_RECOMMENDED = {"patient", "subject", "status", "_count", "_sort", "code", "date"}


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_prefetch_templates_stay_within_the_recommended_query_subset(service):
    entry = next(s for s in discovery().services if s.id == service)
    for key, template in entry.prefetch.items():
        _path, _, query = template.partition("?")
        names = {part.split("=")[0] for part in query.split("&") if part}
        assert names <= _RECOMMENDED, (key, template)
        assert "_include" not in template, key


def test_a_key_added_after_clients_were_configured_is_optional():
    # A client configured with the earlier discovery document fills only the earlier keys.
    assert search_of("MedicationAdministration").optional
    assert not any(s.optional for s in RECORD_LIST if s.prefetch_key in V2_KEYS)


def test_sync_and_the_cohort_search_every_type_of_the_record_list():
    searched = {unquote(q).split("?")[0] for q in reader._input_searches("p-1")}
    assert searched | {"Patient"} == EXPECTED
    queries = {unquote(q).split("?")[0]: unquote(q) for q in reader._input_searches("p-1")}
    assert queries["ServiceRequest"] == "ServiceRequest?patient=p-1&status=draft,active&_count=200"
    assert queries["AdverseEvent"] == "AdverseEvent?subject=Patient/p-1&_count=200"
    assert "&code=" in queries["Observation"]  # narrowed to what spinemets reads
    assert cohort.patient_inputs is reader.patient_inputs  # type: ignore[attr-defined]  # the cohort reads what sync reads


def test_files_and_exports_are_read_for_every_type_of_the_record_list():
    assert parse.READ_TYPES is READ_TYPES is partition.READ_TYPES  # type: ignore[attr-defined]
    assert READ_TYPES == EXPECTED


@pytest.mark.parametrize(
    "rtype",
    ["Patient", "Condition", "Observation", "Procedure", "Encounter", "MedicationRequest",
     "MedicationStatement", "MedicationAdministration", "AdverseEvent", "ServiceRequest", "QuestionnaireResponse",
     "Immunization", "DiagnosticReport", "CarePlan", "AllergyIntolerance", "Medication"],
)  # fmt: skip
def test_no_type_outside_the_record_list_is_read(rtype):
    resource = {"resourceType": rtype, "id": "x", "status": "draft",
                "subject": {"reference": f"Patient/{P}"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]}}  # fmt: skip
    if parse_resource(resource, None, {}) is not None:
        assert rtype in READ_TYPES


def _data(resources):
    data = patient_records(resources, P)
    assert data is not None
    return data


def test_the_records_draft_and_active_service_requests_are_kept_for_the_report():
    orders = (
        order("sr-draft", "22510", "T12"),
        order("sr-active", "22842", "T11", "T12", "L1", status="active", reasons=("met-t12",)),
        order("sr-done", "22510", "T12", status="completed"),
        order("sr-revoked", "22510", "T12", status="revoked"),
    )
    data = _data(default_patient(extra=orders))
    assert [o.reference for o in data.orders] == [
        "ServiceRequest/sr-draft",
        "ServiceRequest/sr-active",
    ]
    active = data.orders[1]
    assert active.patient == P and active.status == "active"
    assert [c.code for c in active.codes] == ["22842"]
    assert len(active.body_sites) == 3 and active.reasons == ("Condition/met-t12",)
    # Keeping them changes no score.
    term, now = default_terminology(), parse_time(NOW)
    with_orders = score_patient(data, term, now=now)
    without = score_patient(_data(default_patient()), term, now=now)
    assert [r.resource for r in with_orders.resources()] == [
        r.resource for r in without.resources()
    ]


def test_sync_reads_service_requests_of_the_record(monkeypatch):
    class Client:
        def __init__(self):
            self.queries: list[str] = []

        async def read(self, rtype, rid):
            return {"resourceType": rtype, "id": rid}

        async def search(self, query, fresh=False):
            self.queries.append(unquote(query))
            if query.startswith("ServiceRequest?"):
                return [order("sr", "22510", "T12")]
            return []

    client = Client()
    resources = asyncio.run(reader.patient_inputs(client, P))  # type: ignore[arg-type]
    assert {q.split("?")[0] for q in client.queries} | {"Patient"} == EXPECTED
    assert [o.reference for o in _data(resources).orders] == ["ServiceRequest/sr"]


def test_an_incremental_sync_looks_for_changes_in_every_type_of_the_record_list():
    class Client:
        def __init__(self):
            self.queries: list[str] = []

        async def search(self, query, fresh=False):
            self.queries.append(query)
            if query.startswith("AdverseEvent?"):
                return [{"resourceType": "AdverseEvent", "subject": {"reference": "Patient/a"}}]
            if query.startswith("Patient?"):
                return [{"resourceType": "Patient", "id": "b"}]
            return []

    client = Client()
    changed = asyncio.run(reader.changed_patients(client, "2025-01-01T00:00:00Z"))  # type: ignore[arg-type]
    assert changed == ["a", "b"]
    assert {q.split("?")[0] for q in client.queries} == EXPECTED
    assert all("_lastUpdated=gt2025-01-01T00%3A00%3A00Z" in q for q in client.queries)


def _criteria_codes(criteria: str) -> set[str]:
    return set(unquote(criteria.partition("code=")[2]).split(","))


def test_subscriptions_watch_every_type_of_the_record_list_as_an_incremental_sync_does():
    # The bug this closes: an albumin, INR or platelet count, a pain or Barthel score, a
    # Procedure or a death changed a written output and matched no Subscription.
    assert {c.split("?")[0] for c in CRITERIA} == EXPECTED
    assert len(CRITERIA) == len(EXPECTED)  # one per type: no second list beside the record's
    # No status filter: a change *out of* a status (a form response entered in error, a
    # Procedure no longer completed) changes the record as much as one into it.
    assert not any("status=" in c for c in CRITERIA)
    (observations,) = [c for c in CRITERIA if c.startswith("Observation?")]
    codes = _criteria_codes(observations)
    wanted = {KARNOFSKY, ECOG, "1751-7", "6301-6", "777-3", "72514-3", "96761-2"}
    assert {f"{LOINC}|{code}" for code in wanted} <= codes and f"{FINDING}|" in codes
    assert codes == {f"{FINDING}|", *(f"{LOINC}|{code}" for code in READ_LOINC)}
    # The incremental sync narrows Observations to the same codes.
    (since,) = [q for q in reader._changed_searches("2025-01-01") if q.startswith("Observation?")]
    assert set(unquote(since).partition("code=")[2].split("&")[0].split(",")) == codes


def test_spinemets_own_outputs_match_no_subscription():
    term = default_terminology()
    result = score_patient(_data(default_patient()), term, now=parse_time(NOW))
    for built in result.resources():
        resource = built.resource
        if resource["resourceType"] != "Observation":
            assert not any(c.startswith(f"{resource['resourceType']}?") for c in CRITERIA)
            continue
        watched = set().union(
            *(_criteria_codes(c) for c in CRITERIA if c.startswith("Observation?"))
        )
        coded = {f"{c['system']}|{c['code']}" for c in resource["code"]["coding"]}
        assert not coded & watched
        assert not any(c["system"] == FINDING for c in resource["code"]["coding"])


# --- Medications: asked for with their requests, resolved on every input path ----------------


def test_the_medication_searches_include_the_medication_they_reference():
    # An EHR sends most orders as medicationReference: the Medication names the drug. The
    # searches spinemets runs itself ask for it; the prefetch templates do not (_include is
    # outside CDS Hooks' recommended subset): the CDS service reads a missing one by id.
    request = search_of("MedicationRequest")
    statement = search_of("MedicationStatement")
    given = search_of("MedicationAdministration")
    assert request.query("p-1") == (
        "MedicationRequest?patient=p-1&status=active,on-hold&_include=MedicationRequest:medication"
    )
    assert "&_include=MedicationStatement:medication" in statement.query("p-1")
    assert given.query("p-1").endswith("&_include=MedicationAdministration:medication")
    assert request.template() == (
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold"
    )
    for service in SERVICES:
        entry = next(s for s in discovery().services if s.id == service)
        assert entry.prefetch["medicationRequests"] == request.template()
    queries = {unquote(q).split("?")[0]: unquote(q) for q in reader._input_searches("p-1")}
    assert "_include=MedicationRequest:medication" in queries["MedicationRequest"]
    assert "_include=MedicationStatement:medication" in queries["MedicationStatement"]
    assert "_include=MedicationAdministration:medication" in queries["MedicationAdministration"]


_RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
_APIXABAN = {"system": _RXNORM, "code": "1364445", "display": "apixaban 5 MG Oral Tablet"}
_REQUEST: dict = {
    "resourceType": "MedicationRequest", "id": "m", "status": "active", "intent": "order",
    "subject": {"reference": f"Patient/{P}"}, "medicationReference": {"reference": "Medication/apx"},
}  # fmt: skip
_MEDICATION: dict = {"resourceType": "Medication", "id": "apx", "code": {"coding": [_APIXABAN]}}


def _layouts(resources: list[dict]) -> dict[str, bytes]:
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": r} for r in resources]}  # fmt: skip
    return {
        "pretty Bundle": json.dumps(bundle, indent=1).encode(),
        "one-line Bundle": json.dumps(bundle).encode(),
        "NDJSON": b"".join(json.dumps(r).encode() + b"\n" for r in resources),
    }


@pytest.mark.parametrize("last", [False, True], ids=["Medication first", "Medication last"])
def test_a_referenced_medication_is_resolved_whatever_the_layout_of_the_input(last):
    patient: dict = {"resourceType": "Patient", "id": P}
    resources: list[dict] = (
        [patient, _REQUEST, _MEDICATION] if last else [_MEDICATION, patient, _REQUEST]
    )
    for layout, content in _layouts(resources).items():
        (data,) = list(read_resources(io.BytesIO(content), []))
        (med,) = data.medications
        assert [(c.system, c.code) for c in med.codes] == [(_RXNORM, "1364445")], layout
        assert med.name == "apixaban 5 MG Oral Tablet", layout


def test_a_contained_medication_is_resolved():
    request = _REQUEST | {
        "contained": [_MEDICATION | {"id": "m1"}],
        "medicationReference": {"reference": "#m1"},
    }
    (data,) = patients_from_resources([{"resourceType": "Patient", "id": P}, request], [])
    (med,) = data.medications
    assert [c.code for c in med.codes] == ["1364445"]
    assert med.name == "apixaban 5 MG Oral Tablet"
