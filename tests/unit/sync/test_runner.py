"""The runner against an in-memory FHIR server: what it writes, when it writes nothing, how it
supersedes an older result, and how it treats duplicates and failures."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from pathlib import Path

import httpx
import pytest
import respx

from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.read.record_list import RECORD_LIST
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patients
from adapter.vocabulary.systems import ASSESSMENT_SID, SERIES_SID
from tests.unit.sync.fakefhir import BASE, FakeFhir, searchset

ROOT = Path(__file__).resolve().parents[3]
NOW = parse_time("2025-01-01T00:00:00Z")
FAST = RetryPolicy(attempts=5, base_delay=0, max_delay=0)


def seed_resources(name: str) -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


def run(patients, policy=FAST, now=NOW):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(
                client, default_terminology(), patients, now=now, policy=policy
            )

    return asyncio.run(go())


def ours(fhir: FakeFhir, rtype: str) -> list[dict]:
    return [
        r
        for r in fhir.of_type(rtype)
        if any(i["system"] == SERIES_SID for i in r.get("identifier", []))
    ]


def code(resource: dict) -> str:
    return resource["code"]["coding"][0]["code"]


def series(resource: dict) -> str:
    return next(i["value"] for i in resource["identifier"] if i["system"] == SERIES_SID)


def result(resource: dict) -> str:
    return next(i["value"] for i in resource["identifier"] if i["system"] == ASSESSMENT_SID)


@respx.mock
def test_first_sync_creates_one_resource_per_series_and_a_repeat_writes_nothing():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    first = run(["seed-03"])
    assert [o.status for o in first.outcomes] == ["written"]
    (tx,) = fhir.transactions
    for entry in tx["entry"]:
        request = entry["request"]
        assert request["method"] == "POST"
        if entry["resource"]["resourceType"] == "Provenance":
            assert request["ifNoneExist"].startswith("_tag=")
        else:
            assert (
                request["ifNoneExist"]
                == f"identifier={SERIES_SID.replace(':', '%3A').replace('/', '%2F')}%7C{series(entry['resource'])}"
            )
    written = ours(fhir, "Observation") + ours(fhir, "RiskAssessment")
    assert first.outcomes[0].created == len(tx["entry"]) == len(written) + 1  # and a Provenance
    assert len({(r["resourceType"], series(r)) for r in written}) == len(written)
    # Again, even with a later computation time: nothing is sent at all.
    again = run(["seed-03"], now=parse_time("2026-01-01T00:00:00Z"))
    assert [o.status for o in again.outcomes] == ["unchanged"] and again.outcomes[0].created == 0
    assert len(fhir.transactions) == 1


@respx.mock
def test_a_newer_result_replaces_the_older_one_as_a_new_final_version():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    tokuhashi = next(o for o in ours(fhir, "Observation") if code(o) == "tokuhashi-revised")
    before = copy.deepcopy(tokuhashi)
    fhir.store["Observation/new-palsy"] = {
        "resourceType": "Observation", "id": "new-palsy", "status": "final", "subject": {"reference": "Patient/seed-03"},
        "code": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding", "code": "frankel-grade"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://spinemets.org/fhir/CodeSystem/finding", "code": "frankel-c"}]},
        "effectiveDateTime": "2024-12-31T00:00:00Z"}  # fmt: skip
    second = run(["seed-03"])
    assert [o.status for o in second.outcomes] == ["written"]
    tx = fhir.transactions[-1]
    methods = {e["request"]["method"] for e in tx["entry"]}
    assert methods == {"PUT", "POST"}  # updates, and the Provenance of this computation
    after = fhir.store[f"Observation/{before['id']}"]
    assert series(after) == series(before) and result(after) != result(before)
    assert after["status"] == "final" and after["meta"]["versionId"] == "2"
    # Still exactly one current revised Tokuhashi, and nothing else was created.
    assert sum(code(o) == "tokuhashi-revised" for o in ours(fhir, "Observation")) == 1
    put = next(e for e in tx["entry"] if e["request"]["url"] == f"Observation/{before['id']}")
    assert put["request"]["ifMatch"] == 'W/"1"'
    provenance = fhir.of_type("Provenance")[-1]
    targets = {t["reference"] for t in provenance["target"]}
    assert f"Observation/{before['id']}" in targets
    assert all(not t.startswith("urn:") for t in targets) and len(targets) == len(tx["entry"]) - 1
    # References between the outputs name the stored resources.
    for ra in fhir.of_type("RiskAssessment"):
        assert all(not b["reference"].startswith("urn:") for b in ra["basis"])


@respx.mock
def test_duplicates_on_the_server_fail_the_patient_at_once_with_the_repair_command():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    copy_of = copy.deepcopy(ours(fhir, "Observation")[0])
    fhir.add(copy_of)
    sent = len(fhir.transactions)
    summary = run(["seed-03"])
    (outcome,) = summary.outcomes
    assert outcome.status == "failed"
    assert (
        "duplicates" in outcome.reason and "--repair-duplicates --patient seed-03" in outcome.reason
    )
    assert summary.retries == 0 and len(fhir.transactions) == sent


@respx.mock
def test_a_412_is_retried_once_then_reported_as_duplicates_when_the_server_holds_two():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    # Another writer created a copy of every output between our read and our write.
    original_transaction = fhir.transaction

    def racing(bundle):
        if len(fhir.transactions) == 0:
            original_transaction(copy.deepcopy(bundle))
            fhir.transactions.clear()
            for resource in ours(fhir, "Observation"):
                fhir.add(resource)
        return original_transaction(bundle)

    fhir.transaction = racing  # type: ignore[method-assign]
    summary = run(["seed-03"])
    (outcome,) = summary.outcomes
    assert outcome.status == "failed" and "duplicates" in outcome.reason
    assert summary.retries == 1  # the 412, then the read that found the duplicates


@respx.mock
def test_a_conflict_with_a_concurrent_writer_rereads_and_settles():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    fhir.fail_next = [409, 412]
    summary = run(["seed-03"])
    assert [o.status for o in summary.outcomes] == ["written"] and summary.retries == 2


@respx.mock
def test_one_patient_failing_does_not_stop_the_others():
    FakeFhir(respx.mock, seed_resources("seed-03"))
    summary = run(["gone", "seed-03"], policy=RetryPolicy(attempts=2, base_delay=0))
    by_patient = {o.patient: o for o in summary.outcomes}
    assert by_patient["gone"].status == "failed" and "404" in by_patient["gone"].reason
    assert by_patient["seed-03"].status == "written"
    lines = summary.lines()
    assert "written 1" in lines[0] and "failed 1" in lines[0] and "Patient/gone" in lines[1]


LEAKY = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid",
         "diagnostics": "jdbc:postgresql://db:5432/fhir?password=hunter2"}]}  # fmt: skip


@pytest.mark.parametrize("where", ["the request", "one entry of the batch"])
@respx.mock
def test_the_server_error_text_is_kept_out_of_the_reason(caplog, where):
    if where == "the request":
        answer = httpx.Response(400, json=LEAKY)
    else:
        ok = {"resource": searchset([]), "response": {"status": "200 OK"}}
        failed = {"response": {"status": "400 Bad Request", "outcome": LEAKY}}
        answer = httpx.Response(200, json={"resourceType": "Bundle", "type": "batch-response",
                                           "entry": [failed] + [ok] * (len(RECORD_LIST) + 1)})  # fmt: skip
    respx.route(url__regex=rf"{BASE}/.*").mock(return_value=answer)
    caplog.set_level(logging.DEBUG)
    summary = run(["p1"])
    assert "hunter2" not in summary.outcomes[0].reason and "400" in summary.outcomes[0].reason
    assert "hunter2" not in caplog.text  # nowhere a caller or an operator sees: not the log


@pytest.mark.parametrize("status", ["400 password=hunter2", "password=hunter2 x"])
@respx.mock
def test_a_status_line_of_the_servers_own_words_is_not_repeated(caplog, status):
    failed = {"response": {"status": status}}
    answer = {"resourceType": "Bundle", "type": "batch-response", "entry": [failed] * 8}
    respx.route(url__regex=rf"{BASE}/.*").mock(return_value=httpx.Response(200, json=answer))
    summary = run(["p1"], policy=RetryPolicy(attempts=1))
    assert summary.outcomes[0].status == "failed"
    assert "hunter2" not in summary.outcomes[0].reason and "hunter2" not in caplog.text


@respx.mock
def test_observation_search_asks_only_for_score_and_outcome_inputs():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    (batch,) = fhir.batches  # inputs and stored outputs in one request; the write used it
    urls = [e["request"]["url"] for e in batch["entry"]]
    inputs = next(u for u in urls if u.startswith("Observation?") and "code=" in u)
    assert "code=http%3A%2F%2Fspinemets.org%2Ffhir%2FCodeSystem%2Ffinding%7C" in inputs
    assert "89243-0" in inputs and "89247-1" in inputs
    assert all(code in inputs for code in ("72514-3", "38208-5", "38214-3", "96761-2"))
    assert urls[0] == "Patient/seed-03" and len(fhir.transactions) == 1
    reads = [c.request for c in respx.calls
             if c.request.method == "GET" or b'"batch"' in c.request.content]  # fmt: skip
    assert reads and all(r.headers["cache-control"] == "no-cache" for r in reads)


@respx.mock
def test_an_id_outside_the_fhir_grammar_fails_that_patient_only_and_is_never_sent():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    summary = run(["..", "a/b", "seed-03"])
    by_patient = {o.patient: o for o in summary.outcomes}
    assert by_patient[".."].status == by_patient["a/b"].status == "failed"
    assert by_patient[".."].reason == "not a FHIR id"
    assert by_patient["seed-03"].status == "written"
    sent = [str(c.request.url) for c in respx.calls]
    assert not any("/.." in url or "a/b" in url for url in sent)
    assert len(fhir.transactions) == 1


@respx.mock
def test_a_transaction_entry_status_in_the_servers_own_words_is_not_repeated(caplog):
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))

    def leaky(bundle):
        entries = [{"response": {"status": "422 password=hunter2"}} for _ in bundle["entry"]]
        return httpx.Response(200, json={"resourceType": "Bundle", "entry": entries})

    fhir.transaction = leaky  # type: ignore[method-assign]
    summary = run(["seed-03"], policy=RetryPolicy(attempts=1))
    (outcome,) = summary.outcomes
    assert outcome.status == "failed" and "422" in outcome.reason
    assert "hunter2" not in outcome.reason and "hunter2" not in caplog.text


@respx.mock
def test_a_patient_that_breaks_the_reader_fails_alone_and_the_run_goes_on(monkeypatch):
    import adapter.sync.runner as runner_module

    FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
    from adapter.pipeline import score_patient as real  # what the runner imported

    def fragile(records, *args, **kwargs):
        if records.patient == "seed-03":
            raise TypeError("a record of an unexpected shape")
        return real(records, *args, **kwargs)

    monkeypatch.setattr(runner_module, "score_patient", fragile)
    summary = run(["seed-03", "seed-05"])
    by_patient = {o.patient: o for o in summary.outcomes}
    assert by_patient["seed-03"].status == "failed"
    assert by_patient["seed-03"].reason == "internal error (TypeError)"
    assert by_patient["seed-05"].status == "written"


@respx.mock
def test_a_malformed_resource_on_the_server_is_an_issue_and_the_patient_is_still_written():
    broken = {"resourceType": "Observation", "id": "broken", "status": "final",
              "subject": {"reference": "Patient/seed-03"}, "code": {"coding": 5},
              "valueInteger": "80"}  # fmt: skip
    FakeFhir(respx.mock, [*seed_resources("seed-03"), broken])
    summary = run(["seed-03"])
    (outcome,) = summary.outcomes
    assert outcome.status == "written"
    clean = run_fresh(["seed-03"])
    assert outcome.issues == clean.outcomes[0].issues + 1


def run_fresh(patients):
    with respx.mock:
        FakeFhir(respx.mock, seed_resources("seed-03"))
        return run(patients)
