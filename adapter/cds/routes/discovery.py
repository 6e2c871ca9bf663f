"""``GET /cds-services``: CDS Hooks discovery."""

from __future__ import annotations

from fastapi import APIRouter

from adapter.cds.deps import Authenticated
from adapter.cds.models import Discovery
from adapter.cds.responses import outcome_responses
from adapter.cds.services import discovery

__all__ = ["router"]

router = APIRouter()


@router.get(
    "/cds-services",
    response_model=Discovery,
    response_model_exclude_none=True,
    responses=outcome_responses(401, 503),
)
async def get_discovery(_: Authenticated) -> Discovery:
    """CDS Hooks discovery."""
    return discovery()
