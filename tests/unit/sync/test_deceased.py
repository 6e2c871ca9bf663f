"""A patient recorded as deceased gets no recommendation written back (contract §4 v3: "A
deceased patient gets no recommendation anywhere"): the RiskAssessments sync writes carry no
mitigation, a note that the patient is recorded as deceased, and nothing of a band's strategy."""

from __future__ import annotations

import json

import respx

from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_runner import ours, run, seed_resources

# Words only a recommendation or a published strategy uses (adapter/vocabulary/scores/).
ADVICE = ("recommended", "Published strategy", "Reported for this group", "surgical consultation")


def died(resources: list[dict], when: str) -> list[dict]:
    for resource in resources:
        if resource["resourceType"] == "Patient":
            resource["deceasedDateTime"] = when
    return resources


def assert_no_recommendation(fhir: FakeFhir) -> None:
    risks = ours(fhir, "RiskAssessment")
    assert risks
    for risk in risks:
        assert "mitigation" not in risk
        assert [n["text"] for n in risk["note"]] == [
            "Deceased 1 Jun 2024: no strategy or recommendation applies."
        ]
        said = json.dumps(risk, ensure_ascii=False)
        assert not any(words in said for words in ADVICE), said


@respx.mock
def test_a_deceased_patients_risk_assessments_carry_no_recommendation():
    fhir = FakeFhir(respx.mock, died(seed_resources("seed-03"), "2024-06-01T00:00:00Z"))
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert_no_recommendation(fhir)


@respx.mock
def test_a_death_recorded_later_replaces_the_written_recommendations():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    assert any("mitigation" in r for r in ours(fhir, "RiskAssessment"))
    died(list(fhir.of_type("Patient")), "2024-06-01T00:00:00Z")
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert_no_recommendation(fhir)
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]
