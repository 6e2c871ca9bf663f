"""Patients of a group whose writes are all new (conditional creates: a first sync) are written in
one transaction; each keeps its own outcome and outputs. A patient with stored results to update
or withdraw is written alone. A transaction of several that fails is sent again patient by
patient, so that only the patient at fault fails; one whose answer was lost is read again, and
what it wrote is found stored, not written twice."""

from __future__ import annotations

import asyncio
import copy
from collections import Counter

import httpx
import pytest
import respx

import adapter.sync.runner as runner_module
import adapter.sync.together as together_module
from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.mapping.terminology import default_terminology
from adapter.sync.runner import Outcome, sync_patients
from adapter.sync.write import ANSWER_LOST
from adapter.vocabulary.systems import SERIES_SID
from tests.unit.sync.fakefhir import BASE, FakeFhir
from tests.unit.sync.test_groups import FAST, NOW, SEEDS, seed_resources


def run(patients, *, read_group=20, audit=None, **more):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            return await sync_patients(
                client, default_terminology(), patients, now=NOW, policy=FAST,
                concurrency=1, read_group=read_group, audit=audit, **more,
            )  # fmt: skip

    return asyncio.run(go())


def patients_in(tx: dict) -> list[str]:
    """The patients a transaction writes for, in the order of their entries."""
    out: list[str] = []
    for entry in tx["entry"]:
        subject = entry["resource"].get("subject", {}).get("reference")
        if subject and (not out or out[-1] != subject.removeprefix("Patient/")):
            out.append(subject.removeprefix("Patient/"))
    return out


def owner(fhir: FakeFhir, reference: str) -> str:
    """The patient an output written belongs to (a Provenance: the patient of its targets)."""
    resource = fhir.store["/".join(reference.split("/")[:2])]
    if resource["resourceType"] == "Provenance":
        (patient,) = {owner(fhir, t["reference"]) for t in resource["target"]}
        return patient
    return resource["subject"]["reference"].removeprefix("Patient/")


def written_alone(patients: list[str]) -> Counter:
    """What a sync of each patient on its own writes: resource types by patient."""
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources(*patients))
        run(patients, read_group=1)
        return Counter(
            (r["resourceType"], owner(fhir, f"{r['resourceType']}/{r['id']}"))
            for r in fhir.store.values()
            if r["resourceType"] in ("Observation", "RiskAssessment", "Provenance")
        )


def test_new_patients_of_a_group_are_written_in_one_transaction_each_with_its_own_outcome():
    expected = written_alone(SEEDS)
    audited: list[Outcome] = []

    async def audit(outcome: Outcome) -> None:
        audited.append(outcome)

    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources(*SEEDS))
        summary = run(SEEDS, audit=audit)
        again = run(SEEDS)
    assert [(o.patient, o.status) for o in summary.outcomes] == [(p, "written") for p in SEEDS]
    assert len(fhir.transactions) == 1 and patients_in(fhir.transactions[0]) == SEEDS
    assert summary.retries == 0
    # Each patient's outcome (and audit record) names what was created for it, and only that.
    for outcome in summary.outcomes:
        assert outcome.created == len(outcome.outputs) > 0
        assert {owner(fhir, o.value) for o in outcome.outputs} == {outcome.patient}
        assert {o.description for o in outcome.outputs} == {"created"}
    assert audited == summary.outcomes
    # The same resources as each patient written alone, none twice.
    stored = Counter(
        (r["resourceType"], owner(fhir, f"{r['resourceType']}/{r['id']}"))
        for r in fhir.store.values()
        if r["resourceType"] in ("Observation", "RiskAssessment", "Provenance")
    )
    assert stored == expected
    # A repeat writes nothing.
    assert [o.status for o in again.outcomes] == ["unchanged"] * 5 and len(fhir.transactions) == 1


@respx.mock
def test_a_patient_with_a_stored_result_to_update_is_written_alone():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS))
    run(SEEDS[:2])
    before = len(fhir.transactions)
    # One of seed-03's stored results withdrawn since: its next write is an update (ifMatch).
    stored = next(r for r in fhir.of_type("Observation")
                  if r["subject"]["reference"] == "Patient/seed-03")  # fmt: skip
    stored["status"] = "entered-in-error"
    summary = run(SEEDS)
    assert [o.status for o in summary.outcomes] == ["written", "unchanged"] + ["written"] * 3
    sent = fhir.transactions[before:]
    assert sorted(patients_in(tx) for tx in sent) == [["seed-03"], SEEDS[2:]]
    (alone,) = [tx for tx in sent if patients_in(tx) == ["seed-03"]]
    assert any(e["request"]["method"] == "PUT" for e in alone["entry"])


@respx.mock
def test_a_transaction_of_several_refused_is_sent_again_patient_by_patient():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    fhir.fail_next = [400, 400]  # the transaction of the three, then the first patient's own
    summary = run(SEEDS[:3])
    assert [(o.patient, o.status, o.reason) for o in summary.outcomes] == [
        ("seed-03", "failed", "the FHIR server answered 400"),
        ("seed-05", "written", None),
        ("seed-07", "written", None),
    ]
    assert [patients_in(tx) for tx in fhir.transactions] == [
        SEEDS[:3], ["seed-03"], ["seed-05"], ["seed-07"]]  # fmt: skip
    assert summary.retries == 1  # the transaction of the three, sent again as three
    assert {owner(fhir, o.value) for o in summary.outcomes[1].outputs} == {"seed-05"}


@respx.mock
def test_a_transaction_of_several_whose_answer_was_lost_is_found_stored_not_written_twice():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    fhir.lose_next = [502]  # applied, and the answer lost
    summary = run(SEEDS[:3])
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert len(fhir.transactions) == 1  # each patient read again finds its results stored
    for outcome in summary.outcomes:
        assert outcome.outputs and {o.description for o in outcome.outputs} == {ANSWER_LOST}
        assert {owner(fhir, o.value) for o in outcome.outputs} == {outcome.patient}
    again = run(SEEDS[:3])
    assert [o.status for o in again.outcomes] == ["unchanged"] * 3 and len(fhir.transactions) == 1


@respx.mock
def test_a_transaction_of_several_that_failed_for_a_while_is_not_sent_twice_where_it_was_not_applied():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:2]))
    fhir.fail_next = [503]  # not applied
    summary = run(SEEDS[:2])
    assert [o.status for o in summary.outcomes] == ["written"] * 2 and summary.retries == 1
    assert [patients_in(tx) for tx in fhir.transactions] == [SEEDS[:2], ["seed-03"], ["seed-05"]]
    assert all(o.description == "created" for out in summary.outcomes for o in out.outputs)


def test_a_transaction_of_several_holds_at_most_its_limit_of_entries_and_whole_patients():
    with respx.mock:
        alone = FakeFhir(respx.mock, seed_resources(*SEEDS))
        run(SEEDS, read_group=1)
        sizes = sorted(len(tx["entry"]) for tx in alone.transactions)
    limit = sizes[-1] + sizes[-2]  # room for any two patients, not for three
    assert sizes[0] + sizes[1] + sizes[2] > limit
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources(*SEEDS))
        summary = run(SEEDS, transaction_entries=limit)
    assert [o.status for o in summary.outcomes] == ["written"] * 5
    assert all(len(tx["entry"]) <= limit for tx in fhir.transactions)
    grouped = [patients_in(tx) for tx in fhir.transactions]
    assert [p for g in grouped for p in g] == SEEDS  # every patient once, whole, in order
    assert len(fhir.transactions) < 5 and max(len(g) for g in grouped) >= 2


@respx.mock
def test_a_transaction_of_several_answered_short_is_read_again_and_found_stored():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    fhir.short_next = 1  # applied; its answer leaves out an entry
    summary = run(SEEDS[:3])
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert len(fhir.transactions) == 1
    for outcome in summary.outcomes:
        assert outcome.outputs and {o.description for o in outcome.outputs} == {ANSWER_LOST}
        assert {owner(fhir, o.value) for o in outcome.outputs} == {outcome.patient}


@respx.mock
def test_with_no_entries_to_share_each_patient_has_a_transaction_of_its_own():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    summary = run(SEEDS[:3], transaction_entries=0)
    assert [o.status for o in summary.outcomes] == ["written"] * 3
    assert [patients_in(tx) for tx in fhir.transactions] == [[p] for p in SEEDS[:3]]


def _output_of(fhir: FakeFhir, patient: str) -> dict:
    """One of the Observations sync stored for the patient (not one of its inputs)."""
    return next(r for r in fhir.of_type("Observation")
                if r["subject"]["reference"] == f"Patient/{patient}"
                and any(i.get("system") == SERIES_SID for i in r.get("identifier", [])))  # fmt: skip


def _odd_copy(fhir: FakeFhir, patient: str) -> None:
    """A copy of one of the patient's stored outputs beside it, with a note of a shape nothing
    expects (a list of strings): withdrawing it cannot be planned."""
    stored = _output_of(fhir, patient)
    odd = copy.deepcopy(stored) | {"id": "odd", "note": ["a string"]}
    odd["meta"] = {**odd.get("meta", {}), "lastUpdated": "2099-01-01T00:00:00Z"}
    fhir.store["Observation/odd"] = odd


@pytest.mark.parametrize("entries", [200, 0])
def test_a_patient_whose_write_cannot_be_planned_fails_alone_and_the_run_goes_on(entries):
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:4]))
        run(SEEDS[:2])
        _odd_copy(fhir, "seed-03")
        summary = run(SEEDS[:4], transaction_entries=entries)
    assert [(o.patient, o.status, o.reason) for o in summary.outcomes] == [
        ("seed-03", "failed", "internal error (AttributeError)"),
        ("seed-05", "unchanged", None),
        ("seed-07", "written", None),
        ("seed-09", "written", None),
    ]


@respx.mock
def test_a_transaction_of_several_answered_in_a_shape_nothing_expects_is_read_again():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    applied = fhir.transaction

    def odd(bundle: dict) -> httpx.Response:
        applied(bundle)
        entries = [{"response": "201 Created"} for _ in bundle["entry"]]
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "transaction-response",
                                         "entry": entries})  # fmt: skip

    fhir.transaction = odd  # type: ignore[method-assign]
    summary = run(SEEDS[:3])
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert len(fhir.transactions) == 1  # applied: each patient read again finds it stored
    for outcome in summary.outcomes:
        assert outcome.outputs and {o.description for o in outcome.outputs} == {ANSWER_LOST}


@respx.mock
def test_a_stored_result_whose_code_is_not_an_object_does_not_stop_the_run():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:2]))
    run(SEEDS[:1])
    _output_of(fhir, "seed-03")["code"] = "x"
    summary = run(SEEDS[:2])
    assert [o.patient for o in summary.outcomes] == SEEDS[:2]
    assert summary.outcomes[1].status == "written"


@respx.mock
def test_the_patients_of_a_transaction_of_several_are_audited_before_the_next_is_sent():
    with respx.mock:
        alone = FakeFhir(respx.mock, seed_resources(*SEEDS[:4]))
        run(SEEDS[:4], read_group=1)
        limit = max(len(tx["entry"]) for tx in alone.transactions) * 2  # two patients a transaction
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:4]))
    sent_when_audited: list[tuple[str, int]] = []

    async def audit(outcome: Outcome) -> None:
        sent_when_audited.append((outcome.patient, len(fhir.transactions)))

    summary = run(SEEDS[:4], audit=audit, transaction_entries=limit)
    assert [o.status for o in summary.outcomes] == ["written"] * 4
    assert [patients_in(tx) for tx in fhir.transactions] == [SEEDS[:2], SEEDS[2:4]]
    assert sent_when_audited == [(p, 1) for p in SEEDS[:2]] + [(p, 2) for p in SEEDS[2:4]]


@respx.mock
def test_a_transaction_of_several_that_fails_inside_spinemets_is_read_again_patient_by_patient(
    monkeypatch,
):
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    real = together_module.merged

    def unsendable(bundles):
        return real(bundles) | {"meta": {object()}}  # orjson cannot write it: nothing is sent

    monkeypatch.setattr(together_module, "merged", unsendable)
    monkeypatch.setattr(runner_module, "merged", unsendable)
    summary = run(SEEDS[:3])
    assert [o.status for o in summary.outcomes] == ["written"] * 3 and summary.retries == 1
    assert [patients_in(tx) for tx in fhir.transactions] == [[p] for p in SEEDS[:3]]
    assert all(o.description == "created" for out in summary.outcomes for o in out.outputs)


@respx.mock
def test_a_transaction_of_several_is_audited_whole_before_a_patient_written_alone_between_them():
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    run(SEEDS[1:2])
    _output_of(fhir, "seed-05")["status"] = "entered-in-error"  # seed-05: an update, alone
    before = len(fhir.transactions)
    sent_when_audited: dict[str, int] = {}

    async def audit(outcome: Outcome) -> None:
        sent_when_audited[outcome.patient] = len(fhir.transactions) - before

    summary = run(SEEDS[:3], audit=audit)
    assert [o.status for o in summary.outcomes] == ["written"] * 3
    assert [patients_in(tx) for tx in fhir.transactions[before:]] == [
        ["seed-03", "seed-07"], ["seed-05"]]  # fmt: skip
    # seed-07 was written by the first transaction: audited before seed-05's is sent.
    assert sent_when_audited == {"seed-03": 1, "seed-07": 1, "seed-05": 2}


@respx.mock
def test_a_patient_whose_scoring_raises_anything_fails_alone_and_the_others_are_written(
    monkeypatch,
):
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    real = runner_module._score

    def scored(resources, patient, *rest):
        if patient == "seed-05":
            raise ZeroDivisionError
        return real(resources, patient, *rest)

    monkeypatch.setattr(runner_module, "_score", scored)
    summary = run(SEEDS[:3])
    assert [(o.patient, o.status, o.reason) for o in summary.outcomes] == [
        ("seed-03", "written", None),
        ("seed-05", "failed", "internal error (ZeroDivisionError)"),
        ("seed-07", "written", None),
    ]
    assert [patients_in(tx) for tx in fhir.transactions] == [["seed-03", "seed-07"]]


@respx.mock
def test_a_patient_whose_scoring_raises_anything_when_read_again_fails_alone(monkeypatch):
    fhir = FakeFhir(respx.mock, seed_resources(*SEEDS[:3]))
    fhir.lose_next = [502]  # the shared transaction applied, its answer lost: each read again
    real = runner_module._score
    calls: Counter = Counter()

    def scored(resources, patient, *rest):
        calls[patient] += 1
        if patient == "seed-05" and calls[patient] > 1:
            raise ZeroDivisionError
        return real(resources, patient, *rest)

    monkeypatch.setattr(runner_module, "_score", scored)
    summary = run(SEEDS[:3])
    assert [(o.patient, o.status) for o in summary.outcomes] == [
        ("seed-03", "written"), ("seed-05", "failed"), ("seed-07", "written")]  # fmt: skip
    assert summary.outcomes[1].reason == (
        "internal error (ZeroDivisionError); a transaction whose answer was lost may have been "
        "applied — check the server"
    )
