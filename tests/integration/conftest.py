"""Real servers for the integration tier: a HAPI FHIR JPA server built and started from hapi/.

Set SPINEMETS_TEST_FHIR_URL to use a server that is already running instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def fhir_base() -> Iterator[str]:
    given = os.environ.get("SPINEMETS_TEST_FHIR_URL")
    if given:
        yield given.rstrip("/")
        return
    port = free_port()
    script = ROOT / "scripts" / "hapi"
    started = subprocess.run(
        [str(script), "start", "--port", str(port)], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        pytest.fail(
            f"HAPI FHIR server did not start:\n{started.stdout}\n{started.stderr}", pytrace=False
        )
    try:
        base = f"http://127.0.0.1:{port}/fhir"
        # The first $validate loads the core definitions (seconds): pay it once, here.
        httpx.post(f"{base}/Patient/$validate", json={"resourceType": "Patient"}, timeout=120)
        yield base
    finally:
        subprocess.run([str(script), "stop", "--port", str(port)], capture_output=True, check=False)


@pytest.fixture(scope="session")
def conformance_uploaded(fhir_base: str) -> str:
    """Upload mappings/ and profiles/ once per session, through the real command line."""
    run = subprocess.run(
        ["uv", "run", "--locked", "spinemets", "conformance", "upload", "--fhir-server", fhir_base],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout


def count(base: str, query: str) -> int:
    """``_summary=count`` of a search, never from a cached result set.

    The whole query goes in the URL (httpx would replace a URL's query with ``params``).
    """
    answer = httpx.get(
        f"{base}/{query.replace('|', '%7C')}&_summary=count",
        headers={"Cache-Control": "no-cache"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["total"])


def load_seed_copy(base: str, name: str) -> str:
    """A seed fixture PUT on the server under a fresh patient id (so reruns start clean)."""
    import json
    import uuid

    pid = f"{name}-{uuid.uuid4().hex[:8]}"
    bundle = json.loads(
        (ROOT / "fixtures" / "seed" / f"{name}.json").read_text().replace(name, pid)
    )
    entries = [{"resource": e["resource"], "request": {"method": "PUT", "url": f"{e['resource']['resourceType']}/{e['resource']['id']}"}}
               for e in bundle["entry"]]  # fmt: skip
    answer = httpx.post(
        base, json={"resourceType": "Bundle", "type": "transaction", "entry": entries}, timeout=120
    )
    assert answer.status_code == 200, answer.text
    return pid


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``spinemets serve`` on a free loopback port, unconfigured (no issuer), its state
    under the test's own directory."""
    from tests.integration.serve_process import clean_env, serving

    env = clean_env()
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    with serving(env, tmp_path) as running:
        yield running
