"""``spinemets serve`` as a real process on loopback, unconfigured: discovery and one call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.unit.cds.conftest import patient_view

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).with_name("spinemets")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapter.cli"]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEMETS_")}
    process = subprocess.Popen(
        [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve exited {process.returncode}: {process.stdout.read()}")
            try:
                httpx.get(f"{base}/cds-services", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("serve did not start within 30 s")
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_discovery_and_patient_view(server, tmp_path):
    base, process = server
    with httpx.Client(base_url=base, timeout=10) as client:
        services = client.get("/cds-services").json()["services"]
        assert {s["id"] for s in services} == {"spinemets-scores", "spinemets-procedure-check"}
        response = client.post("/cds-services/spinemets-scores", json=patient_view())
        assert response.status_code == 200
        cards = response.json()["cards"]
        assert cards[0]["summary"].startswith("SINS 11 at T12")
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "no trusted CDS client issuer configured" in output  # the start-up warning
    assert (tmp_path / "spinemets-feedback.sqlite3").exists()
