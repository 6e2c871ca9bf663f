"""``POST /cds-services/{service_id}``: call a CDS service."""

from __future__ import annotations

from fastapi import APIRouter, Response

from adapter.cds.deps import CdsBody, JsonBody, KnownService, StateDep
from adapter.cds.models import CdsResponse
from adapter.cds.offload import INLINE_MAX_BYTES
from adapter.cds.prefetch import is_complete
from adapter.cds.responses import outcome_responses
from adapter.cds.services import Deps, call_service

__all__ = ["POST_ERRORS", "router"]

router = APIRouter()
POST_ERRORS = (400, 401, 404, 408, 413, 415, 503)  # 503: the replay cache is down


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
async def post_service(
    spec: KnownService, body: CdsBody, raw: JsonBody, state: StateDep
) -> Response:
    """Call a CDS service."""

    async def call(deps: Deps) -> bytes:
        # Serialised directly, because FastAPI would validate the model again and encode it
        # twice.
        response = await call_service(spec.id, body, deps)
        return response.model_dump_json(exclude_none=True).encode()

    if len(raw) <= INLINE_MAX_BYTES and is_complete(body, spec.prefetch):
        # Small, with nothing to fetch: a few milliseconds of CPU, served here. A fetch or a
        # large prefetch goes to a worker loop, so this loop keeps answering meanwhile.
        payload = await call(state.inline)
    else:
        payload = await state.pool.run(call)
    return Response(payload, media_type="application/json")
