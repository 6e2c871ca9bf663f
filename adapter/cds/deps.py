"""Dependencies of the routes, as ``Annotated`` aliases: state, authentication, the service, bodies.

The order a POST is checked in follows from how the aliases nest: the service named in the path
(404 for an unknown one, whatever the body), the client's JWT (401), the media type (415), then
the body itself (413 over a limit, 400 when malformed). A body is parsed only once the caller is
known, in a worker thread (parsing a large prefetch is CPU work the event loop must not do).

A service call, the hot path, takes one dependency (:data:`ServiceCallDep`) that makes the same
checks in the same order: FastAPI resolving a tree of small dependencies cost more than the checks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, cast

import orjson
from fastapi import Depends, Request
from pydantic import ValidationError

from adapter.cds.auth import Verifier
from adapter.cds.logs import current_request
from adapter.cds.models import CdsRequest, FeedbackRequest, HookContext, instance_id
from adapter.cds.offload import INLINE_MAX_BYTES
from adapter.cds.services import Service, service
from adapter.cds.settings import Settings
from adapter.cds.state import AppState
from adapter.errors import AuthenticationError, InputError, MediaTypeError, TooLargeError

__all__ = [
    "Authenticated",
    "FeedbackBody",
    "JsonBody",
    "KnownService",
    "ServiceCall",
    "ServiceCallDep",
    "StateDep",
    "get_state",
]

log = logging.getLogger("spinemets.cds.auth")


# Dependencies are ``async def`` even where they do not await: FastAPI runs a plain ``def``
# dependency on its thread pool, and those hops cost more than the work.


async def get_state(request: Request) -> AppState:
    """The state :func:`adapter.cds.app.create_app`'s lifespan opened."""
    return cast(AppState, request.app.state.spinemets)


StateDep = Annotated[AppState, Depends(get_state)]


async def _known_service(service_id: str) -> Service:
    return service(service_id)


KnownService = Annotated[Service, Depends(_known_service)]


def _audience(request: Request, settings: Settings) -> str:
    """The URL the client called, as it sees it: the configured public base URL + the path."""
    assert settings.public_base_url is not None  # settings refuse issuers without it
    root = request.scope.get("root_path", "")
    path = request.url.path
    if root and path.startswith(root):
        path = path[len(root) :]
    return settings.public_base_url + path


async def _authenticate(request: Request, state: StateDep) -> dict[str, Any] | None:
    """The client's verified claims; None when no issuer is configured."""
    verifier: Verifier = state.verifier
    if not verifier.enabled:
        return None  # no issuer configured: serve only allows this on loopback or --insecure
    try:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("no bearer token")
        return await verifier.verify(token.strip(), _audience(request, state.settings))
    except AuthenticationError as exc:
        # The reason is for the operator; the client gets a bare 401. Never the token.
        log.info("client JWT refused on %s: %s", request.url.path, exc)
        raise


Authenticated = Annotated[dict[str, Any] | None, Depends(_authenticate)]


async def _json_body(request: Request, _: Authenticated) -> bytes:
    return await _read_json(request)


JsonBody = Annotated[bytes, Depends(_json_body)]


async def _read_json(request: Request) -> bytes:
    # JSON only: a text/plain or form POST is what a web page can send cross-origin without a
    # CORS preflight, so refusing it keeps browsers from reaching a loopback service unasked.
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise MediaTypeError("the request body must be sent as application/json")
    return await request.body()


def _invalid(exc: ValidationError) -> InputError:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return InputError("invalid request: " + "; ".join(parts))


_UNPARSED = object()


def count_entries(prefetch: Mapping[str, Any] | None) -> int:
    """Resources in a request's prefetch (a Bundle counts its entries)."""
    total = 0
    for value in (prefetch or {}).values():
        if isinstance(value, Mapping) and value.get("resourceType") == "Bundle":
            entries = value.get("entry")
            total += len(entries) if isinstance(entries, list) else 0
        elif value is not None:
            total += 1
    return total


def _orders_in(context: HookContext) -> int:
    """The draft orders and selections of an order call, whichever are more."""
    orders = context.draftOrders or {}
    entries = orders.get("entry") if isinstance(orders, Mapping) else None
    return max(len(entries) if isinstance(entries, list) else 0, len(context.selections or ()))


def _parse_cds(raw: bytes, max_entries: int, max_orders: int) -> CdsRequest:
    # orjson then the model: twice as fast as pydantic's own JSON parser on a 24 KiB prefetch.
    # What orjson refuses (NaN, 1e400, broken JSON) goes to pydantic's parser, whose messages
    # name the fault; an integer beyond 64 bits becomes a float, as in every NDJSON line read.
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = _UNPARSED
    try:
        if body is _UNPARSED or not isinstance(body, dict):
            parsed = CdsRequest.model_validate_json(raw)
        else:
            parsed = CdsRequest.model_validate(body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    if count_entries(parsed.prefetch) > max_entries:
        raise TooLargeError(f"more than {max_entries} prefetch entries")
    # Each order is checked and carded: their count bounds what one call costs (contract §8).
    if _orders_in(parsed.context) > max_orders:
        raise TooLargeError(f"more than {max_orders} draft orders or selections")
    return parsed


async def _cds_request(raw: bytes, state: AppState) -> CdsRequest:
    limits = (state.settings.max_prefetch_entries, state.settings.max_draft_orders)
    if len(raw) <= INLINE_MAX_BYTES:  # parsed here sooner than a thread could take it
        parsed = _parse_cds(raw, *limits)
    else:
        parsed = await asyncio.to_thread(_parse_cds, raw, *limits)
    info = current_request()
    if info is not None:  # the log lines of this call carry its hookInstance from here on
        info.id = instance_id(parsed.hookInstance)
    return parsed


def _parse_feedback(raw: bytes, max_items: int, max_text: int) -> FeedbackRequest:
    limits = {"max_items": max_items, "max_text": max_text}
    try:
        # Counted before the items are validated: a huge list or text is refused, not checked.
        parsed = FeedbackRequest.model_validate_json(raw, context=limits)
    except ValidationError as exc:
        too_long = next((e for e in exc.errors() if e.get("type") == "too_long"), None)
        if too_long is not None:
            raise TooLargeError(str(too_long["msg"])) from None
        raise _invalid(exc) from None
    return parsed


async def _feedback_request(raw: JsonBody, state: StateDep) -> FeedbackRequest:
    settings = state.settings
    return await asyncio.to_thread(
        _parse_feedback, raw, settings.max_feedback_items, settings.max_feedback_text
    )


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """What a service call's route needs, checked in the order of the module's docstring."""

    spec: Service
    claims: dict[str, Any] | None
    raw: bytes
    body: CdsRequest
    state: AppState


async def _service_call(service_id: str, request: Request) -> ServiceCall:
    spec = service(service_id)
    state = await get_state(request)
    claims = await _authenticate(request, state)
    raw = await _read_json(request)
    return ServiceCall(spec, claims, raw, await _cds_request(raw, state), state)


ServiceCallDep = Annotated[ServiceCall, Depends(_service_call)]
FeedbackBody = Annotated[FeedbackRequest, Depends(_feedback_request)]
