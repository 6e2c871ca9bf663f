"""A patient whose only bone metastasis no longer counts (entered in error, refuted, deleted):
every score written for them is about a metastasis the record no longer holds, so sync withdraws
each of them (SINS, Tomita, both Tokuhashi scores, Bauer, NESMS, van der Linden), never updates
them as if the disease were still there; what still has a basis (the outcome record of an index
procedure) is left as it is."""

from __future__ import annotations

import asyncio
import copy

import pytest
import respx

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.write.withdraw import WITHDRAWN_NOTE
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import Scoring
from adapter.sync.runner import sync_patients
from tests.unit.sync.fakefhir import BASE, FakeFhir
from tests.unit.sync.test_runner import (
    FAST,
    NOW,
    _withdraw_met_t12,
    code,
    ours,
    result,
    run,
    seed_resources,
    series,
)

OUTCOME = "outcome-trajectory"


def _outputs(fhir: FakeFhir) -> dict[str, dict]:
    """Every output spinemets wrote, by Type/id, as stored now."""
    return {
        f"{r['resourceType']}/{r['id']}": copy.deepcopy(r)
        for rtype in ("Observation", "RiskAssessment")
        for r in ours(fhir, rtype)
    }


def _sync(scoring: Scoring):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(client, default_terminology(), ["seed-03"], now=NOW,
                                       policy=FAST, scoring=scoring)  # fmt: skip

    return asyncio.run(go())


@respx.mock
@pytest.mark.parametrize("how", ["entered-in-error", "refuted", "deleted"])
def test_every_prognosis_score_of_a_patient_whose_only_metastasis_is_gone_is_withdrawn(how):
    # The bug this closes: the SINS outputs were withdrawn, but Tomita, Tokuhashi and the v3
    # tools were written again as a new final result, a prognosis for a spinal metastasis the
    # record no longer holds.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    before = _outputs(fhir)
    prognosis = {k: r for k, r in before.items() if code(r) not in ("sins", OUTCOME)}
    assert {code(r) for r in prognosis.values()} >= {"tomita", "tokuhashi-revised"}
    assert {r["resourceType"] for r in prognosis.values()} == {"Observation", "RiskAssessment"}
    _withdraw_met_t12(fhir, how)
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    for key, old in prognosis.items():
        now = fhir.store[key]
        assert now["status"] == "entered-in-error", (key, code(old))
        assert now["meta"]["versionId"] == "2"
        assert series(now) == series(old) and result(now) == result(old)  # the result as it was
        assert now["note"] == [*old.get("note", []), {"text": WITHDRAWN_NOTE}]
    # Nothing final is left that speaks of the metastasis.
    left = [r for r in _outputs(fhir).values() if code(r) != OUTCOME]
    assert [r for r in left if r["status"] != "entered-in-error"] == []
    # What still has its basis (the index procedures are still recorded) is untouched.
    (outcome,) = [k for k, r in before.items() if code(r) == OUTCOME]
    assert fhir.store[outcome] == before[outcome]
    # Withdrawn once: a repeat sends nothing.
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]
    assert len(fhir.transactions) == 2


@respx.mock
def test_a_score_not_asked_for_is_withdrawn_too_when_the_metastasis_is_gone():
    # The 1990 Tokuhashi written by an earlier run with --original: a later run without it does
    # not compute it, but its basis is gone all the same.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    _sync(Scoring(original=True))
    original = [k for k, r in _outputs(fhir).items() if code(r) == "tokuhashi-original"]
    assert len(original) == 2  # its Observation and RiskAssessment
    _withdraw_met_t12(fhir, "entered-in-error")
    assert [o.status for o in _sync(Scoring()).outcomes] == ["written"]
    assert {fhir.store[k]["status"] for k in original} == {"entered-in-error"}
    assert [o.status for o in _sync(Scoring()).outcomes] == ["unchanged"]


@respx.mock
def test_the_provenance_of_a_withdrawal_counts_what_it_targets():
    # Its narrative said "12 outputs from 3 inputs" for 14 targets (contract §3: target = what
    # was written): the words of a Provenance say what the Provenance holds.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    _withdraw_met_t12(fhir, "entered-in-error")
    run(["seed-03"])
    provenance = max(fhir.of_type("Provenance"), key=lambda r: int(r["id"]))
    targets = len(provenance["target"])
    entities = len(provenance.get("entity", []))
    said = provenance["text"]["div"]
    assert f": {targets} outputs" in said and (f"from {entities} inputs" in said or not entities)
