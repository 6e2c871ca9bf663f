"""The audit trail on a real HAPI FHIR server: the AuditEvent of a real CDS call and of a real
sync write validate as R4 AuditEvents, and sync sends its events to the server it writes (where
every reference in them resolves). A CDS call's event names the EHR's Patient and Practitioner,
which live on the EHR's server, so it is validated here, not stored."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from adapter import cli
from adapter.cds.settings import Issuer, Settings
from tests.integration.conftest import count, load_seed_copy
from tests.unit.cds.conftest import BASE, ISS, Keys, call_scores, client_for

pytestmark = pytest.mark.integration
SCORES = f"{BASE}/cds-services/spinemets-scores"


def errors(outcome: dict) -> list[str]:
    return [i.get("diagnostics", "") for i in outcome.get("issue", [])
            if i["severity"] in ("error", "fatal")]  # fmt: skip


def validate(base: str, event: dict) -> list[str]:
    answer = httpx.post(f"{base}/AuditEvent/$validate", json=event, timeout=120)
    return errors(answer.json())


def one_cds_call(tmp_path: Path) -> tuple[dict, str]:
    keys = Keys()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks))
    settings = Settings(
        state_dir=tmp_path,
        public_base_url=BASE,
        issuers=(Issuer(iss=ISS, jwks_file=jwks),),
    )
    token = keys.token(SCORES, sub="ehr-client-7")

    async def go() -> None:
        async with client_for(settings) as client:
            assert (await call_scores(client, token)).status_code == 200

    asyncio.run(go())
    (line,) = settings.audit_path.read_text().splitlines()
    return json.loads(line), token


def test_the_audit_event_of_a_real_cds_call_validates_on_hapi(fhir_base, tmp_path):
    event, token = one_cds_call(tmp_path)
    assert token not in json.dumps(event)
    assert validate(fhir_base, event) == []


def test_a_real_sync_write_is_audited_in_the_file_and_on_the_server(
    fhir_base, tmp_path, monkeypatch, capsys
):
    pid = load_seed_copy(fhir_base, "seed-03")
    audit = tmp_path / "audit.ndjson"
    monkeypatch.setenv("SPINEMETS_AUDIT_FILE", str(audit))
    monkeypatch.setenv("SPINEMETS_AUDIT_SEND", "true")
    assert cli.main(["sync", "--fhir-server", fhir_base, "--patient", pid]) == 0
    (line,) = audit.read_text().splitlines()
    event = json.loads(line)
    assert validate(fhir_base, event) == []
    assert event["outcome"] == "0" and len(event["entity"]) > 3
    written = [e["what"]["reference"] for e in event["entity"][1:]]
    for reference in written:  # each output named as the server stored it
        answer = httpx.get(f"{fhir_base}/{reference}", timeout=60)
        assert answer.status_code == 200, reference
    assert count(fhir_base, f"AuditEvent?entity=Patient/{pid}") == 1
