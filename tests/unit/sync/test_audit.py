"""The audit trail of sync writes: a valid AuditEvent per patient written or failed, naming the
Patient and each resource written; none for a patient found unchanged; never the server's words."""

from __future__ import annotations

import asyncio
import json
import stat

import httpx
import respx

from adapter.errors import StorageError
from adapter.fhir.client import FhirClient, FhirServerSettings
from adapter.fhir.write.validate import validate_r4
from adapter.mapping.terminology import default_terminology
from adapter.sync.audit import SyncAudit
from adapter.sync.runner import sync_patients
from tests.unit.sync import test_runner
from tests.unit.sync.fakefhir import BASE, FakeFhir
from tests.unit.sync.test_runner import FAST, NOW, seed_resources


def run(patients, path, *, send=False):
    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            audit = SyncAudit(path, client, send=send)
            audit.check()
            return await sync_patients(
                client, default_terminology(), patients, now=NOW, policy=FAST, audit=audit
            )

    return asyncio.run(go())


def events(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@respx.mock
def test_a_sync_write_appends_one_valid_audit_event_naming_what_it_wrote(tmp_path):
    fhir = FakeFhir(respx.mock, seed_resources("seed-03"))
    path = tmp_path / "audit" / "audit.ndjson"
    summary = run(["seed-03"], path, send=True)
    assert summary.outcomes[0].status == "written"
    (event,) = events(path)
    validate_r4(event)
    assert event["subtype"][0]["code"] == "transaction" and event["action"] == "C"
    assert event["outcome"] == "0"
    own, server = event["agent"]
    assert own["requestor"] is True and own["who"]["identifier"]["value"] == "spinemets"
    assert server["network"]["address"] == BASE
    patient, *outputs = event["entity"]
    assert patient["what"] == {"reference": "Patient/seed-03"}
    ours = [*fhir.of_type("Provenance"), *test_runner.ours(fhir, "Observation"),
            *test_runner.ours(fhir, "RiskAssessment")]  # fmt: skip
    written = {f"{r['resourceType']}/{r['id']}/_history/1" for r in ours}
    assert {o["what"]["reference"] for o in outputs} == written
    assert all(o["role"]["code"] == "4" and o["description"] == "created" for o in outputs)
    sent = [c.request for c in respx.calls if c.request.url.path.endswith("/AuditEvent")]
    assert len(sent) == 1 and json.loads(sent[0].content) == event
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    run(["seed-03"], path)  # unchanged: no write, no event
    assert len(events(path)) == 1


@respx.mock
def test_a_failed_write_is_recorded_in_spinemets_words(tmp_path):
    leaky = {"resourceType": "OperationOutcome",
             "issue": [{"severity": "error", "code": "invalid", "diagnostics": "password=hunter2"}]}  # fmt: skip
    respx.route(host="fhir.example.org").mock(return_value=httpx.Response(400, json=leaky))
    path = tmp_path / "audit.ndjson"
    summary = run(["p1"], path)
    assert summary.outcomes[0].status == "failed"
    (event,) = events(path)
    validate_r4(event)
    assert event["outcome"] == "8" and "400" in event["outcomeDesc"]
    assert "hunter2" not in path.read_text()


@respx.mock
def test_a_write_that_cannot_be_recorded_fails_the_patient(tmp_path, monkeypatch):
    FakeFhir(respx.mock, seed_resources("seed-03"))

    def broken(path, line):
        if line:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr("adapter.sync.audit.append_private", broken)
    summary = run(["seed-03"], tmp_path / "audit.ndjson")
    (outcome,) = summary.outcomes
    assert outcome.status == "failed" and "No space left on device" in outcome.reason


def test_an_unwritable_audit_trail_is_refused_before_any_write(tmp_path):
    (tmp_path / "audit.ndjson").mkdir()

    async def go():
        async with FhirClient.connect(FhirServerSettings(base_url=BASE)) as client:
            SyncAudit(tmp_path / "audit.ndjson", client).check()

    try:
        asyncio.run(go())
    except StorageError as exc:
        assert "audit trail" in str(exc)
    else:
        raise AssertionError("an unwritable audit trail was accepted")


class AnswerLost(FakeFhir):
    """Applies the first transaction, then answers 504 as a proxy whose upstream timed out would:
    the write happened, its answer did not arrive."""

    lost = 1

    def transaction(self, bundle):
        answer = super().transaction(bundle)
        if self.lost and answer.status_code == 200:
            self.lost -= 1
            return httpx.Response(504, json={"resourceType": "OperationOutcome", "issue": []})
        return answer


@respx.mock
def test_a_write_whose_answer_was_lost_is_recorded_with_what_the_server_holds(tmp_path):
    # The repeat finds the result already stored, so sends nothing: the event must still name
    # what that one transaction wrote, not "wrote 0 resources" (contract §8).
    fhir = AnswerLost(respx.mock, seed_resources("seed-03"))
    path = tmp_path / "audit.ndjson"
    summary = run(["seed-03"], path)
    assert summary.outcomes[0].status == "written" and len(fhir.transactions) == 1
    (event,) = events(path)
    validate_r4(event)
    _, *outputs = event["entity"]
    ours = [*test_runner.ours(fhir, "Observation"), *test_runner.ours(fhir, "RiskAssessment")]
    stored = {f"{r['resourceType']}/{r['id']}/_history/1" for r in ours}
    assert ours and {o["what"]["reference"] for o in outputs} >= stored
    assert all("answer lost" in o["description"] for o in outputs)
    assert f"wrote {len(outputs)} resources" in event["text"]["div"]


@respx.mock
def test_a_write_whose_answer_was_lost_every_time_says_it_may_have_been_applied(tmp_path):
    class ThenDown(AnswerLost):  # and every request after it fails: nothing can be checked
        def handle(self, request):
            return httpx.Response(503) if self.transactions else super().handle(request)

    ThenDown(respx.mock, seed_resources("seed-03"))
    path = tmp_path / "audit.ndjson"
    summary = run(["seed-03"], path)
    outcome = summary.outcomes[0]
    assert outcome.status == "failed" and "may have been applied" in (outcome.reason or "")
    (event,) = events(path)
    assert "may have been applied" in event["outcomeDesc"]


@respx.mock
def test_a_lost_answer_names_only_what_that_transaction_wrote(tmp_path):
    # Everything written once; one RiskAssessment then removed from the server; the second
    # sync's transaction re-creates only it, and its answer is lost: the event must not re-date
    # the outputs written on an earlier day as written now.
    fhir = AnswerLost(respx.mock, seed_resources("seed-03"))
    fhir.lost = 0
    path = tmp_path / "audit.ndjson"
    run(["seed-03"], path)
    gone = test_runner.ours(fhir, "RiskAssessment")[0]
    del fhir.store[f"RiskAssessment/{gone['id']}"]
    fhir.lost = 1
    run(["seed-03"], path)
    _, *outputs = events(path)[-1]["entity"]
    named = [o["what"]["reference"] for o in outputs]
    assert len(named) == 1 and named[0].startswith("RiskAssessment/")
