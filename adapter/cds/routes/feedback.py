"""``POST /cds-services/{service_id}/feedback``: card feedback (CDS Hooks 2.0)."""

from __future__ import annotations

from fastapi import APIRouter

from adapter.cds.deps import FeedbackBody, KnownService, StateDep
from adapter.cds.responses import outcome_responses
from adapter.cds.routes.services import POST_ERRORS, request_body

__all__ = ["router"]

router = APIRouter()


@router.post(
    "/cds-services/{service_id}/feedback",
    responses=outcome_responses(*POST_ERRORS),
    openapi_extra=request_body("FeedbackRequest"),
)
async def post_feedback(spec: KnownService, body: FeedbackBody, state: StateDep) -> dict[str, int]:
    """Store card feedback (accepted or overridden)."""
    await state.feedback.add(spec.id, body.feedback)
    return {"stored": len(body.feedback)}
