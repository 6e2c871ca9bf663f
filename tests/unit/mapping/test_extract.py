"""Extraction rules of contract §2 on small hand-made records (the fixtures cover whole patients)."""

from __future__ import annotations

import pytest

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import extract_patient, read_observation
from adapter.mapping.terminology import default_terminology
from adapter.scoring import Frankel, Pain, Possible, score_tokuhashi_revised

FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
VERTEBRA = "http://spinemets.org/fhir/CodeSystem/vertebra"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def obs(oid, system, code, when="2024-05-20T09:00:00Z", **value):
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": when, **value}  # fmt: skip


def answer(code):
    return {"valueCodeableConcept": {"coding": [{"system": FINDING, "code": code}]}}


def met(cid, level, system=VERTEBRA):
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": ICD, "code": "C79.51"}]}, "bodySite": [{"coding": [{"system": system, "code": level}]}]}  # fmt: skip


def extract(*resources):
    loose: list[Issue] = []
    (data,) = patients_from_resources(
        [{"resourceType": "Patient", "id": "p"}, *resources], loose, read_observation
    )
    return extract_patient(data, default_terminology(), now=parse_time("2024-06-01T00:00:00Z"))


def errors(assessment):
    return [i.diagnostics for i in assessment.issues if i.severity == "error"]


def test_an_answer_outside_the_finding_is_invalid_and_ignored():
    a = extract(met("m", "T5"), obs("x", FINDING, "spinal-pain", **answer("blastic")))
    assert any("spinal-pain answer must be one of" in e and "blastic" in e for e in errors(a))
    assert not a.levels[0].inputs.pain.known


@pytest.mark.parametrize(
    ("value", "shown"),
    [({"valueInteger": -1}, "-1"), ({"valueQuantity": {"value": 1.5}}, "1.5"), ({}, "no value")],
)
def test_counts_must_be_whole_and_not_negative(value, shown):
    a = extract(met("m", "T5"), obs("c", FINDING, "extraspinal-bone-metastases-count", **value))
    assert any(f"got {shown}" in e for e in errors(a))
    assert a.tokuhashi.extraspinal_count == Possible.of(0)  # derived from the Conditions instead


def test_ecog_as_loinc_answer_code_and_ecog_5_refused():
    a = extract(
        met("m", "T5"),
        obs(
            "e",
            "http://loinc.org",
            "89247-1",
            valueCodeableConcept={"coding": [{"system": "http://loinc.org", "code": "LA9624-3"}]},
        ),
    )
    assert a.tokuhashi.kps.values == {50, 60}  # ECOG 2
    dead = extract(met("m", "T5"), obs("e", "http://loinc.org", "89247-1", valueInteger=5))
    assert any("ECOG 5 is not a performance grade" in e for e in errors(dead))
    assert not dead.tokuhashi.kps.known


def test_a_sins_finding_on_a_non_spinal_site_applies_to_no_level():
    femur = {"coding": [{"system": "http://snomed.info/sct", "code": "71341001"}]}
    a = extract(
        met("m", "T5"), obs("x", FINDING, "spinal-pain", bodySite=femur, **answer("mechanical"))
    )
    assert any("names no spinal level" in i.diagnostics for i in a.issues)
    assert not a.levels[0].inputs.pain.known


def test_level_own_finding_beats_a_newer_levelless_one():
    a = extract(
        met("m", "T5"),
        obs(
            "own",
            FINDING,
            "spinal-pain",
            when="2024-01-01T00:00:00Z",
            bodySite={"coding": [{"system": VERTEBRA, "code": "T5"}]},
            **answer("pain-free"),
        ),
        obs("all", FINDING, "spinal-pain", when="2024-06-01T00:00:00Z", **answer("mechanical")),
    )
    assert a.levels[0].inputs.pain == Possible.of(Pain.PAIN_FREE)


def test_untimed_findings_rank_below_timed_and_tie_among_themselves():
    untimed = obs("u", FINDING, "frankel-grade", **answer("frankel-a"))
    del untimed["effectiveDateTime"]
    timed = obs("t", FINDING, "frankel-grade", **answer("frankel-e"))
    assert extract(met("m", "T5"), untimed, timed).tokuhashi.palsy == Possible.of(Frankel.E)
    other = {
        **untimed,
        "id": "u2",
        "valueCodeableConcept": answer("frankel-c")["valueCodeableConcept"],
    }
    tied = extract(met("m", "T5"), untimed, other).tokuhashi.palsy
    assert tied.values == {Frankel.A, Frankel.C}


def test_preliminary_observations_are_not_current():
    a = extract(
        met("m", "T5"),
        {**obs("k", "http://loinc.org", "89243-0", valueInteger=90), "status": "preliminary"},
    )
    assert not a.tokuhashi.kps.known


def test_missing_inputs_give_the_tokuhashi_range_of_every_completion():
    a = extract(met("m", "T5"))
    result = score_tokuhashi_revised(a.tokuhashi)
    # Known: extraspinal 0 (2), one vertebral level (2), no major organ (2); missing: KPS, site, palsy.
    assert (result.total.low, result.total.high) == (6, 15)
    assert result.band is None
