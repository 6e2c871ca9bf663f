"""New data on the FHIR server re-scores the patient by itself: HAPI rest-hook Subscriptions
notify a running `spinemets serve`, which writes the updated scores back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from adapter.sync.subscriptions import CRITERIA
from tests.integration.conftest import count, free_port, load_seed_copy

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCORE = "http://spinemets.org/fhir/CodeSystem/score"
FINDING = "http://spinemets.org/fhir/CodeSystem/finding"
SECRET = "test-" + uuid.uuid4().hex


def wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {seconds} s waiting for {what}", pytrace=False)


@pytest.fixture
def serve(fhir_base, tmp_path):
    port = free_port()
    env = {**os.environ, "SPINEMETS_FHIR_SERVER": fhir_base, "SPINEMETS_NOTIFY_SECRET": SECRET,
           "SPINEMETS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), "SPINEMETS_ACCESS_LOG": "false",
           "SPINEMETS_NOTIFY_DB": str(tmp_path / "notifications.sqlite3")}  # fmt: skip
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/cds-services"), 30, "spinemets serve")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_new_finding_updates_the_scores_without_running_sync(
    fhir_base, conformance_uploaded, serve
):
    endpoint = f"{serve}/fhir-notify"
    unsigned = httpx.put(f"{endpoint}/Observation/x", json={"resourceType": "Observation"},
                         headers={"Content-Type": "application/fhir+json"})  # fmt: skip
    assert unsigned.status_code == 401
    created = subprocess.run(
        [sys.executable, "-m", "adapter.cli", "subscriptions", "create", "--fhir-server", fhir_base, "--endpoint", endpoint],
        env={**os.environ, "SPINEMETS_NOTIFY_SECRET": SECRET}, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    ids = [line.split()[0] for line in created.stdout.splitlines()]
    assert len(ids) == len(CRITERIA)  # one per type of the record list
    try:
        wait_for(
            lambda: all(
                httpx.get(f"{fhir_base}/{i}", timeout=10).json()["status"] == "active" for i in ids
            ),
            60,
            "active Subscriptions",
        )
        # A new patient arrives on the server: scored without anyone running sync.
        pid = load_seed_copy(fhir_base, "seed-03")
        wait_for(
            lambda: (
                count(fhir_base, f"Observation?patient={pid}&code={SCORE}|tokuhashi-revised") == 1
            ),
            90,
            "first scores",
        )
        _a_new_palsy_grade_amends_the_tokuhashi_score(fhir_base, pid)
    finally:
        for sid in ids:
            httpx.delete(f"{fhir_base}/{sid}", timeout=30)


def _a_new_palsy_grade_amends_the_tokuhashi_score(fhir_base: str, pid: str) -> None:
    # A new finding: the palsy changes (Frankel C); the revised Tokuhashi is replaced by a
    # new version of the same resource, still final (contract §3).
    finding = {"resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{pid}"},
               "code": {"coding": [{"system": FINDING, "code": "frankel-grade"}]},
               "valueCodeableConcept": {"coding": [{"system": FINDING, "code": "frankel-c"}]},
               "effectiveDateTime": "2025-06-01T00:00:00Z"}  # fmt: skip
    assert httpx.post(f"{fhir_base}/Observation", json=finding, timeout=60).status_code == 201

    def current():
        found = httpx.get(
            f"{fhir_base}/Observation?patient={pid}&code={SCORE}%7Ctokuhashi-revised",
            headers={"Cache-Control": "no-cache"}, timeout=60,
        ).json()  # fmt: skip
        assert found["total"] == 1
        resource = found["entry"][0]["resource"]
        return resource if resource["meta"]["versionId"] != "1" else None

    newest = wait_for(current, 90, "updated scores")
    palsy = next(
        c for c in newest["component"] if c["code"]["coding"][0]["code"] == "tokuhashi-palsy"
    )
    assert palsy["valueInteger"] == 1  # Frankel C: incomplete palsy
