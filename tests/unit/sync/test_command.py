"""``spinemets sync`` end to end against an in-memory FHIR server: listing, repair, exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import respx

from adapter import cli
from adapter.vocabulary.systems import SERIES_SID
from tests.unit.sync.fakefhir import BASE, FakeFhir

ROOT = Path(__file__).resolve().parents[3]


def seed_resources(name: str) -> list[dict]:
    return [
        e["resource"]
        for e in json.loads((ROOT / "fixtures" / "seed" / f"{name}.json").read_text())["entry"]
    ]


def sync(*argv: str) -> int:
    return cli.main(["sync", "--fhir-server", BASE, *argv])


@respx.mock
def test_listing_patients_is_retried(capsys, monkeypatch):
    monkeypatch.setattr("adapter.sync.retry.random.uniform", lambda a, b: 0.0)
    answers = iter([httpx.Response(503), None])

    def flaky(request):
        answer = next(answers, None)
        return answer if answer is not None else fhir.handle(request)

    listing = respx.get(url__regex=rf"{BASE}/Condition\?code=.*").mock(side_effect=flaky)
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))  # after: the listing route comes first
    assert sync("--all") == 0
    # The listing is a few searches (every spelling of its codes), retried as a whole: each
    # twice, the first answered 503 the first time.
    from adapter.mapping.terminology import default_terminology
    from adapter.sync.reader import _PER_SEARCH, listing_codes

    searches = -(-len(listing_codes(default_terminology())) // _PER_SEARCH)
    assert searches > 1 and listing.call_count == 2 * searches
    assert "written 1" in capsys.readouterr().out


@respx.mock
def test_listing_that_keeps_failing_is_exit_1_with_one_line(capsys, monkeypatch):
    monkeypatch.setattr("adapter.sync.retry.random.uniform", lambda a, b: 0.0)
    respx.get(url__regex=rf"{BASE}/.*").mock(return_value=httpx.Response(503))
    assert sync("--since", "2025-01-01T00:00:00Z") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "503" in err


@respx.mock
def test_repair_duplicates_deletes_copies_and_sync_withdraws_the_copies_it_finds(capsys):
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    assert sync("--patient", "seed-03") == 0
    duplicate = next(r for r in fhir.of_type("Observation")
                     if any(i["system"] == SERIES_SID for i in r.get("identifier", [])))  # fmt: skip
    fhir.add(copy.deepcopy(duplicate))
    capsys.readouterr()
    assert sync("--patient", "seed-03", "--repair-duplicates") == 0
    out = capsys.readouterr().out
    assert "Patient/seed-03: removed 1 duplicates (1 Observation)" in out
    assert "failed 0" in out and "unchanged 1" in out
    # Without the repair, sync itself withdraws a copy it finds and goes on (exit 0).
    made = fhir.add(copy.deepcopy(duplicate))
    assert sync("--patient", "seed-03") == 0
    assert "written 1" in capsys.readouterr().out
    assert fhir.store[f"Observation/{made['id']}"]["status"] == "entered-in-error"


@respx.mock
def test_invalid_patient_ids_are_unusable_input(capsys):
    FakeFhir(respx.mock, [])
    assert sync("--patient", "..") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a FHIR id" in err


@respx.mock
def test_read_group_sets_how_many_patients_one_request_reads(capsys, monkeypatch):
    fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
    assert sync("--patient", "seed-03", "--patient", "seed-05", "--concurrency", "1",
                "--read-group", "2") == 0  # fmt: skip
    assert len(fhir.batches) == 1 and len(fhir.transactions) == 1  # both new: written together
    monkeypatch.setenv("SPINEMETS_SYNC_READ_GROUP", "1")
    assert sync("--patient", "seed-03", "--patient", "seed-05", "--concurrency", "1") == 0
    assert len(fhir.batches) == 3
    assert "unchanged 2" in capsys.readouterr().out


@respx.mock
def test_a_read_group_out_of_bounds_is_unusable_input(capsys, monkeypatch):
    FakeFhir(respx.mock, [])
    assert sync("--patient", "p", "--read-group", "0") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--read-group" in err
    monkeypatch.setenv("SPINEMETS_SYNC_READ_GROUP", "500")
    assert sync("--patient", "p") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_SYNC_READ_GROUP" in err


@respx.mock
def test_transaction_entries_sets_how_many_entries_patients_may_share_in_one_transaction(
    capsys, monkeypatch
):
    fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
    # 0: one transaction a patient, as contract §4 words it
    assert sync("--patient", "seed-03", "--patient", "seed-05", "--concurrency", "1",
                "--transaction-entries", "0") == 0  # fmt: skip
    assert len(fhir.transactions) == 2
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
        monkeypatch.setenv("SPINEMETS_SYNC_TRANSACTION_ENTRIES", "0")
        assert sync("--patient", "seed-03", "--patient", "seed-05", "--concurrency", "1") == 0
        assert len(fhir.transactions) == 2
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03") + seed_resources("seed-05"))
        monkeypatch.setenv("SPINEMETS_SYNC_TRANSACTION_ENTRIES", "500")
        assert sync("--patient", "seed-03", "--patient", "seed-05", "--concurrency", "1") == 0
        assert len(fhir.transactions) == 1


@respx.mock
def test_transaction_entries_out_of_bounds_are_unusable_input(capsys, monkeypatch):
    FakeFhir(respx.mock, [])
    assert sync("--patient", "p", "--transaction-entries", "-1") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--transaction-entries" in err
    monkeypatch.setenv("SPINEMETS_SYNC_TRANSACTION_ENTRIES", "100000")
    assert sync("--patient", "p") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SPINEMETS_SYNC_TRANSACTION_ENTRIES" in err
