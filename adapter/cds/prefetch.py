"""Prefetch: the data a service declared, from the request or else from the client's FHIR server.

Each declared key is in one of four states (CDS Hooks 2.0 §Prefetch; missing vs empty is open
issue cds-hooks/docs#366):

=======================  ==========================================================
value of the key         what the service does
=======================  ==========================================================
a resource or Bundle     used; a Bundle's ``next`` pages are fetched from fhirServer
``null``                 known empty: nothing is fetched
an OperationOutcome      the client failed: fetched from fhirServer
missing                  not provided: fetched from fhirServer
=======================  ==========================================================

Missing data with no ``fhirServer`` to ask raises :class:`~adapter.errors.DataUnavailableError`
(412). Fetches run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from adapter.cds.models import CdsRequest
from adapter.errors import DataUnavailableError, FhirServerError
from adapter.fhir.client import FhirClient, next_link

__all__ = ["SCORE_PREFETCH", "PrefetchLimits", "gather_resources", "render"]

# Only CDS Hooks 2.0 tokens: {{context.patientId}} is a root-level primitive of every hook we serve.
SCORE_PREFETCH: Mapping[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}&_count=200",
    # The follow-up after an index procedure (contract §6).
    "procedures": "Procedure?patient={{context.patientId}}",
    "encounters": "Encounter?patient={{context.patientId}}",
}


@dataclass(frozen=True, slots=True)
class PrefetchLimits:
    timeout: float = 10.0
    max_pages: int = 20


def render(template: str, request: CdsRequest) -> str:
    """Fill ``{{context.patientId}}`` (URL-encoded: an id must not smuggle in query parameters)."""
    return template.replace("{{context.patientId}}", quote(request.context.patientId, safe=""))


def _needs_fetch(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


async def _resolve(
    key: str, template: str, request: CdsRequest, client: FhirClient | None
) -> list[Any]:
    prefetch = request.prefetch or {}
    if key in prefetch and not _needs_fetch(prefetch[key]):
        value = prefetch[key]
        if value is None:
            return []
        if value.get("resourceType") != "Bundle":
            return [value]
        if next_link(value) is None or client is None:
            # Kept whole so its fullUrls still resolve references. Paged with nowhere to get
            # the rest from: the client chose to send a page; use it rather than refuse.
            return [value]
        return await client.rest_of(value)
    if client is None:
        raise DataUnavailableError(
            f"prefetch {key!r} is missing or failed and the request names no fhirServer"
        )
    query = render(template, request)
    if "?" in query:
        return await client.search(query)
    return [await client.get(query)]


async def gather_resources(
    request: CdsRequest,
    templates: Mapping[str, str],
    http: httpx.AsyncClient,
    limits: PrefetchLimits,
) -> list[Any]:
    """Every resource the templates ask for, from the prefetch or the client's FHIR server."""
    client = None
    if request.fhirServer is not None:
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        client = FhirClient(
            http,
            request.fhirServer,
            token=token,
            timeout=limits.timeout,
            max_pages=limits.max_pages,
        )
    try:
        parts = await asyncio.gather(
            *(_resolve(key, template, request, client) for key, template in templates.items())
        )
    except FhirServerError as exc:
        raise DataUnavailableError(f"could not retrieve the data from fhirServer: {exc}") from None
    out: list[Any] = []
    for part in parts:
        out += part
    return out
