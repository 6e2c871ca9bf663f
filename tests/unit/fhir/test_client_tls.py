"""Loading the CA bundle costs ~25 ms of CPU: every client of the process shares one TLS context
for each CA setting (SSL_CERT_FILE, SSL_CERT_DIR), instead of building one a client (a SMART
page opens a client for each record it reads)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from pathlib import Path

import certifi
import httpx._config as httpx_config
import httpx._transports.default as httpx_transports
import pytest

from adapter.fhir.client import FhirClient, FhirServerSettings


@pytest.fixture
def bundles_loaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Each CA bundle load of the process (with httpx's own context-making restored: the test
    session shares one for speed, which would hide a client that builds its own)."""
    monkeypatch.setattr(httpx_transports, "create_ssl_context", httpx_config.create_ssl_context)
    loads: list[object] = []
    original = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    from adapter.fhir.client import _tls

    _tls.reset()
    yield loads
    _tls.reset()


def _open_twice(base: str) -> None:
    async def go() -> None:
        for _ in range(2):
            async with FhirClient.connect(FhirServerSettings(base_url=base)):
                pass

    asyncio.run(go())


def test_clients_of_one_process_load_the_ca_bundle_once(
    bundles_loaded: list[object],
) -> None:
    _open_twice("https://fhir.example.org/fhir")
    _open_twice("http://127.0.0.1:1/fhir")
    assert len(bundles_loaded) == 1


def test_a_changed_ca_setting_is_read_by_the_next_client(
    bundles_loaded: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _open_twice("https://fhir.example.org/fhir")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    _open_twice("https://fhir.example.org/fhir")
    assert len(bundles_loaded) == 2
    assert str(ca) in repr(bundles_loaded[-1])


def test_a_ca_bundle_rewritten_in_place_is_read_by_the_next_client(
    bundles_loaded: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A hospital's CA rotated by rewriting the mounted bundle (same path) must not need a
    restart: the next client reads it again."""
    import os

    ca = tmp_path / "ca.pem"
    ca.write_bytes(Path(certifi.where()).read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    _open_twice("https://fhir.example.org/fhir")
    ca.write_bytes(Path(certifi.where()).read_bytes() + b"\n")
    os.utime(ca, ns=(1, 2_000_000_000_000_000_000))
    _open_twice("https://fhir.example.org/fhir")
    assert len(bundles_loaded) == 2
