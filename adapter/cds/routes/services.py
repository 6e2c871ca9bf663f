"""``POST /cds-services/{service_id}``: call a CDS service."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response

from adapter.cds.audit import outputs_of
from adapter.cds.deps import ServiceCallDep
from adapter.cds.models import CdsResponse
from adapter.cds.offload import INLINE_MAX_BYTES
from adapter.cds.prefetch import is_complete
from adapter.cds.responses import outcome_responses
from adapter.cds.services import Deps, call_service
from adapter.cds.wire import response_json
from adapter.errors import SpinemetsError, http_status
from adapter.fhir.write.audit import Output

__all__ = ["POST_ERRORS", "router"]

router = APIRouter()
POST_ERRORS = (400, 401, 404, 408, 413, 415, 503)  # 503: the replay cache or audit trail


def request_body(model: str) -> dict[str, object]:
    """OpenAPI for a JSON body the route parses itself (after authentication)."""
    ref = {"$ref": f"#/components/schemas/{model}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


@router.post(
    "/cds-services/{service_id}",
    response_model=CdsResponse,
    responses=outcome_responses(*POST_ERRORS, 412),
    openapi_extra=request_body("CdsRequest"),
)
async def post_service(checked: ServiceCallDep) -> Response:
    """Call a CDS service."""
    spec, body, raw, state = checked.spec, checked.body, checked.raw, checked.state
    outputs: list[Output] = []

    async def call(deps: Deps) -> bytes:
        # Serialised directly, because FastAPI would validate the model again and encode it
        # twice (adapter/cds/wire.py: the bytes pydantic would write).
        response = await call_service(spec.id, body, deps)
        outputs.extend(outputs_of(response))
        return response_json(response)

    status = 500
    try:
        if len(raw) <= INLINE_MAX_BYTES and is_complete(body, spec.prefetch):
            # Small, with nothing to fetch: a few milliseconds of CPU, served here. A fetch or a
            # large prefetch goes to a worker loop, so this loop keeps answering meanwhile.
            payload = await call(state.inline)
        else:
            payload = await state.pool.run(call)
        status = 200
    except SpinemetsError as exc:
        status = (http_status(exc) or (500, ""))[0]
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away: recorded as a request withdrawn (outcome 4)
        raise
    finally:
        # Every call, answered or failed, before its answer goes out (contract §8).
        state.audit.record(spec.id, body, checked.claims, outputs, status)
    return Response(payload, media_type="application/json")
