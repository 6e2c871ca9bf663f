"""``spinemets serve`` as a real process on loopback, unconfigured: discovery and one call."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.cds.conftest import patient_view

pytestmark = pytest.mark.integration


def test_discovery_and_patient_view(server, tmp_path):
    base, process = server
    with httpx.Client(base_url=base, timeout=10) as client:
        services = client.get("/cds-services").json()["services"]
        assert [s["id"] for s in services] == [
            "spinemets-scores",
            "spinemets-procedure-check",
            "spinemets-procedure-check-select",
        ]
        response = client.post("/cds-services/spinemets-scores", json=patient_view())
        assert response.status_code == 200
        cards = response.json()["cards"]
        assert cards[0]["summary"].startswith("SINS 11 at T12")
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "no trusted CDS client issuer configured" in output  # the start-up warning
    assert (tmp_path / "spinemets-feedback.sqlite3").exists()
