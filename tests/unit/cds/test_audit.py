"""The audit trail of CDS calls: one valid AuditEvent per call, appended to the audit file, with
who asked (the verified iss/sub/jti, the user), the Patient, the cards and the outcome, and never
the token."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat

import pytest

from adapter.cds.settings import Settings
from adapter.datadirs import append_private
from adapter.errors import StorageError
from adapter.fhir.write.validate import validate_r4
from tests.unit.cds.conftest import BASE, ISS, call_scores, client_for, patient_view

pytestmark = pytest.mark.anyio
SCORES = f"{BASE}/cds-services/spinemets-scores"


@pytest.fixture
def anyio_backend():
    return "asyncio"


def events(settings: Settings) -> list[dict]:
    return [json.loads(line) for line in settings.audit_path.read_text().splitlines()]


def by_role(event: dict, code: str) -> list[dict]:
    return [e for e in event["entity"] if e["role"]["code"] == code]


async def test_a_call_appends_one_valid_audit_event_naming_client_patient_and_cards(secured, keys):
    token = keys.token(SCORES, sub="ehr-client-7")
    async with client_for(secured) as client:
        response = await call_scores(client, token)
    assert response.status_code == 200
    (event,) = events(secured)
    validate_r4(event)
    assert token not in secured.audit_path.read_text()
    assert event["type"]["code"] == "rest" and event["subtype"][0]["code"] == "operation"
    assert event["action"] == "E" and event["outcome"] == "0"
    client_agent, user, server = event["agent"]
    assert client_agent["who"]["identifier"] == {"system": ISS, "value": "ehr-client-7"}
    assert (
        client_agent["requestor"] is True and client_agent["type"]["coding"][0]["code"] == "110153"
    )
    assert client_agent["policy"] == [json.loads(_claims(token))["jti"]]
    assert user["who"] == {"reference": "Practitioner/example"}
    assert server["network"]["address"] == SCORES
    patient = patient_view()["context"]["patientId"]
    assert by_role(event, "1")[0]["what"] == {"reference": f"Patient/{patient}"}
    (request,) = by_role(event, "24")
    assert request["name"] == "spinemets-scores"
    assert request["what"]["identifier"]["value"] == "urn:uuid:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
    cards = {
        e["what"]["identifier"]["value"].removeprefix("urn:uuid:") for e in by_role(event, "3")
    }
    assert cards == {c["uuid"] for c in response.json()["cards"]} and cards
    assert stat.S_IMODE(secured.audit_path.stat().st_mode) == 0o600


def _claims(token: str) -> str:
    payload = token.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


async def test_a_failed_call_is_recorded_with_its_outcome(secured, keys):
    body = patient_view()
    body["prefetch"] = {}  # nothing to score and no fhirServer to read from: 412
    async with client_for(secured) as client:
        response = await client.post(
            "/cds-services/spinemets-scores", json=body,
            headers={"Authorization": f"Bearer {keys.token(SCORES)}"},
        )  # fmt: skip
    assert response.status_code == 412
    (event,) = events(secured)
    validate_r4(event)
    assert event["outcome"] == "8" and not by_role(event, "3")


async def test_an_unwritable_audit_trail_refuses_to_start(tmp_path):
    (tmp_path / "audit").mkdir()
    settings = Settings(state_dir=tmp_path, audit_file=tmp_path / "audit")  # a directory
    with pytest.raises(StorageError, match="audit trail"):
        async with client_for(settings):
            pass


async def test_a_call_whose_client_went_away_is_recorded_as_withdrawn(secured, keys, monkeypatch):
    async def gone(*_args, **_kwargs):
        raise asyncio.CancelledError

    monkeypatch.setattr("adapter.cds.routes.services.call_service", gone)
    async with client_for(secured) as client:
        with pytest.raises(asyncio.CancelledError):
            await call_scores(client, keys.token(SCORES))
    (event,) = events(secured)
    validate_r4(event)
    assert event["outcome"] == "4"


async def test_a_call_whose_event_cannot_be_appended_is_not_answered(secured, keys, monkeypatch):
    def full_disk(path, line):
        if line:
            raise OSError(28, "No space left on device")

    async with client_for(secured) as client:
        monkeypatch.setattr("adapter.cds.audit.append_private", full_disk)
        response = await call_scores(client, keys.token(SCORES))
    assert response.status_code == 503 and "cards" not in response.json()


async def test_a_huge_hook_is_named_not_echoed_and_cut_in_the_audit_event(secured, keys):
    body = patient_view()
    body["hook"] = "H" * 1_000_000
    async with client_for(secured) as client:
        response = await client.post(
            "/cds-services/spinemets-scores", json=body,
            headers={"Authorization": f"Bearer {keys.token(SCORES)}"},
        )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"].startswith("hook: ")
    assert "HHH" not in response.text
    (line,) = secured.audit_path.read_text().splitlines()
    assert len(line) < 10_000  # every caller value in the trail is cut at 256 characters
    validate_r4(json.loads(line))


async def test_the_smart_app_is_given_the_services_audit_trail(settings):
    from adapter.cds.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert app.state.audit_trail is app.state.spinemets.audit
        app.state.audit_trail.write({"resourceType": "AuditEvent", "outcome": "0"})
    assert events(settings) == [{"resourceType": "AuditEvent", "outcome": "0"}]


def _torn_write(monkeypatch, after: int):
    """os.write as a full disk answers it: ``after`` bytes written, then ENOSPC."""
    real = os.write

    def write(descriptor, data):
        if len(data) > after:
            real(descriptor, bytes(data[:after]))
            raise OSError(28, "No space left on device")
        return real(descriptor, data)

    monkeypatch.setattr("adapter.datadirs.os.write", write)


def test_a_line_the_disk_cannot_take_whole_leaves_nothing_of_itself(tmp_path, monkeypatch):
    path = tmp_path / "audit.ndjson"
    append_private(path, b'{"n": 1}')
    with monkeypatch.context() as patched:
        _torn_write(patched, 10)
        with pytest.raises(OSError):
            append_private(path, b'{"n": 2, "patient": "Patient/p"}')
    assert path.read_bytes() == b'{"n": 1}\n'
    append_private(path, b'{"n": 3}')
    assert [json.loads(line) for line in path.read_text().splitlines()] == [{"n": 1}, {"n": 3}]


def test_a_line_torn_by_a_crash_is_never_glued_to_the_next(tmp_path):
    path = tmp_path / "audit.ndjson"
    path.write_bytes(b'{"n": 1}\n{"n": 2, "pat')  # a process killed mid-write
    path.chmod(0o600)
    append_private(path, b'{"n": 3}')
    lines = path.read_text().splitlines()
    assert lines[0] == '{"n": 1}' and lines[-1] == '{"n": 3}' and len(lines) == 3


async def test_readyz_is_not_ready_after_an_audit_event_could_not_be_appended(
    secured, keys, monkeypatch
):
    """A full disk refuses every call with 503: the load balancer must take the instance out,
    not keep it in rotation on an empty append that proves nothing."""
    async with client_for(secured) as client:
        assert (await client.get("/readyz")).status_code == 200
        with monkeypatch.context() as patched:
            _torn_write(patched, 0)
            refused = await call_scores(client, keys.token(SCORES))
            assert refused.status_code == 503
            ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["stores"] == "unusable"


async def test_readyz_is_not_ready_after_the_replay_cache_could_not_record_a_token(
    secured, keys, monkeypatch
):
    import sqlite3

    async with client_for(secured) as client:
        replay = client.app.state.spinemets.replay

        def failing(*_args):
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(replay, "_insert_at_once", lambda *_args: None)
        monkeypatch.setattr(replay, "_write", failing)
        refused = await call_scores(client, keys.token(SCORES))
        assert refused.status_code == 503
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["stores"] == "unusable"


async def test_readyz_is_not_ready_when_the_state_disk_is_nearly_full(secured, monkeypatch):
    class Full:
        f_bavail, f_frsize = 10, 4096  # 40 KB left

    async with client_for(secured) as client:
        monkeypatch.setattr("adapter.datadirs.os.statvfs", lambda _path: Full())
        ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["stores"] == "unusable"


async def test_a_hook_instance_that_is_no_uuid_is_audited_by_its_digest(secured, keys):
    body = {**patient_view(), "hookInstance": "Zyxwvutson Quintella 1955-03-08"}
    async with client_for(secured) as client:
        answered = await client.post(
            "/cds-services/spinemets-scores",
            json=body,
            headers={"Authorization": f"Bearer {keys.token(SCORES)}"},
        )
    assert answered.status_code == 200
    (event,) = events(secured)
    assert "Quintella" not in json.dumps(event)
    [request] = [e for e in event["entity"] if e["role"]["code"] == "24"]  # the query
    assert "sha256:" in request["what"]["identifier"]["value"]


def test_a_trail_that_may_be_appended_to_but_not_read_still_takes_events(tmp_path, monkeypatch):
    """An audit file set up write-only (mode 0200, a common hardening): reading it back to
    check for a torn line must not stop every call."""
    path = tmp_path / "audit.ndjson"
    append_private(path, b'{"n": 1}')
    real = os.open

    def write_only(file, flags, *args):
        if flags & os.O_RDWR:
            raise PermissionError(13, "Permission denied")
        return real(file, flags, *args)

    with monkeypatch.context() as patched:
        patched.setattr("adapter.datadirs.os.open", write_only)
        append_private(path, b'{"n": 2}')
    assert [json.loads(line) for line in path.read_text().splitlines()] == [{"n": 1}, {"n": 2}]
