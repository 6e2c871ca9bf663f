"""``spinemets serve`` as a real process on a free loopback port, for the integration tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import free_port
from tests.unit.cds.conftest import ISS, Keys

PUBLIC = "https://cds.example.org"  # the public base URL every replica is configured with


def command() -> list[str]:
    script = Path(sys.executable).with_name("spinemets")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapter.cli"]


def clean_env(**settings: str) -> dict[str, str]:
    """The environment without any SPINEMETS_ setting of the caller's, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEMETS_")}
    env["SPINEMETS_ACCESS_LOG"] = "false"
    # As for apps in process (tests/conftest.py): on a test machine busy with other work, a
    # server starved of CPU reads as a worker running behind and sheds its next call (503). A
    # test of that passes its own bound in ``settings``.
    env["SPINEMETS_MAX_QUEUE_MS"] = "60000"
    env.update({f"SPINEMETS_{k.upper()}": v for k, v in settings.items()})
    return env


def secured_env(keys: Keys, directory: Path, **settings: str) -> dict[str, str]:
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks))
    issuers = json.dumps([{"iss": ISS, "jwks_file": str(jwks)}])
    return clean_env(issuers=issuers, public_base_url=PUBLIC, **settings)


@contextmanager
def serving(
    env: dict[str, str], cwd: Path, *args: str, log: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start serve with ``env``, wait until it answers, yield its base URL; stop it after."""
    port = free_port()
    out = (log or cwd / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [*command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                out.flush()
                text = Path(out.name).read_text()
                pytest.fail(f"serve exited {process.returncode}: {text}", pytrace=False)
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("serve did not start within 60 s", pytrace=False)
            time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()
