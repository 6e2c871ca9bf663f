"""A Bulk Data export on a FHIR server, brought to a directory of NDJSON files.

SOURCE is the export's status URL (``Content-Location`` of the kick-off), or a kick-off URL
ending in ``$export`` (``[base]/$export?_type=…``, ``[base]/Group/ID/$export``), which is sent
first with ``Prefer: respond-async``. The status is polled until the manifest arrives, every
``Retry-After`` seconds within bounds (below); each output file is streamed to disk under a
temporary name and renamed. Requests go through the one FHIR client with its authentication; a
file on another origin is fetched without credentials, and only if the manifest says it needs no
access token.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from adapter.datadirs import private_dir, private_opener
from adapter.errors import FhirServerError, InputError, OutputError
from adapter.fhir.client import FHIR_JSON, FhirClient, FhirServerSettings, default_tls

__all__ = ["Downloaded", "base_of", "download_export", "is_url"]

_NDJSON = {"Accept": "application/fhir+ndjson"}
_sleep, _clock = asyncio.sleep, time.monotonic  # replaced in tests
_TRANSIENT = frozenset({429, 502, 503, 504})
# A busy server's Retry-After is followed (up to 2 minutes); one sent with progress (202) is
# taken as a hint, up to 10 s: HAPI sends 120 s whatever the export, even one done in seconds.
_BUSY_WAIT, _PROGRESS_WAIT = 120.0, 10.0


@dataclass(frozen=True, slots=True)
class Downloaded:
    directory: Path
    files: int
    errors: int  # error files the server listed (its OperationOutcomes about the export)


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def base_of(url: str) -> str:
    """The FHIR base of a kick-off or status URL: the path before its ``$`` operation (and
    before ``Patient/`` or ``Group/ID/``); the origin when there is none."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for i, segment in enumerate(segments):
        if segment.startswith("$"):
            cut = i
            if i >= 1 and segments[i - 1] == "Patient":
                cut = i - 1
            elif i >= 2 and segments[i - 2] == "Group":
                cut = i - 2
            return urlunsplit((parts.scheme, parts.netloc, "/".join(segments[:cut]), "", ""))
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


async def _kick_off(client: FhirClient, url: str) -> str:
    answer = await client.send("GET", url, headers={"Accept": FHIR_JSON, "Prefer": "respond-async"})
    location = answer.headers.get("Content-Location")
    if answer.status_code != 202 or not isinstance(location, str) or not location:
        raise FhirServerError(
            f"the $export kick-off answered {answer.status_code} without a status URL"
        )
    return location


def _wait(seconds: float | None, longest: float) -> float:
    return min(longest, max(1.0, seconds if seconds is not None else 2.0))


async def _manifest(client: FhirClient, status_url: str, timeout: float) -> dict[str, Any]:
    deadline = _clock() + timeout
    while True:
        try:
            answer = await client.send("GET", status_url, headers={"Accept": "application/json"})
            pause = _wait(_seconds(answer.headers.get("Retry-After")), _PROGRESS_WAIT)
        except FhirServerError as exc:
            if exc.status not in _TRANSIENT:
                raise
            answer, pause = None, _wait(exc.retry_after, _BUSY_WAIT)
        if answer is not None and answer.status_code == 200:
            return _parse_manifest(answer.content)
        if answer is not None and answer.status_code != 202:
            raise FhirServerError(f"the export status answered {answer.status_code}")
        if _clock() + pause > deadline:
            raise FhirServerError(f"the export did not complete within {timeout:.0f} s")
        await _sleep(pause)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: the default pause


def _parse_manifest(content: bytes) -> dict[str, Any]:
    try:
        manifest = orjson.loads(content)
    except orjson.JSONDecodeError:
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
        raise FhirServerError("the export's manifest is not a Bulk Data manifest")
    return manifest


def _outputs(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    files = []
    for item in manifest["output"]:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("type", "url")
        ):
            raise FhirServerError("the export's manifest lists an output without type or url")
        files.append((item["type"], item["url"]))
    if not any(rtype == "Patient" for rtype, _ in files):
        raise InputError("the export holds no Patient file (export with _type including Patient)")
    return files


async def _save(response: httpx.Response, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")
    try:
        with open(temporary, "wb", opener=private_opener) as out:
            async for block in response.aiter_bytes():
                out.write(block)
        temporary.rename(path)
    except httpx.HTTPError as exc:
        raise FhirServerError(f"an export file broke off ({type(exc).__name__})") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path} ({exc.strerror})") from None
    finally:
        temporary.unlink(missing_ok=True)


async def _download(
    client: FhirClient, url: str, path: Path, *, needs_token: bool, timeout: float
) -> None:
    if client.same_origin(url):
        async with client.stream(url, headers=_NDJSON) as response:
            await _save(response, path)
        return
    if needs_token:
        raise FhirServerError("an export file is on another origin and needs the access token")
    try:  # a pre-signed URL of a file store: no credentials go there
        async with (
            httpx.AsyncClient(timeout=timeout, verify=default_tls()) as bare,
            bare.stream("GET", url, headers=_NDJSON) as response,
        ):
            if response.status_code != 200:
                raise FhirServerError(f"an export file answered {response.status_code}")
            await _save(response, path)
    except httpx.HTTPError as exc:
        raise FhirServerError(
            f"an export file could not be fetched ({type(exc).__name__})"
        ) from None


async def download_export(
    url: str, settings: FhirServerSettings, directory: Path, *, timeout: float = 3600.0
) -> Downloaded:
    """Kick off (for a kick-off URL), wait for and download an export into ``directory``
    (emptied first: files of an earlier export must not join this one)."""
    try:
        shutil.rmtree(directory, ignore_errors=True)
        private_dir(directory)
    except OSError as exc:
        raise OutputError(f"cannot write {directory} ({exc.strerror})") from None
    async with FhirClient.connect(settings) as client:
        status_url = url
        if urlsplit(url).path.rstrip("/").endswith("$export"):
            status_url = await _kick_off(client, url)
        manifest = await _manifest(client, status_url, timeout)
        files = _outputs(manifest)
        needs_token = manifest.get("requiresAccessToken") is not False
        for i, (rtype, file_url) in enumerate(files):
            name = f"{rtype}.{i:04d}.ndjson" if rtype.isalpha() else f"Unknown.{i:04d}.ndjson"
            await _download(
                client,
                file_url,
                directory / name,
                needs_token=needs_token,
                timeout=settings.timeout,
            )
    errors = manifest.get("error")
    return Downloaded(directory, len(files), len(errors) if isinstance(errors, list) else 0)
