"""Two writers for one patient: the one that loses the version check (409/412) must score the
record again before it retries, so that what stays on the server is the result of the newest
record, never a result computed from an older read written over a newer one."""

from __future__ import annotations

import threading

import respx

from adapter.sync.retry import RetryPolicy
from tests.unit.sync.fakefhir import FakeFhir, reads_patient
from tests.unit.sync.test_runner import code, ours, result, run, seed_resources

KPS = "Observation/seed-03-kps"


def current(fhir: FakeFhir) -> dict[tuple[str, str], tuple[str, object]]:
    """Each stored output's result identifier and value, by type and score."""
    return {
        (r["resourceType"], code(r)): (result(r), r.get("valueInteger", r.get("prediction")))
        for rtype in ("Observation", "RiskAssessment")
        for r in ours(fhir, rtype)
        if code(r) != "sins"  # one per level; the other scores are one per patient
    }


def fresh_outputs(kps: int) -> dict[tuple[str, str], tuple[str, object]]:
    """What a sync of the record with this KPS writes on a server of its own."""
    with respx.mock:
        fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
        fhir.store[KPS]["valueInteger"] = kps
        run(["seed-03"])
        return current(fhir)


@respx.mock
def test_the_writer_that_loses_the_race_rescored_the_newer_record_before_it_retried():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    run(["seed-03"])  # KPS 60 on the server
    fhir.store[KPS]["valueInteger"] = 30  # writer A reads this record
    real = fhir.transaction
    other: dict[str, object] = {}
    raced: list[bool] = []

    def racing(bundle):
        if not raced:
            raced.append(True)
            # While A's transaction is on its way the record changes again, and writer B
            # (the notified re-sync, another run) reads it and completes first.
            fhir.store[KPS]["valueInteger"] = 90
            b = threading.Thread(target=lambda: other.setdefault("b", run(["seed-03"])))
            b.start()
            b.join()
        return real(bundle)

    fhir.transaction = racing  # type: ignore[method-assign]
    a = run(["seed-03"])
    assert [o.status for o in other["b"].outcomes] == ["written"]  # type: ignore[attr-defined]
    assert [o.status for o in a.outcomes] != ["failed"] and a.retries >= 1
    newest = fresh_outputs(90)
    assert newest != fresh_outputs(30)  # the two records do score differently
    assert current(fhir) == newest
    fhir.transaction = real  # type: ignore[method-assign]
    assert [o.status for o in run(["seed-03"]).outcomes] == ["unchanged"]


@respx.mock
def test_each_repeat_after_a_conflict_reads_the_record_again_and_stays_bounded():
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    fhir.fail_next = [409] * 5
    summary = run(["seed-03"], policy=RetryPolicy(attempts=5, base_delay=0, max_delay=0))
    (outcome,) = summary.outcomes
    assert outcome.status == "failed" and "409" in (outcome.reason or "")
    assert len(fhir.transactions) == 5 and summary.retries == 4
    reads = [c.request for c in respx.calls if reads_patient(c.request, "seed-03")]
    assert len(reads) == 5  # the first look, then one fresh read of the record per repeat
