"""Post-processing: site directives become bodySite, verificationStatus, merged Conditions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from synthea.load import transactions
from synthea.outputs import CorpusWriter, literal_resources, shared_index
from synthea.postprocess import STYLES, SiteCoder, parse_directive, process_bundle

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
CPT = "http://www.ama-assn.org/go/cpt"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
NPI = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999"


def entry(resource: dict[str, Any]) -> dict[str, Any]:
    url = f"urn:uuid:{resource['id']}"
    return {"fullUrl": url, "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]}}  # fmt: skip


def condition(rid: str, system: str, code: str, onset: str = "2024-01-02") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": {"reference": "urn:uuid:p1"},
            "encounter": {"reference": "urn:uuid:e1"},
            "verificationStatus": {"coding": [{"code": "confirmed"}]},
            "code": {"coding": [{"system": system, "code": code, "display": "d"}], "text": "d"},
            "onsetDateTime": onset}  # fmt: skip


def synthea_bundle(patient_id: str = "p1") -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": patient_id, "gender": "female", "birthDate": "1950-01-01"},
        {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "urn:uuid:p1"},
         "participant": [{"individual": {"reference": NPI}}]},
        condition("c1", ICD, "C79.51@T11"),
        condition("c2", SCT, "94222008@L3;provisional"),
        condition("m1", ICD, "C90.00@L2;merge", onset="2024-01-03"),
        condition("m2", ICD, "C90.00@T7;merge", onset="2024-01-02"),
        condition("x1", SCT, "94222008@femur"),
        {"resourceType": "Observation", "id": "o1", "status": "final",
         "subject": {"reference": "urn:uuid:p1"}, "encounter": {"reference": "urn:uuid:e1"},
         "code": {"coding": [{"system": FINDING, "code": "spinal-pain@T11"}]},
         "valueCodeableConcept": {"coding": [{"system": FINDING, "code": "mechanical"}]}},
        {"resourceType": "Procedure", "id": "k1", "subject": {"reference": "urn:uuid:p1"},
         "encounter": {"reference": "urn:uuid:e1"},
         "code": {"coding": [{"system": CPT, "code": "22513@T11"}]},
         "performedPeriod": {"start": "2024-01-05T10:00:00Z"},
         "reasonReference": [{"reference": "urn:uuid:m1"}]},
        {"resourceType": "Procedure", "id": "f1", "subject": {"reference": "urn:uuid:p1"},
         "encounter": {"reference": "urn:uuid:e1"},
         "code": {"coding": [{"system": CPT, "code": "22842@T10+T11+T12"}]},
         "performedPeriod": {"start": "2024-01-05T10:00:00Z"}},
        {"resourceType": "Observation", "id": "v1", "status": "final",
         "subject": {"reference": "urn:uuid:p1"}, "encounter": {"reference": "urn:uuid:e1"},
         "code": {"coding": [{"system": FINDING, "code": "pmma-volume@T11"}]},
         "valueQuantity": {"value": 3.5, "unit": "mL"}},
        {"resourceType": "Observation", "id": "d1", "status": "final",
         "subject": {"reference": "urn:uuid:p1"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "69453-9"}]},
         "valueCodeableConcept": {"coding": [{"system": ICD, "code": "C90.00@T7;merge"}]}},
        {"resourceType": "Provenance", "id": "pv",
         "target": [{"reference": "urn:uuid:m1"}, {"reference": "urn:uuid:m2"},
                    {"reference": "urn:uuid:c1"}]},
    ]  # fmt: skip
    return {"resourceType": "Bundle", "type": "transaction", "entry": [entry(r) for r in resources]}


def by_id(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}


def levels(resource: dict[str, Any]) -> list[str]:
    sites = resource["bodySite"]
    return [c["text"] for c in ([sites] if isinstance(sites, dict) else sites)]


def test_directives_parse_and_unknown_sites_are_refused():
    d = parse_directive("22842@T10+T11+T12")
    assert d is not None and (d.base, d.sites, d.flag) == ("22842", ("T10", "T11", "T12"), None)
    assert parse_directive("C79.51") is None
    with pytest.raises(ValueError, match="malformed"):
        parse_directive("C79.51@T11;bogus")
    with pytest.raises(ValueError, match="T13"):
        parse_directive("C79.51@T13")


def test_sites_become_body_sites_and_codes_lose_the_directive():
    out = by_id(process_bundle(synthea_bundle()))
    assert out["c1"]["code"]["coding"][0]["code"] == "C79.51" and levels(out["c1"]) == ["T11"]
    assert levels(out["o1"]) == ["T11"] and isinstance(out["o1"]["bodySite"], dict)
    assert levels(out["f1"]) == ["T10", "T11", "T12"]
    assert out["f1"]["code"]["coding"][0]["code"] == "22842"
    assert out["x1"]["bodySite"][0]["coding"] == [
        {"system": SCT, "code": "71341001", "display": "Femur"}
    ]
    assert out["d1"]["valueCodeableConcept"]["coding"][0]["code"] == "C90.00"
    assert "@" not in json.dumps(out)


def test_provisional_sets_the_verification_status():
    out = by_id(process_bundle(synthea_bundle()))
    assert out["c2"]["verificationStatus"]["coding"][0]["code"] == "provisional"
    assert out["c1"]["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_merge_makes_one_condition_and_references_follow():
    out = by_id(process_bundle(synthea_bundle()))
    assert "m1" not in out and levels(out["m2"]) == ["T7", "L2"]  # the earlier onset is kept
    assert out["k1"]["reasonReference"] == [{"reference": "urn:uuid:m2"}]
    assert out["pv"]["target"] == [{"reference": "urn:uuid:m2"}, {"reference": "urn:uuid:c1"}]


def test_cement_volume_is_part_of_the_augmentation_at_its_level():
    out = by_id(process_bundle(synthea_bundle()))
    assert out["v1"]["partOf"] == [{"reference": "urn:uuid:k1"}]


@pytest.mark.parametrize("style", sorted(set(STYLES)))
def test_each_body_site_style_names_the_level(style):
    coder = SiteCoder("p1")
    coder.style = style
    systems = {c["system"]: c["code"] for c in coder.concept("T11")["coding"]}
    expected = {"vertebra": {VERTEBRA: "T11"}, "snomed": {SCT: "52120002"},
                "both": {VERTEBRA: "T11", SCT: "52120002"}}[style]  # fmt: skip
    assert systems == expected


def test_the_style_is_fixed_per_patient_and_varies_across_patients():
    assert SiteCoder("p1").style == SiteCoder("p1").style
    assert {SiteCoder(f"p{n}").style for n in range(40)} == set(STYLES)


SHARED = [{"resourceType": "Practitioner", "id": "dr", "identifier": [
    {"system": "http://hl7.org/fhir/sid/us-npi", "value": "999"}]}]  # fmt: skip


def test_literal_resources_resolve_uuid_and_conditional_references():
    resources = literal_resources(process_bundle(synthea_bundle()), shared_index(SHARED))
    refs = {r["id"]: r for r in resources}
    assert refs["e1"]["participant"][0]["individual"]["reference"] == "Practitioner/dr"
    assert refs["k1"]["reasonReference"] == [{"reference": "Condition/m2"}]
    assert refs["c1"]["subject"] == {"reference": "Patient/p1"}


def test_a_reference_to_nothing_is_an_error():
    with pytest.raises(ValueError, match="names nothing"):
        literal_resources(process_bundle(synthea_bundle()), {})


def test_the_corpus_files_and_their_transactions(tmp_path):
    writer = CorpusWriter(tmp_path, SHARED)
    for pid in ("p1", "p2"):
        bundle = json.loads(json.dumps(synthea_bundle()).replace("p1", pid))
        writer.add(process_bundle(bundle))
    manifest = writer.close({"n": 2})
    first = manifest["patients"][0]
    assert first["spinal_levels"] == {"confirmed": ["T11", "T7", "L2"], "provisional": ["L3"]}
    assert first["extraspinal_sites"] == ["Femur"]
    assert manifest["resources"] == 1 + 2 * 12
    lines = (tmp_path / "resources.ndjson").read_text().splitlines()
    assert json.loads(lines[0])["resourceType"] == "Practitioner" and len(lines) == 25
    bundles = list(transactions(tmp_path, max_entries=15))
    assert [len(b["entry"]) for b in bundles] == [1, 12, 12]  # shared first; no patient split
    assert all(e["request"]["method"] == "PUT" for b in bundles for e in b["entry"])
    (only,) = list(transactions(tmp_path, patients={"p2"}))[1:]
    assert {
        e["resource"]["subject"]["reference"] for e in only["entry"] if "subject" in e["resource"]
    } == {"Patient/p2"}
