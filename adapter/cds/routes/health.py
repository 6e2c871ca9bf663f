"""``GET /healthz``, ``GET /readyz``, ``GET /metrics``: for the load balancer and the monitoring.

``/healthz`` says the process answers. ``/readyz`` says whether it can serve: its stores usable
(the feedback database, the audit trail and the replay cache: writable, their last write not
failed, their disk not nearly full; a Redis replay cache answers a ping), its keys loaded, its
worker loops and the workers of every mounted feature alive; 503 otherwise, naming what is not. It
looks at local state only (never a CDS client's FHIR server or a JWK Set URL), so an outage
elsewhere never takes the service out of rotation. Admission control never sheds these three.
"""

from __future__ import annotations

import asyncio
from typing import cast

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from adapter.cds.metrics import CONTENT_TYPE, Metrics
from adapter.cds.state import AppState
from adapter.errors import StorageError

__all__ = ["router"]

router = APIRouter()
_CHECK_SECONDS = 2.0


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


async def _stores(state: AppState) -> str:
    try:
        async with asyncio.timeout(_CHECK_SECONDS):
            await asyncio.to_thread(state.feedback.initialise)
            await asyncio.to_thread(state.audit.check)  # a call is not answered unaudited
            ping = getattr(state.replay, "ping", None)
            if ping is not None:
                await ping()
    except (StorageError, TimeoutError) as exc:
        return "unusable" if isinstance(exc, StorageError) else "not answering"
    return "ok"


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Ready to serve: stores, keys, workers (local state only)."""
    state = cast(AppState | None, getattr(request.app.state, "spinemets", None))
    if state is None:
        checks = {"state": "not open"}
    else:
        extensions = getattr(request.app.state, "extensions", ())
        checks = {
            "stores": await _stores(state),
            "keys": "ok" if state.verifier is not None else "not loaded",
            "workers": "ok" if state.pool.alive() else "dead",
            "notifications": "ok" if all(e.alive() for e in extensions) else "dead",
        }
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format."""
    registry = cast(Metrics, request.app.state.metrics)
    return Response(registry.render(), media_type=CONTENT_TYPE)
