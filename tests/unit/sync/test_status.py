"""Written Observations and RiskAssessments are `final` (contract §3), also when a newer result
replaces an older one as a new version of the same resource: a client that searches
`status=final` must find the current score, whatever changed since the first sync."""

from __future__ import annotations

import respx

from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_runner import ours, result, run, seed_resources

KPS = "Observation/seed-03-kps"


def statuses(fhir: FakeFhir) -> set[str]:
    return {r["status"] for rtype in ("Observation", "RiskAssessment") for r in ours(fhir, rtype)}


@respx.mock
def test_a_newer_result_is_written_as_a_final_version():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    fhir.store[KPS]["valueInteger"] = 30
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    updates = [e for e in fhir.transactions[-1]["entry"] if e["request"]["method"] == "PUT"]
    assert updates and {e["resource"]["status"] for e in updates} == {"final"}
    assert any(r["meta"]["versionId"] == "2" for r in ours(fhir, "Observation"))
    assert statuses(fhir) == {"final"}


@respx.mock
def test_a_current_result_stored_as_amended_is_brought_back_to_final_once():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    # What an earlier version of sync left: the current result, marked amended.
    kept = {r["id"]: result(r) for r in ours(fhir, "Observation")}
    for r in ours(fhir, "Observation") + ours(fhir, "RiskAssessment"):
        r["status"] = "amended"
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert statuses(fhir) == {"final"}
    assert {r["id"]: result(r) for r in ours(fhir, "Observation")} == kept  # the same results
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]
