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


class ListingCutShort(FakeFhir):
    """The patient listings (--all: Conditions by code; --since: by _lastUpdated) cut short."""

    def page(self, path, query, hits):
        bundle = super().page(path, query, hits)
        if "patient" not in query and "subject" not in query and path in ("Condition", "Patient"):
            outcome = {"resourceType": "OperationOutcome",
                       "issue": [{"severity": "error", "code": "too-costly", "diagnostics": SERVER_SAYS}]}  # fmt: skip
            bundle["entry"] = [*bundle.get("entry", []),
                               {"resource": outcome, "search": {"mode": "outcome"}}]  # fmt: skip
        return bundle


@respx.mock
def test_a_patient_listing_the_server_cut_short_fails_the_run():
    # Every patient left out of it would miss its re-score, and the operator would move the
    # --since time on believing the run complete (contract §4: exit 1, the work failed part-way).
    import asyncio

    import pytest

    from adapter.errors import FhirServerError
    from adapter.fhir.client import FhirClient, FhirServerSettings
    from adapter.mapping.terminology import default_terminology
    from adapter.sync.reader import all_patients, changed_patients
    from tests.unit.sync.fakefhir import BASE

    ListingCutShort(respx.mock, seed_resources("seed-03"))

    async def listing(which):
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            if which == "all":
                return await all_patients(client, default_terminology())
            return await changed_patients(client, "2024-06-01T00:00:00Z")

    for which in ("all", "since"):
        with pytest.raises(FhirServerError) as refused:
            asyncio.run(listing(which))
        assert "listing" in str(refused.value) and "812" not in str(refused.value)
