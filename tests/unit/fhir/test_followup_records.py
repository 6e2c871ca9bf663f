"""Slim parsing of Patient, Procedure, Encounter and AdverseEvent."""

from __future__ import annotations

from adapter.fhir.read.followup import (
    AdverseEventRecord,
    EncounterRecord,
    ProcedureRecord,
    parse_follow_up,
)
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.parse import parse_resource
from adapter.fhir.read.records import PatientRecord
from adapter.fhir.read.source import patients_from_resources


def test_patient_record():
    got = parse_resource({"resourceType": "Patient", "id": "a", "gender": "male",
                          "birthDate": "1950-02-03", "deceasedDateTime": "2025-01-01"}, None, {})  # fmt: skip
    assert isinstance(got, PatientRecord) and got.patient == "a" and got.deceased
    assert got.birth_date.text == "1950-02-03" and got.deceased_time.text == "2025-01-01"
    assert parse_follow_up({"resourceType": "Patient", "id": "c"}, None, {}) is None
    alive = parse_resource({"resourceType": "Patient", "id": "b", "gender": 3}, None, {})
    assert isinstance(alive, PatientRecord) and alive.gender is None and not alive.deceased


def test_procedure_encounter_adverse_event():
    subject = {"subject": {"reference": "Patient/a"}}
    proc = parse_follow_up({"resourceType": "Procedure", "id": "p", "status": "completed", **subject,
                            "performedPeriod": {"start": "2024-05-22T08:00:00Z"},
                            "reasonReference": [{"reference": "urn:uuid:1"}]},
                           None, {"urn:uuid:1": "Condition/c"})  # fmt: skip
    assert isinstance(proc, ProcedureRecord) and proc.time.text == "2024-05-22T08:00:00Z"
    assert proc.reasons == ("Condition/c",)
    enc = parse_follow_up({"resourceType": "Encounter", "id": "e", **subject,
                           "period": {"start": "2024-06-01"}}, None, {})  # fmt: skip
    assert isinstance(enc, EncounterRecord) and enc.time.text == "2024-06-01" and enc.status is None
    assert parse_follow_up({"resourceType": "Encounter", "id": "e"}, None, {}) is None
    ae = parse_follow_up({"resourceType": "AdverseEvent", "id": "x", **subject,
                          "detected": "2024-06-02", "actuality": "actual"}, None, {})  # fmt: skip
    assert isinstance(ae, AdverseEventRecord) and ae.time.text == "2024-06-02"
    assert parse_follow_up({"resourceType": "Basic", "id": "b"}, None, {}) is None


def test_a_procedure_without_a_patient_is_an_issue_and_records_group_by_patient():
    issue = parse_follow_up({"resourceType": "Procedure", "id": "p"}, None, {})
    assert isinstance(issue, Issue) and issue.resource == "Procedure/p"
    loose: list = []
    (data,) = patients_from_resources(
        [{"resourceType": "Patient", "id": "a"},
         {"resourceType": "Procedure", "id": "p", "status": "completed", "subject": {"reference": "Patient/a"}},
         {"resourceType": "Encounter", "id": "e", "subject": {"reference": "Patient/a"}},
         {"resourceType": "AdverseEvent", "id": "x", "subject": {"reference": "Patient/a"}}],
        loose,
    )  # fmt: skip
    assert data.record.patient == "a" and len(data.procedures) == len(data.encounters) == 1
    assert len(data.adverse_events) == 1 and loose == []


def test_a_clinical_time_reads_as_a_day_clinicians_use():
    from adapter.fhir.read.timing import parse_time

    shown = {
        t: parse_time(t).day for t in ("2026-12-03T14:00:00Z", "2026-12-03", "2026-12", "2026")
    }
    assert shown == {
        "2026-12-03T14:00:00Z": "3 Dec 2026",
        "2026-12-03": "3 Dec 2026",
        "2026-12": "Dec 2026",
        "2026": "2026",
    }


def test_a_coding_of_the_wrong_json_type_is_read_as_no_coding():
    from adapter.fhir.read.records import codings

    assert codings({"coding": 5}) == ()
    assert codings({"coding": {"system": "s", "code": "c"}}) == ()  # an object, not a list
