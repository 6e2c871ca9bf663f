"""A search the FHIR server reports it cut short (an OperationOutcome entry, `search.mode`
`outcome`, severity error) is a partial record: sync scores and writes nothing for that patient
and names the failure in its own words, as the CDS service and `score` refuse such a record
(contract §2: never a silent guess; the finding that matters may be in what was left out)."""

from __future__ import annotations

import respx

from tests.unit.sync.fakefhir import FakeFhir
from tests.unit.sync.test_runner import ours, run, seed_resources

SERVER_SAYS = "Search truncated: only the first 200 of 812 results were returned"


class CutShort(FakeFhir):
    """HAPI-like: the Observation search answers part of the result and says so."""

    def __init__(self, *args, severity: str = "error", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.severity = severity

    def page(self, path, query, hits):
        bundle = super().page(path, query, hits)
        if path == "Observation" and "patient" in query:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": self.severity, "code": "too-costly",
                           "diagnostics": SERVER_SAYS}],
            }  # fmt: skip
            bundle["entry"] = [*bundle.get("entry", []),
                               {"resource": outcome, "search": {"mode": "outcome"}}]  # fmt: skip
        return bundle


def written(fhir: FakeFhir) -> list[dict]:
    return ours(fhir, "Observation") + ours(fhir, "RiskAssessment")


@respx.mock
def test_a_search_the_server_cut_short_is_not_scored():
    fhir = CutShort(respx.mock, seed_resources("seed-03"))
    summary = run(["seed-03"])
    [outcome] = summary.outcomes
    assert outcome.status == "failed"
    assert "incomplete" in (outcome.reason or "")
    assert "812" not in (outcome.reason or "")  # the server's words are never repeated
    assert written(fhir) == [] and fhir.transactions == []
    assert len(fhir.batches) == 1  # not retried: a repeat would be cut short the same way


@respx.mock
def test_a_search_note_that_is_no_error_leaves_the_record_whole():
    fhir = CutShort(respx.mock, seed_resources("seed-03"), severity="information")
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert written(fhir)
