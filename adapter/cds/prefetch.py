"""Prefetch: the data a service declared, from the request or else from the client's FHIR server.

Each declared key is in one of five states (CDS Hooks 2.0 §Prefetch; missing vs empty is open
issue cds-hooks/docs#366):

=======================  ==========================================================
value of the key         what the service does
=======================  ==========================================================
a resource or Bundle     used; a Bundle's ``next`` pages are fetched from fhirServer
``null``                 known empty: nothing is fetched
an OperationOutcome      the client failed: fetched from fhirServer
a search cut short       failed in part (an error OperationOutcome entry): fetched
missing                  not provided: fetched from fhirServer
=======================  ==========================================================

Missing data, or a page whose rest is not in hand, with no ``fhirServer`` to ask raises
:class:`~adapter.errors.DataUnavailableError` (412): a record known to be partial is never
scored (``adapter/fhir/read/partial.py``). Fetches run concurrently. One exception: a key the
record list marks optional (added after clients were configured) that is missing, with no
fhirServer, is scored without and named (:attr:`Gathered.omitted`, a warning card). The
templates carry no ``_include``; the fallback searches do, and a Medication still unresolved
is read by id (``medication_reads.py``).

The fallback carries the EHR's token, so it goes only to an ``https`` server (``http`` only to a
loopback host, in development, when configured). Whatever goes wrong on the server's side —
an error status, its OperationOutcome, a refused connection, a timeout, a redirect — the caller
gets one and the same reason: the details are logged for the operator, never reflected, so the
service cannot be used to probe a network or read another server's error pages.

What the server returns about another patient than ``context.patientId`` is left out and counted
(:class:`Gathered`): not the client's request, so no 400; the cards say it (same_patient.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from adapter.cds.medication_reads import read_medications
from adapter.cds.metrics import Metrics
from adapter.cds.models import CdsRequest
from adapter.cds.optional_keys import omitted_keys, optional_key
from adapter.cds.same_patient import counted, split_strangers
from adapter.errors import DataUnavailableError, FhirServerError
from adapter.fhir.client import FhirClient
from adapter.fhir.read.partial import (
    inner_reason,
    partial_reason,
    search_failed,
    short_of_total,
)
from adapter.fhir.read.record_list import RECORD_LIST, search_for_key

if TYPE_CHECKING:
    from adapter.cds.settings import Settings

__all__ = [
    "CHECK_PREFETCH",
    "RECORD_PREFETCH",
    "SCORE_PREFETCH",
    "Gathered",
    "PrefetchLimits",
    "gather_resources",
    "is_complete",
    "render",
]

log = logging.getLogger("spinemets.cds.prefetch")
UNREADABLE = "the data could not be read from fhirServer"

# Everything the services' rules read (contract §2 v3, §4): the one record list, with only CDS
# Hooks 2.0 tokens ({{context.patientId}} is a root-level primitive of every hook served). Both
# services ask for the whole record: a rule that reads a type on one surface reads it on all.
RECORD_PREFETCH: Mapping[str, str] = {s.prefetch_key: s.template() for s in RECORD_LIST}
SCORE_PREFETCH: Mapping[str, str] = RECORD_PREFETCH  # the scores, neurology, outcomes (§4, §6)
CHECK_PREFETCH: Mapping[str, str] = RECORD_PREFETCH  # the procedure check (§5)


@dataclass(frozen=True, slots=True)
class PrefetchLimits:
    timeout: float = 10.0
    max_pages: int = 20
    max_entries: int = 20_000
    http_loopback: bool = False  # development: allow http:// to a loopback fhirServer
    deadline: float = 30.0  # seconds for all the reads of one call together
    max_bytes: int = 32 * 1024 * 1024  # bytes read from fhirServer for one call, all together

    @classmethod
    def of(cls, settings: Settings) -> PrefetchLimits:
        return cls(
            timeout=settings.fhir_timeout,
            max_pages=settings.fhir_max_pages,
            max_entries=settings.max_prefetch_entries,
            http_loopback=settings.fhir_http_loopback,
            deadline=settings.fhir_deadline,
            max_bytes=settings.fhir_max_bytes,
        )


@dataclass(frozen=True, slots=True)
class Gathered:
    """What one call reads: the resources, by type how many the FHIR server returned about a
    patient other than context.patientId (left out of ``resources``), and the optional prefetch
    keys the client did not send and no fhirServer could fill."""

    resources: list[Any]
    strangers: Mapping[str, int] = field(default_factory=dict)
    omitted: tuple[str, ...] = ()


def is_complete(request: CdsRequest, templates: Mapping[str, str]) -> bool:
    """True when the prefetch holds every key as usable data: nothing would be fetched."""
    prefetch = request.prefetch or {}
    for key in templates:
        if key not in prefetch and request.fhirServer is None and optional_key(key):
            continue  # scored without it: nothing would be fetched
        if key not in prefetch or _needs_fetch(prefetch[key]):
            return False
        if request.fhirServer is not None and (
            partial_reason(prefetch[key]) or inner_reason(prefetch[key])
        ):
            return False  # the rest of its pages, or the whole search, would be read
    return True


def _check_server(url: str, limits: PrefetchLimits) -> None:
    from adapter.cds.settings import is_loopback_url

    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and limits.http_loopback and is_loopback_url(url)):
        return
    raise DataUnavailableError("fhirServer must be an https URL: its data was not read")


def render(template: str, request: CdsRequest) -> str:
    """Fill ``{{context.patientId}}`` (URL-encoded: an id must not smuggle in query parameters)."""
    return template.replace("{{context.patientId}}", quote(request.context.patientId, safe=""))


def _needs_fetch(value: Any, client: FhirClient | None = None) -> bool:
    """The client's prefetch failed: whole (an OperationOutcome) or, with a server, in part."""
    whole = isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"
    if whole:
        return True
    # A search inside a batch-response that is partial, or one short of its total: no next link
    # of its own to follow here; the whole search is read again.
    return client is not None and (
        search_failed(value) is not None or bool(inner_reason(value)) or bool(short_of_total(value))
    )


def _prefetched(prefetch: Mapping[str, Any], key: str) -> list[Any]:
    """A usable prefetch entry as resources: nothing for null, a resource as itself, a Bundle
    whole (its fullUrls still resolve references). One known to be partial is refused: scored,
    it would miss what the rest holds (a Bilsky 3 on page 2); CDS Hooks: 412 (contract §2)."""
    value = prefetch[key]
    if reason := partial_reason(value) or inner_reason(value):
        raise DataUnavailableError(
            f"prefetch {key!r} {reason} and the request names no fhirServer to read the rest "
            "from: a partial record is not scored"
        )
    return [] if value is None else [value]


async def _resolve(
    key: str, template: str, request: CdsRequest, client: FhirClient | None
) -> tuple[list[Any], bool]:
    """The key's resources, and whether the FHIR server gave any of them."""
    prefetch = request.prefetch or {}
    if key in prefetch and not _needs_fetch(prefetch[key], client):
        value = prefetch[key]
        if value is not None and client is not None and partial_reason(value):  # a page
            return await client.rest_of(value), True
        return _prefetched(prefetch, key), False
    if client is None:
        if key not in prefetch and optional_key(key):
            return [], False  # named on a card (Gathered.omitted)
        raise DataUnavailableError(
            f"prefetch {key!r} is missing or failed and the request names no fhirServer"
        )
    search = search_for_key(key)  # the search with its _include, which the template leaves out
    query = render(search.query("{{context.patientId}}") if search else template, request)
    if "?" in query:
        return await client.search(query), True
    return [await client.get(query)], True


def _origin(url: str | None) -> str:
    """The origin without userinfo, for the log: a URL's password never reaches it."""
    origin = urlsplit(url or "")
    port = f":{origin.port}" if origin.port else ""
    return f"{origin.scheme}://{origin.hostname}{port}"


def _without_strangers(parts: list[tuple[list[Any], bool]], request: CdsRequest) -> Gathered:
    """The server's answers without what is about another patient, counted and logged once
    (counts only). The prefetch's own resources were checked before (a 400 when wrong)."""
    kept: list[Any] = []
    left: Counter[str] = Counter()
    for resources, fetched in parts:
        if fetched:
            resources, found = split_strangers(resources, request.context.patientId)
            left += found
        kept += resources
    if left:
        log.warning(
            "fhirServer %s: %s about another patient than context.patientId, not used",
            _origin(request.fhirServer),
            counted(left),
        )
    return Gathered(kept, dict(left))


async def gather_resources(
    request: CdsRequest,
    templates: Mapping[str, str],
    http: httpx.AsyncClient,
    limits: PrefetchLimits,
    metrics: Metrics | None = None,
) -> Gathered:
    """Every resource the templates ask for, from the prefetch or the client's FHIR server.

    The reads from fhirServer share one deadline and one byte budget (``limits``): a server
    that trickles or sends a huge answer costs this call a bounded time and memory, then 412.
    """
    omitted = omitted_keys(request, templates)
    if request.fhirServer is None and is_complete(request, templates):
        # Everything is in the prefetch: read it in place, without a task per key.
        sent = [key for key in templates if key not in omitted]
        resources = [r for key in sent for r in _prefetched(request.prefetch or {}, key)]
        return Gathered(_bounded(resources, limits), omitted=omitted)
    client = None
    if request.fhirServer is not None:
        token = request.fhirAuthorization.access_token if request.fhirAuthorization else None
        client = _GuardedClient.for_cds_request(
            http,
            fhir_server=request.fhirServer,
            access_token=token,
            timeout=limits.timeout,
            max_pages=limits.max_pages,
            max_bytes=limits.max_bytes,
        )
        client.limits, client.metrics = limits, metrics
    started = asyncio.get_running_loop().time()
    try:
        async with asyncio.timeout(limits.deadline):
            parts = await asyncio.gather(
                *(_resolve(key, template, request, client) for key, template in templates.items())
            )
    except (FhirServerError, TimeoutError) as exc:
        reason = exc if isinstance(exc, FhirServerError) else f"over {limits.deadline:g} s"
        log.warning("fhirServer %s: %s", _origin(request.fhirServer), reason)
        raise DataUnavailableError(UNREADABLE) from None
    gathered = _without_strangers(parts, request)
    resources = gathered.resources
    if client is not None:  # the rest of the deadline, for Medications named but not sent
        left = limits.deadline - (asyncio.get_running_loop().time() - started)
        resources = [*resources, *await read_medications(client, resources, left)]
    return Gathered(_bounded(resources, limits), gathered.strangers, omitted)


def _bounded(resources: list[Any], limits: PrefetchLimits) -> list[Any]:
    if len(resources) > limits.max_entries:
        raise DataUnavailableError(f"more than {limits.max_entries} resources to score")
    return resources


class _GuardedClient(FhirClient):
    """The client for ``fhirServer``, whose scheme is checked before each request it sends.

    A complete prefetch needs no request, so an ``http`` fhirServer is refused only when the
    token would actually travel over it.
    """

    limits = PrefetchLimits()
    metrics: Metrics | None = None

    async def get(self, path_or_url: str, *, fresh: bool = False) -> dict[str, Any]:
        """One GET, its answer decoded within the call's byte budget (``max_bytes``, counted
        over every answer of the call as it is decoded: adapter/fhir/client/_budget.py)."""
        _check_server(self.base_url, self.limits)
        try:
            body = await super().get(path_or_url, fresh=fresh)
            if search_failed(body):  # the server cut its own search short: a partial record
                raise FhirServerError("a search answer reports an error (search.mode outcome)")
        except BaseException:
            if self.metrics is not None:
                self.metrics.fallback.labels("failed").inc()
            raise
        if self.metrics is not None:
            self.metrics.fallback.labels("ok").inc()
        return body
