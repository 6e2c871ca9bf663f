"""The page's header: the patient as the record names them."""

from __future__ import annotations

from adapter.fhir.read.source import patients_from_resources
from adapter.render.header import patient_header

MR = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def _record(patient: dict):
    [data] = patients_from_resources([patient], [])
    return data.record


def test_the_header_names_the_patient_by_the_official_name_and_the_mr_number():
    record = _record({
        "resourceType": "Patient", "id": "p", "birthDate": "1960-12-03",
        "name": [{"use": "nickname", "given": ["Jen"]},
                 {"use": "official", "given": ["Jenny", "Anne"], "family": "M"}],
        "identifier": [{"system": "urn:ssn", "value": "123"}, {"type": MR, "value": "MRN9"}],
    })  # fmt: skip
    html = patient_header(record, "p")
    assert 'data-header="name">Jenny Anne M<' in html
    assert 'data-header="born">3 Dec 1960<' in html
    assert 'data-header="record-number">MRN9<' in html


def test_what_the_record_lacks_is_said_not_guessed():
    html = patient_header(
        _record({"resourceType": "Patient", "id": "p", "name": [{"text": "<b>"}]}), "p"
    )
    assert "&lt;b&gt;" in html and html.count("not recorded") == 2
    assert html.count("not recorded") == patient_header(None, "p").count("not recorded") - 1
