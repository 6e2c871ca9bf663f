"""Extraction rules of contract §2 on small hand-made records (the fixtures cover whole patients)."""

from __future__ import annotations

import pytest

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import parse_time
from adapter.mapping.extract import extract_patient, read_observation
from adapter.mapping.terminology import default_terminology
from adapter.scoring import (
    Alignment,
    Frankel,
    Pain,
    Possible,
    Visceral,
    score_tokuhashi_revised,
)

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
    assert any("ECOG 5 (dead) is not a performance grade 0–4" in e for e in errors(dead))
    assert not dead.tokuhashi.kps.known


@pytest.mark.parametrize(
    ("code", "value", "said"),
    [
        ("89247-1", {"valueInteger": 5}, "ECOG 5 (dead)"),
        ("89247-1", {"valueCodeableConcept": {"coding": [
            {"system": "http://loinc.org", "code": "LA9627-6", "display": "Dead"}]}},
         "ECOG 5 (dead)"),
        ("89243-0", {"valueInteger": 0, "valueQuantity": None}, "Karnofsky 0 (dead)"),
    ],
    ids=["ecog 5", "loinc dead", "kps 0"],
)  # fmt: skip
def test_a_performance_status_that_records_death_says_so_and_asks_to_check(code, value, said):
    # ECOG 5 and Karnofsky 0 are no score (scores.md), but a record saying "dead" is worth a
    # check of the patient's status; the LOINC answer "Dead" has a value, it is not "no value".
    value = {k: v for k, v in value.items() if v is not None}
    if code == "89243-0":
        value = {"valueQuantity": {"value": 0, "unit": "%", "system": "http://unitsofmeasure.org",
                                   "code": "%"}}  # fmt: skip
    a = extract(met("m", "T5"), obs("e", "http://loinc.org", code, **value))
    (message,) = [e for e in errors(a) if "Observation/e" in e]
    assert said in message and "records death: check the patient's status" in message
    assert "no value" not in message and not a.tokuhashi.kps.known


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


def untimed(resource):
    return {k: v for k, v in resource.items() if k != "effectiveDateTime"}


def test_an_untimed_finding_that_disagrees_with_the_timed_one_makes_a_range_and_is_named():
    # With no recorded time it cannot be placed before or after the timed one (contract §2: never
    # a silent guess): the component spans both, and the note names the untimed record.
    hidden = untimed(obs("u", FINDING, "frankel-grade", **answer("frankel-a")))
    timed = obs("t", FINDING, "frankel-grade", **answer("frankel-e"))
    a = extract(met("m", "T5"), hidden, timed)
    assert a.tokuhashi.palsy.values == {Frankel.A, Frankel.E}
    basis = a.basis["tokuhashi-palsy"]
    (conflict,) = [c for c in basis.caveats if c.startswith("Conflicting")]
    assert "A (Observation/u) has no recorded time" in conflict
    assert "E (Observation/t, 2024-05-20T09:00:00Z)" in conflict
    assert basis.settle is not None
    assert {ev.ref.reference for ev in basis.evidence} == {"Observation/u", "Observation/t"}
    # The same value without a time changes nothing.
    same = untimed(obs("u", FINDING, "frankel-grade", **answer("frankel-e")))
    a = extract(met("m", "T5"), same, timed)
    assert a.tokuhashi.palsy == Possible.of(Frankel.E)
    assert not any(c.startswith("Conflicting") for c in a.basis["tokuhashi-palsy"].caveats)


def test_untimed_findings_tie_among_themselves():
    hidden = untimed(obs("u", FINDING, "frankel-grade", **answer("frankel-a")))
    other = {**hidden, "id": "u2", **answer("frankel-c")}
    tied = extract(met("m", "T5"), hidden, other).tokuhashi.palsy
    assert tied.values == {Frankel.A, Frankel.C}


def test_every_input_chosen_latest_spans_an_untimed_disagreeing_finding():
    # The choice lives in one place: a SINS finding, the performance status, a staging finding.
    level = {"bodySite": {"coding": [{"system": VERTEBRA, "code": "T5"}]}}
    a = extract(
        met("m", "T5"),
        obs("al", FINDING, "spinal-alignment", **answer("normal"), **level),
        untimed(obs("al-u", FINDING, "spinal-alignment", **answer("subluxation"), **level)),
        obs("k", "http://loinc.org", "89243-0", valueInteger=80),
        untimed(obs("k-u", "http://loinc.org", "89243-0", valueInteger=40)),
        obs("v", FINDING, "visceral-metastases", **answer("none")),
        untimed(obs("v-u", FINDING, "visceral-metastases", **answer("untreatable"))),
    )
    assert a.levels[0].inputs.alignment.values == {Alignment.NORMAL, Alignment.SUBLUXATION}
    assert a.tokuhashi.kps.values == {40, 80}
    assert a.tomita.visceral.values == {Visceral.NONE, Visceral.UNTREATABLE}
    for code in ("tokuhashi-general-condition", "tomita-visceral-metastases"):
        assert any("no recorded time" in c for c in a.basis[code].caveats), code


def test_an_untimed_ecog_widens_a_timed_karnofsky_by_its_range():
    a = extract(
        met("m", "T5"),
        obs("k", "http://loinc.org", "89243-0", valueInteger=80),
        untimed(obs("e", "http://loinc.org", "89247-1", valueInteger=3)),
    )
    assert a.tokuhashi.kps.values == {30, 40, 80}


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


def test_a_sins_finding_whose_body_site_is_in_words_only_applies_to_no_level():
    # "L2" in words is never read as a level; read as a finding without a level it counted at T5,
    # the only metastatic level, with no word said: an L2 collapse made T5's SINS certain.
    words = {"text": "L2 vertebral body"}
    a = extract(
        met("m", "T5"),
        obs("x", FINDING, "vertebral-body-collapse", bodySite=words, **answer("gt-50")),
    )
    assert not a.levels[0].inputs.collapse.known
    (said,) = [i.diagnostics for i in a.issues if "Observation/x" in i.diagnostics]
    assert "in words only" in said and "L2 vertebral body" in said and "applies to none" in said
    # Placed by its focus on the T5 lesion, it is at T5 whatever its words say.
    focused = obs("y", FINDING, "vertebral-body-collapse", bodySite=words, **answer("gt-50"))
    focused["focus"] = [{"reference": "Condition/m"}]
    assert extract(met("m", "T5"), focused).levels[0].inputs.collapse.known
