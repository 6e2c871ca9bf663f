"""The audit trail of CDS calls: one valid AuditEvent per call, appended to the audit file, with
who asked (the verified iss/sub/jti, the user), the Patient, the cards and the outcome, and never
the token."""

from __future__ import annotations

import asyncio
import base64
import json
import stat

import pytest

from adapter.cds.settings import Settings
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
