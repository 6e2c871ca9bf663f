"""``spinemets serve --ssl-certfile --ssl-keyfile`` in a process of its own: HTTPS with a
certificate made here (self-signed, for 127.0.0.1). The refusals are in tests/unit/cds/test_tls.py."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import httpx
import pytest

from tests.unit.cds.test_tls import free_port, self_signed

pytestmark = pytest.mark.integration


def test_serve_answers_https_with_the_certificate_it_was_given(tmp_path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEMETS_")}
    env |= {"SPINEMETS_STATE_DIR": str(tmp_path / "state"), "SPINEMETS_ACCESS_LOG": "false"}
    command = [sys.executable, "-m", "adapter.cli", "serve", "--port", str(port),
               "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]  # fmt: skip
    trusted = ssl.create_default_context(cafile=str(cert))
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"https://127.0.0.1:{port}/cds-services", verify=trusted)
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
        assert answer.status_code == 200 and answer.json()["services"]
        with pytest.raises(httpx.HTTPError):  # plain HTTP gets no answer from a TLS port
            httpx.get(f"http://127.0.0.1:{port}/cds-services", timeout=5)
    finally:
        process.terminate()
        process.wait(30)
        process.stderr.close()
