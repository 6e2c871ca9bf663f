"""Sync reads patients in groups (one batch request for up to ``read_group`` patients) and writes
a group's new results together (test_together.py): the grouping, a group whose read fails, a
patient with more than a page of Observations, a patient missing from the server, and one
patient's bad data."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import respx

import adapter.sync.runner as runner_module
from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.read.timing import parse_time
from adapter.mapping.terminology import default_terminology
from adapter.sync.reader import group_snapshots
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import Outcome, sync_patients
from tests.unit.sync.fakefhir import BASE, FakeFhir

ROOT = Path(__file__).resolve().parents[3]
NOW = parse_time("2025-01-01T00:00:00Z")
FAST = RetryPolicy(attempts=3, base_delay=0, max_delay=0)
SEEDS = ["seed-03", "seed-05", "seed-07", "seed-09", "seed-11"]


def seed_resources(*names: str) -> list[dict]:
    return [
        e["resource"]
        for name in names
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


def run(patients, *, read_group=20, concurrency=1, policy=FAST):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(
                client, default_terminology(), patients, now=NOW, policy=policy,
                concurrency=concurrency, read_group=read_group,
            )  # fmt: skip

    return asyncio.run(go())


def read_in(batch: dict) -> list[str]:
    """The patients a batch read (its Patient reads), in order."""
    urls = [e["request"]["url"] for e in batch["entry"]]
    return [u.removeprefix("Patient/") for u in urls if u.startswith("Patient/")]


def facts(summary) -> list[tuple]:
    return [(o.patient, o.status, o.reason, o.created, o.issues) for o in summary.outcomes]


@respx.mock
def test_patients_are_read_in_groups_and_written_one_transaction_a_group(monkeypatch):
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS))
    hops: list[int] = []
    real = runner_module._score_all

    def counted(read, *args):
        hops.append(len(read))
        return real(read, *args)

    monkeypatch.setattr(runner_module, "_score_all", counted)
    summary = run(SEEDS, read_group=2)
    assert [read_in(b) for b in fhir.batches] == [SEEDS[0:2], SEEDS[2:4], SEEDS[4:]]
    assert hops == [2, 2, 1]  # one hop off the event loop per group
    assert [o.patient for o in summary.outcomes] == SEEDS
    assert [o.status for o in summary.outcomes] == ["written"] * 5 and summary.retries == 0
    # All new: one transaction per group, holding that group's patients' outputs only.
    assert len(fhir.transactions) == 3
    for group, tx in zip([SEEDS[0:2], SEEDS[2:4], SEEDS[4:]], fhir.transactions, strict=True):
        subjects = {e["resource"].get("subject", {}).get("reference") for e in tx["entry"]}
        assert subjects - {None} == {f"Patient/{patient}" for patient in group}
    # A repeat reads the outputs stored from the same groups and writes nothing.
    again = run(SEEDS, read_group=2)
    assert [o.status for o in again.outcomes] == ["unchanged"] * 5 and len(fhir.transactions) == 3


def test_a_group_gives_each_patient_what_reading_it_alone_gives():
    outcomes: list[list] = []
    for read_group in (1, 5):
        with respx.mock:
            fhir = FakeFhir(respx.mock, seed_resources(*SEEDS))
            outcomes.append(facts(run(SEEDS, read_group=read_group)))
            assert len(fhir.batches) == 5 // read_group
            # What is sent for each patient, whether in a transaction of its own or of several.
            sent = sorted((e["resource"].get("subject", {}).get("reference", ""),
                           json.dumps(e["resource"]["code"], sort_keys=True))
                          for tx in fhir.transactions for e in tx["entry"]
                          if "code" in e["resource"])  # fmt: skip
        outcomes.append(sent)
    assert outcomes[0] == outcomes[2] and outcomes[1] == outcomes[3]


@respx.mock
def test_a_short_list_is_spread_over_the_concurrency():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    summary = run(SEEDS[:3], read_group=20, concurrency=4)
    assert sorted(len(read_in(b)) for b in fhir.batches) == [1, 1, 1]
    assert [o.status for o in summary.outcomes] == ["written"] * 3


@respx.mock
def test_a_group_read_that_keeps_failing_fails_its_patients_in_our_words_only(caplog):
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:4]))
    fhir.fail_batches = [503, 503, 503]  # every attempt at the first group
    summary = run(SEEDS[:4], read_group=2)
    by_patient = {o.patient: o for o in summary.outcomes}
    for patient in SEEDS[:2]:
        assert by_patient[patient].status == "failed"
        assert by_patient[patient].reason == (
            "the FHIR server answered 503 (reading its group of 2 patients)"
        )
    assert [by_patient[p].status for p in SEEDS[2:4]] == ["written", "written"]
    assert summary.retries == 2
    assert [read_in(b) for b in fhir.batches] == [SEEDS[:2]] * 3 + [SEEDS[2:4]]
    assert "hunter2" not in "\n".join(summary.lines()) and "hunter2" not in caplog.text
    assert len(fhir.transactions) == 1  # the second group's two patients, written together


@respx.mock
def test_a_group_read_that_fails_once_is_retried_as_a_whole():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    fhir.fail_batches = [502]
    summary = run(SEEDS[:3], read_group=3)
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert [read_in(b) for b in fhir.batches] == [SEEDS[:3]] * 2


@respx.mock
def test_a_patient_missing_from_the_server_fails_alone_without_another_read():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03", "seed-05"))
    summary = run(["seed-03", "gone", "seed-05"], read_group=3)
    assert [(o.patient, o.status) for o in summary.outcomes] == [
        ("seed-03", "written"), ("gone", "failed"), ("seed-05", "written")]  # fmt: skip
    assert summary.outcomes[1].reason == "the FHIR server answered 404"
    assert len(fhir.batches) == 1 and summary.retries == 0  # a 404 is not read again


def edit_batch_answers(fhir: FakeFhir, edit) -> None:
    """The fake server's batch answers, changed by ``edit(bundle, entries)`` before they go out
    (``entries``: the answer's entries, in the bundle's order)."""
    batch = fhir.batch

    def edited(bundle, headers):
        body = batch(bundle, headers).json()
        edit(bundle, body["entry"])
        return httpx.Response(200, json=body)

    fhir.batch = edited  # type: ignore[method-assign]


def entries_for(bundle: dict, prefix: str) -> list[int]:
    return [n for n, e in enumerate(bundle["entry"]) if e["request"]["url"].startswith(prefix)]


@respx.mock
def test_a_patient_whose_part_failed_for_a_transient_reason_is_read_again_alone():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))

    def one_entry_fails(bundle, entries):
        if len(fhir.batches) == 1:  # the group's read: seed-05's Condition search answers 500
            (at,) = entries_for(bundle, "Condition?patient=seed-05")
            entries[at] = {"response": {"status": "500 Internal Server Error"}}

    edit_batch_answers(fhir, one_entry_fails)
    summary = run(SEEDS[:3], read_group=3)
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert [read_in(b) for b in fhir.batches] == [SEEDS[:3], ["seed-05"]]


def many_observations(patient: str, count: int) -> list[dict]:
    """``count`` Karnofsky scores of the patient, the last one the newest."""
    return [{"resourceType": "Observation", "id": f"{patient}-kps-{n}", "status": "final",
             "subject": {"reference": f"Patient/{patient}"},
             "code": {"coding": [{"system": "http://loinc.org", "code": "89243-0"}]},
             "valueInteger": 90 if n == count - 1 else 40,
             "effectiveDateTime": f"2024-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"}
            for n in range(count)]  # fmt: skip


@respx.mock
def test_a_patient_with_more_than_a_page_of_observations_is_read_whole_in_a_group():
    extra = many_observations("seed-05", 450)
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]) + extra)

    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await group_snapshots(client, SEEDS[:3])

    parts = asyncio.run(go())
    alone = {p: [r for r in fhir.store.values() if r.get("subject", {}).get("reference")
                 == f"Patient/{p}" and r["resourceType"] == "Observation"] for p in SEEDS[:3]}  # fmt: skip
    for patient, (inputs, stored) in zip(SEEDS[:3], parts, strict=True):
        observations = [r for r in inputs if r["resourceType"] == "Observation"]
        assert sorted(r["id"] for r in observations) == sorted(r["id"] for r in alone[patient])
        assert inputs[0] == {**fhir.store[f"Patient/{patient}"]} and stored == []
    assert len(fhir.batches) == 1
    assert len(fhir.pages) == 2 and all("seed-05" in page for page in fhir.pages)  # 200 a page
    summary = run(SEEDS[:3], read_group=3)
    assert [o.status for o in summary.outcomes] == ["written"] * 3


@respx.mock
def test_one_patients_bad_data_fails_that_patient_only(monkeypatch):
    FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    from adapter.pipeline import score_patient as real

    def fragile(records, *args, **kwargs):
        if records.patient == "seed-05":
            raise TypeError("a record of an unexpected shape")
        return real(records, *args, **kwargs)

    monkeypatch.setattr(runner_module, "score_patient", fragile)
    summary = run(SEEDS[:3], read_group=3)
    assert [(o.status, o.reason) for o in summary.outcomes] == [
        ("written", None), ("failed", "internal error (TypeError)"), ("written", None)]  # fmt: skip


@respx.mock
def test_order_and_summary_stay_with_ids_that_are_not_sent_and_repeats():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    seen: list[Outcome] = []

    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(
                client, default_terminology(), ["seed-07", "..", "seed-03", "seed-07", "seed-05"],
                now=NOW, policy=FAST, concurrency=2, read_group=20, on_done=seen.append,
            )  # fmt: skip

    summary = asyncio.run(go())
    assert [o.patient for o in summary.outcomes] == ["seed-07", "..", "seed-03", "seed-05"]
    assert sorted(o.patient for o in seen) == sorted(o.patient for o in summary.outcomes)
    assert summary.lines()[0].startswith("patients: 4 · scored 3 · written 3")
    assert sum(len(read_in(b)) for b in fhir.batches) == 3


@respx.mock
def test_transactions_ask_for_no_resources_back():
    FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])
    (tx,) = [c.request for c in respx.calls if b'"transaction"' in c.request.content]
    assert tx.headers["prefer"] == "return=minimal"  # statuses and locations only


@respx.mock
def test_a_patient_whose_searches_answer_another_shape_fails_alone():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))

    def seed_05_answers_oddly(bundle, entries):
        for n in entries_for(bundle, "Observation?patient=seed-05&_count"):
            entries[n]["resource"] = {"resourceType": "OperationOutcome", "issue": []}

    edit_batch_answers(fhir, seed_05_answers_oddly)
    summary = run(SEEDS[:3], read_group=3, policy=RetryPolicy(attempts=2, base_delay=0))
    assert [(o.status, o.reason) for o in summary.outcomes] == [
        ("written", None), ("failed", "a FHIR search did not answer with a Bundle"),
        ("written", None)]  # fmt: skip
    # The group once, then seed-05 alone, twice (its retries).
    assert [read_in(b) for b in fhir.batches] == [SEEDS[:3], ["seed-05"], ["seed-05"]]


@respx.mock
def test_the_outputs_are_built_off_the_event_loop_with_the_scores(monkeypatch):
    # Outputs are built when first read (adapter/fhir/write/built.py); sync must not leave that
    # CPU work to the writes, which run on the event loop a running service answers from.
    import threading

    from adapter.fhir.write.build import build_score_observation as real

    FakeFhir(respx.mock, seed_resources("seed-03"))
    threads: set[str] = set()

    def recorded(**kwargs):
        threads.add(threading.current_thread().name)
        return real(**kwargs)

    monkeypatch.setattr("adapter.pipeline.score.build_score_observation", recorded)
    summary = run(["seed-03"])
    assert [o.status for o in summary.outcomes] == ["written"]
    assert threads and threading.main_thread().name not in threads
