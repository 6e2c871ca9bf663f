"""The patient's record, read from the FHIR server with the user's token, and the form's writes.

The reads are the record list's (adapter.fhir.read.record_list), as sync makes them, within the
limits of the CDS fallback reads (:class:`ReadLimits`): the server is one the launch named. What the
token allows is read from the granted scopes (SMART v2 ``patient/Observation.cu``, v1
``patient/Observation.write``), so a form the scopes cannot save says so before anything is sent;
the FHIR server has the last word (401, 403).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from adapter.errors import FhirServerError
from adapter.fhir.client import BearerToken, FhirClient, FhirServerSettings
from adapter.fhir.read.record_list import RECORD_LIST
from adapter.fhir.write.audit import reference_in
from adapter.smart.sessions import Session
from adapter.smart.settings import SmartSettings

__all__ = ["WRITES", "ReadLimits", "missing_writes", "read_record", "write_transaction"]

# What saving a form does: the response is created, each finding created or updated.
WRITES = {"QuestionnaireResponse": "c", "Observation": "cu"}
_V1 = {"read": "rs", "write": "cud", "*": "cruds"}
_SCOPE = re.compile(r"^(?:patient|user)/(\*|[A-Za-z]+)\.(\*|read|write|c?r?u?d?s?)$")


def _granted(scope: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for part in scope.split():
        match = _SCOPE.match(part.split("?", 1)[0])
        if match:
            kind, ops = match.groups()
            out.setdefault(kind, set()).update(_V1.get(ops, ops))
    return out


def missing_writes(scope: str) -> list[str]:
    """The writes (``Observation.cu``) a form needs that the granted scopes do not allow."""
    granted = _granted(scope)
    missing = []
    for kind, ops in WRITES.items():
        have = granted.get(kind, set()) | granted.get("*", set())
        if not set(ops) <= have:
            missing.append(f"{kind}.{ops}")
    return missing


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What reading one record may cost: seconds per request, seconds for all of them together,
    and decoded bytes of all the answers together: the CDS fallback's limits
    (``SPINEMETS_FHIR_DEADLINE``, ``SPINEMETS_FHIR_MAX_BYTES``), the app's per-request timeout."""

    timeout: float
    deadline: float
    max_bytes: int

    @classmethod
    def of(cls, settings: SmartSettings) -> ReadLimits:
        return cls(settings.smart_timeout, settings.fhir_deadline, settings.fhir_max_bytes)


@asynccontextmanager
async def _client(
    session: Session, timeout: float, max_bytes: int | None = None
) -> AsyncIterator[FhirClient]:
    assert session.fhir_server is not None and session.access_token is not None
    settings = FhirServerSettings(
        base_url=session.fhir_server, auth=BearerToken(session.access_token), timeout=timeout,
        max_pages=20, max_bytes=max_bytes,
    )  # fmt: skip
    async with FhirClient.connect(settings) as client:
        yield client


async def read_record(session: Session, limits: ReadLimits) -> list[Any]:
    """The patient's resources (the Patient first); FhirServerError when unreadable, or when
    the answers pass the byte budget or the deadline (a slow or hostile server costs a page
    view a bounded time and memory)."""
    assert session.patient is not None
    pid = quote(session.patient, safe="")
    searches = [e.query(pid) for e in RECORD_LIST if e.params]
    async with _client(session, limits.timeout, limits.max_bytes) as client:
        try:
            async with asyncio.timeout(limits.deadline):
                patient = await client.read("Patient", session.patient)
                found = await asyncio.gather(*(client.search(q, fresh=True) for q in searches))
        except TimeoutError:
            raise FhirServerError(f"the record took over {limits.deadline:g} s to read") from None
    return [patient, *(r for part in found for r in part)]


async def write_transaction(session: Session, bundle: dict[str, Any], timeout: float) -> list[str]:
    """One transaction: the response and its Observations, all or nothing; the references
    (``Observation/12/_history/1``) the server's answer gives what it wrote (for the audit)."""
    async with _client(session, timeout) as client:
        answer = await client.transaction(bundle)
    if answer.get("resourceType") != "Bundle":
        raise FhirServerError("the transaction did not answer with a Bundle")
    written = []
    for entry in answer.get("entry") or ():
        response = entry.get("response") if isinstance(entry, dict) else None
        location = response.get("location") if isinstance(response, dict) else None
        reference = reference_in(location) if isinstance(location, str) else None
        if reference is not None:
            written.append(reference)
    return written
