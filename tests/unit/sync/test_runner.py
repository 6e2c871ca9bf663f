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
from adapter.pipeline import Scoring, patient_records, score_patient
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


def _accept_sins_suggestion(fhir: FakeFhir, source: list[dict]) -> list[dict]:
    """What an EHR does when a clinician accepts the SINS card's suggestion: plain creates of the
    card's Observation and RiskAssessment, which carry sync's identifiers (contract §4)."""
    term = default_terminology()
    scored = score_patient(patient_records(source, "seed-03"), term, now=NOW)
    assert scored.sins_risk is not None
    return [fhir.add(b.resource) for b in (scored.levels[0].observation, scored.sins_risk)]


def _duplicate_note(resource: dict) -> str:
    return resource["note"][-1]["text"]


@respx.mock
def test_a_copy_made_by_an_ehr_accepting_a_suggestion_is_withdrawn_and_sync_goes_on():
    # The bug this closes: the EHR's copies put two resources in a series, and every later sync
    # of the patient failed ("duplicates on the server … run --repair-duplicates").
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    kept = {(r["resourceType"], series(r)): r["id"] for r in _sins(fhir)}
    copies = _accept_sins_suggestion(fhir, seed_resources("seed-03"))
    summary = run(["seed-03"])
    assert [o.status for o in summary.outcomes] == ["written"] and summary.retries == 0
    for made in copies:
        now = fhir.store[f"{made['resourceType']}/{made['id']}"]
        adopted = kept[(made["resourceType"], series(made))]
        assert now["status"] == "entered-in-error" and now["meta"]["versionId"] == "2"
        assert f"{made['resourceType']}/{adopted}" in _duplicate_note(now)
        # The series' own resource is left as it was: it already holds the result.
        assert fhir.store[f"{made['resourceType']}/{adopted}"]["meta"]["versionId"] == "1"
    (tx,) = fhir.transactions[1:]
    assert {e["request"]["method"] for e in tx["entry"]} == {"PUT", "POST"}  # and its Provenance
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]
    # A later result updates the series' own resource; the withdrawn copies stay withdrawn.
    fhir.store["Observation/seed-03-kps"]["valueInteger"] = 30
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert all(fhir.store[f"{m['resourceType']}/{m['id']}"]["status"] == "entered-in-error"
               for m in copies)  # fmt: skip


@respx.mock
def test_copies_made_before_any_sync_are_adopted_once_and_the_rest_withdrawn():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    first = _accept_sins_suggestion(fhir, seed_resources("seed-03"))
    second = _accept_sins_suggestion(fhir, seed_resources("seed-03"))  # at the next visit
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    for adopted, withdrawn in zip(first, second, strict=True):
        rtype = adopted["resourceType"]
        assert fhir.store[f"{rtype}/{adopted['id']}"]["status"] == "final"
        assert fhir.store[f"{rtype}/{withdrawn['id']}"]["status"] == "entered-in-error"
        # No third resource was created in the series.
        assert sum(series(r) == series(adopted) for r in ours(fhir, rtype)) == 2
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]


@respx.mock
def test_a_412_from_a_concurrent_copy_is_retried_and_the_copies_withdrawn():
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
    assert outcome.status == "written"
    assert summary.retries == 1  # the 412, then the read that found the copies
    live = [o for o in ours(fhir, "Observation") if o["status"] != "entered-in-error"]
    assert len({series(o) for o in live}) == len(live)


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


def _sins(fhir: FakeFhir) -> list[dict]:
    return [
        r for r in ours(fhir, "Observation") + ours(fhir, "RiskAssessment") if code(r) == "sins"
    ]


def _withdraw_met_t12(fhir: FakeFhir, how: str) -> None:
    if how == "deleted":
        del fhir.store["Condition/seed-03-met-t12"]
        return
    fhir.store["Condition/seed-03-met-t12"]["verificationStatus"] = {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": how}]}  # fmt: skip


@respx.mock
@pytest.mark.parametrize("how", ["entered-in-error", "refuted", "deleted"])
def test_outputs_whose_basis_is_gone_are_withdrawn_not_left_current(how):
    # The bug this closes: seed-03's only metastasis (T12) entered in error or deleted, its SINS
    # Observation and the patient's SINS RiskAssessment ("surgical consultation recommended")
    # stayed final while every other score was brought up to date.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    before = {r["id"]: copy.deepcopy(r) for r in _sins(fhir)}
    assert {r["resourceType"] for r in before.values()} == {"Observation", "RiskAssessment"}
    _withdraw_met_t12(fhir, how)
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    for rid, old in before.items():
        now = fhir.store[f"{old['resourceType']}/{rid}"]
        assert now["status"] == "entered-in-error", now["resourceType"]
        assert series(now) == series(old) and now["meta"]["versionId"] == "2"
        assert now["note"][-1]["text"].startswith("Withdrawn")
        assert now["note"][:-1] == old.get("note", [])  # the result itself as it was
        put = next(e for e in fhir.transactions[-1]["entry"]
                   if e["request"]["url"] == f"{old['resourceType']}/{rid}")  # fmt: skip
        assert put["request"]["method"] == "PUT" and put["request"]["ifMatch"] == 'W/"1"'
    # Nothing current says SINS any more; the withdrawal has its Provenance.
    current = [r for r in _sins(fhir) if r["status"] in ("final", "amended")]
    assert current == []
    targets = {
        t["reference"].split("/_history/")[0] for t in fhir.of_type("Provenance")[-1]["target"]
    }
    assert {f"{r['resourceType']}/{rid}" for rid, r in before.items()} <= targets
    # Withdrawn once: a repeat sends nothing.
    again = run(["seed-03"])
    assert [o.status for o in again.outcomes] == ["unchanged"]
    assert len(fhir.transactions) == 2


@respx.mock
def test_a_withdrawn_output_is_current_again_when_its_basis_comes_back():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    first = {r["id"]: copy.deepcopy(r) for r in _sins(fhir)}
    condition = copy.deepcopy(fhir.store["Condition/seed-03-met-t12"])
    _withdraw_met_t12(fhir, "entered-in-error")
    run(["seed-03"])
    fhir.store["Condition/seed-03-met-t12"] = condition  # the same inputs as the first time
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    for rid, old in first.items():
        now = fhir.store[f"{old['resourceType']}/{rid}"]
        assert now["status"] != "entered-in-error"
        assert not any("Withdrawn" in n["text"] for n in now.get("note", []))
        assert result(now) == result(old)  # the same result, in the same series
    assert len(_sins(fhir)) == len(first)


@respx.mock
def test_a_score_this_run_does_not_compute_is_not_withdrawn():
    # --original writes the 1990 Tokuhashi too; a later run without it does not withdraw it:
    # its basis is still there, the run just did not ask for it.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))

    async def go(scoring):
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(client, default_terminology(), ["seed-03"], now=NOW,
                                       policy=FAST, scoring=scoring)  # fmt: skip

    asyncio.run(go(Scoring(original=True)))
    original = [r for r in ours(fhir, "Observation") if code(r) == "tokuhashi-original"]
    assert len(original) == 1
    again = asyncio.run(go(Scoring()))
    assert [o.status for o in again.outcomes] == ["unchanged"]
    assert fhir.store[f"Observation/{original[0]['id']}"]["status"] == "final"


@respx.mock
def test_each_write_of_a_changed_result_has_a_provenance_of_its_own():
    # The bug this closes: KPS 60 → 30 → 60 → 30 wrote the second result again (a new version of
    # each changed resource) but no Provenance: its conditional create matched the Provenance of
    # the second write, whose tag was built from the same targets.
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    for kps in (30, 60, 30):
        fhir.store["Observation/seed-03-kps"]["valueInteger"] = kps
        assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    provenances = fhir.of_type("Provenance")
    assert len(provenances) == 4 == len(fhir.transactions)
    tags = [p["meta"]["tag"][0]["code"] for p in provenances]
    assert len(set(tags)) == 4
    # The last one names what the last transaction wrote: the updates of the changed series.
    puts = {
        e["request"]["url"]
        for e in fhir.transactions[-1]["entry"]
        if e["request"]["method"] == "PUT"
    }
    assert puts and {t["reference"] for t in provenances[-1]["target"]} == puts
    # A repeat writes nothing, so no Provenance either.
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]
    assert len(fhir.of_type("Provenance")) == 4


@respx.mock
def test_the_outcome_record_is_withdrawn_when_no_index_procedure_remains():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    (outcome,) = [r for r in ours(fhir, "Observation") if code(r) == "outcome-trajectory"]
    for procedure in ("seed-03-pvp", "seed-03-ppsf"):
        fhir.store[f"Procedure/{procedure}"]["status"] = "entered-in-error"
    assert [o.status for o in run(["seed-03"]).outcomes] == ["written"]
    assert fhir.store[f"Observation/{outcome['id']}"]["status"] == "entered-in-error"
    # The scores of the patient are still current.
    assert all(r["status"] != "entered-in-error" for r in ours(fhir, "RiskAssessment"))


@respx.mock
def test_a_1990_tokuhashi_the_server_holds_is_kept_current_without_the_option():
    # Written by `sync --original`, then re-synced by a run without it (the notification worker):
    # left as it was, it stays final with the old KPS, in a better survival band.
    from adapter.pipeline import Scoring

    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))

    def sync(original: bool):
        async def go():
            async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
                return await sync_patients(
                    client, default_terminology(), ["seed-03"], now=NOW, policy=FAST,
                    scoring=Scoring(original=original),
                )  # fmt: skip

        return asyncio.run(go())

    sync(True)
    (kps,) = [r for r in fhir.of_type("Observation") if r.get("valueInteger") == 60]
    kps["valueInteger"] = 30  # the performance status has fallen
    kps["effectiveDateTime"] = "2024-05-25T09:00:00+00:00"
    sync(False)
    revised, original = (
        next(r for r in ours(fhir, "Observation") if code(r) == name)
        for name in ("tokuhashi-revised", "tokuhashi-original")
    )
    # KPS 30: the general condition item scores 0 in both scores: neither keeps the old total.
    assert original["meta"]["versionId"] != "1" or original["status"] == "entered-in-error"
    assert revised["meta"]["versionId"] != "1"
