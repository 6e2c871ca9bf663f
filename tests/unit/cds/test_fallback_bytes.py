"""The fhirServer byte budget bounds what is held in memory, compressed answers included.

A gzip or deflate answer is decoded here in bounded pieces, each counted before the next is
made: a small compressed body that unpacks to many megabytes is refused when its decoded bytes
pass the budget, not after it was unpacked whole. respx stands in for the server.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import sys
import time
import zlib
from functools import cache

import httpx
import pytest

from adapter.errors import FhirServerError
from adapter.fhir.client import FhirClient, FhirServerSettings
from tests.unit.cds.conftest import BASE, FHIR, client_for, patient_view, searchset, seed_resources

pytestmark = pytest.mark.anyio
SCORES = f"{BASE}/cds-services/spinemets-scores"
BUDGET = 1024 * 1024
CHUNK = 64 * 1024  # the largest piece the reader decodes at once
UNPACKED = 32 * 1024 * 1024


@pytest.fixture
def anyio_backend():
    return "asyncio"


@cache
def _bomb(encoding: str) -> bytes:
    """A search Bundle padded with 32 MiB of blanks (valid JSON), compressed about 1000:1."""
    body = b'{"resourceType":"Bundle","type":"searchset",' + b" " * UNPACKED + b'"entry":[]}'
    return gzip.compress(body) if encoding == "gzip" else zlib.compress(body)


def _made_by_respx() -> bool:
    """Whether respx is on the stack: it reads a mocked answer whole before handing it over,
    on the fake server's side of the wire, which is no part of what spinemets holds."""
    frame = sys._getframe(2)
    while frame is not None:
        if f"{os.sep}respx{os.sep}" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


class _Decoded:
    """Every zlib decompressor spinemets' side makes during a test (httpx's or its own),
    counting the bytes each one produces."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.produced = 0
        real = zlib.decompressobj
        outer = self

        class Spy:
            def __init__(self, *args, **kwargs):
                self._z = real(*args, **kwargs)
                self._counted = not _made_by_respx()

            def decompress(self, data, max_length=0):
                out = self._z.decompress(data, max_length)
                outer.produced += len(out) if self._counted else 0
                return out

            def flush(self, *args):
                out = self._z.flush(*args)
                outer.produced += len(out) if self._counted else 0
                return out

            def __getattr__(self, name):
                return getattr(self._z, name)

        monkeypatch.setattr(zlib, "decompressobj", Spy)


def _fallback() -> dict:
    body = patient_view(fhirServer=FHIR, fhirAuthorization={
        "access_token": "secret-token", "token_type": "Bearer", "expires_in": 300,
        "scope": "patient/*.read", "subject": "spinemets"})  # fmt: skip
    del body["prefetch"]["conditions"]
    return body


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_compression_bomb_is_refused_before_it_is_unpacked(
    settings, respx_mock, monkeypatch, encoding
):
    bomb = _bomb(encoding)
    assert len(bomb) < 100_000
    respx_mock.get(f"{FHIR}/Condition").respond(
        200, content=bomb, headers={"Content-Encoding": encoding,
                                    "Content-Type": "application/fhir+json"})  # fmt: skip
    decoded = _Decoded(monkeypatch)
    capped = settings.model_copy(update={"fhir_max_bytes": BUDGET})
    async with client_for(capped) as client:
        response = await client.post(SCORES, json=_fallback())
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"
    assert 0 < decoded.produced <= BUDGET + CHUNK


async def test_a_compressed_error_answer_is_bounded_too(settings, respx_mock, monkeypatch):
    respx_mock.get(f"{FHIR}/Condition").respond(
        500, content=_bomb("gzip"), headers={"Content-Encoding": "gzip"})  # fmt: skip
    decoded = _Decoded(monkeypatch)
    capped = settings.model_copy(update={"fhir_max_bytes": BUDGET})
    async with client_for(capped) as client:
        response = await client.post(SCORES, json=_fallback())
    assert response.status_code == 412
    assert decoded.produced <= BUDGET + CHUNK


async def test_a_gzip_answer_within_the_budget_is_read_and_scored(settings, respx_mock):
    conditions = [r for r in seed_resources() if r["resourceType"] == "Condition"]
    packed = gzip.compress(httpx.Response(200, json=searchset(conditions)).content)
    route = respx_mock.get(f"{FHIR}/Condition").respond(
        200, content=packed, headers={"Content-Encoding": "gzip"})  # fmt: skip
    async with client_for(settings) as client:
        response = await client.post(SCORES, json=_fallback())
    assert response.status_code == 200, response.text
    assert route.calls.last.request.headers["accept-encoding"] == "gzip, deflate"


async def test_an_encoding_not_asked_for_is_refused(settings, respx_mock):
    respx_mock.get(f"{FHIR}/Condition").respond(
        200, content=b"\x1b\x00\x00", headers={"Content-Encoding": "br"})  # fmt: skip
    async with client_for(settings) as client:
        response = await client.post(SCORES, json=_fallback())
    assert response.status_code == 412


def _smart_client() -> FhirServerSettings:
    return FhirServerSettings(base_url=FHIR, timeout=5, max_bytes=BUDGET)


async def test_a_client_with_a_budget_refuses_a_bomb_holding_at_most_the_budget(
    respx_mock, monkeypatch
):
    respx_mock.get(f"{FHIR}/Patient/p1").respond(
        200, content=_bomb("gzip"), headers={"Content-Encoding": "gzip"})  # fmt: skip
    decoded = _Decoded(monkeypatch)
    async with FhirClient.connect(_smart_client()) as client:
        with pytest.raises(FhirServerError, match="over 1048576 bytes"):
            await client.read("Patient", "p1")
    assert decoded.produced <= BUDGET + CHUNK


async def test_the_budget_is_shared_by_every_answer_of_one_client(respx_mock):
    padded = {"resourceType": "Patient", "id": "p1", "text": {"div": "x" * 400_000}}
    respx_mock.get(f"{FHIR}/Patient/p1").respond(json=padded)
    async with FhirClient.connect(_smart_client()) as client:
        await client.read("Patient", "p1")
        await client.read("Patient", "p1")
        with pytest.raises(FhirServerError, match="over 1048576 bytes"):
            await client.read("Patient", "p1")


def _session():
    from adapter.smart.sessions import Session

    return Session("sid", time.monotonic() + 600, fhir_server=FHIR, access_token="t", patient="p1")


async def test_the_smart_app_reads_a_record_within_the_byte_budget(respx_mock):
    from adapter.smart.record import ReadLimits, read_record

    respx_mock.get(f"{FHIR}/Patient/p1").respond(
        200, content=_bomb("gzip"), headers={"Content-Encoding": "gzip"})  # fmt: skip
    respx_mock.get(url__startswith=f"{FHIR}/").respond(json=searchset([]))
    with pytest.raises(FhirServerError):
        await read_record(_session(), ReadLimits(timeout=5, deadline=5, max_bytes=BUDGET))


async def test_the_smart_app_reads_a_record_within_a_total_deadline(respx_mock):
    from adapter.smart.record import ReadLimits, read_record

    async def slow(request):
        await asyncio.sleep(3)
        return httpx.Response(200, json=searchset([]))

    respx_mock.get(f"{FHIR}/Patient/p1").respond(json={"resourceType": "Patient", "id": "p1"})
    respx_mock.get(url__startswith=f"{FHIR}/").mock(side_effect=slow)
    async with asyncio.timeout(2):
        with pytest.raises(FhirServerError, match=r"over 0\.3 s"):
            await read_record(_session(), ReadLimits(timeout=5, deadline=0.3, max_bytes=BUDGET))


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("deflate", _raw_deflate),
     ("identity", bytes), ("", bytes)],
    ids=["gzip", "deflate-zlib", "deflate-raw", "identity", "none"],
)  # fmt: skip
async def test_an_answer_in_each_encoding_asked_for_is_read_whole(respx_mock, encoding, pack):
    patient = {"resourceType": "Patient", "id": "p1", "text": {"div": "y" * 300_000}}
    plain = httpx.Response(200, json=patient).content
    headers = {"Content-Encoding": encoding} if encoding else {}
    respx_mock.get(f"{FHIR}/Patient/p1").respond(200, content=pack(plain), headers=headers)
    async with FhirClient.connect(_smart_client()) as client:
        assert await client.read("Patient", "p1") == patient
        assert client.budget is not None and client.budget.used == len(plain)


async def test_a_corrupt_compressed_answer_is_a_server_error():
    # Built directly: respx would fail decoding it on the fake server's side first.
    from adapter.fhir.client._budget import ByteBudget, read_within

    answer = httpx.Response(
        200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"\x1f\x8b not gzip")
    )
    with pytest.raises(FhirServerError, match="could not be decoded"):
        await read_within(answer, ByteBudget(BUDGET))
