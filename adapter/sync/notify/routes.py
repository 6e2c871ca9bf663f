"""``{base}/fhir-notify``: where a FHIR server's rest-hook Subscriptions deliver.

The server sends ``PUT {endpoint}/{type}/{id}`` (or ``POST {endpoint}``) with the changed resource
as ``application/fhir+json`` and the channel header ``Authorization: Bearer <secret>``. The
resource's patient is queued for a re-sync, and only once the queue has stored it is the
notification acknowledged (200); a full queue answers 503, so the server delivers again later.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from adapter.errors import (
    AuthenticationError,
    InputError,
    MediaTypeError,
    NotFoundError,
    OverloadedError,
)
from adapter.fhir.client import is_fhir_id
from adapter.fhir.read.references import patient_of
from adapter.sync.notify.queue import NotificationQueue

__all__ = ["Active", "notification_router"]

FHIR_JSON = "application/fhir+json"


class Active:
    """What the endpoint needs while notifications run: the queue, the secret, a wake-up call."""

    def __init__(self, queue: NotificationQueue, secret: str, wake: Callable[[], None]) -> None:
        self.queue, self._secret, self.wake = queue, secret.encode(), wake
        self.counts = {"queued": 0, "refused_full": 0}  # for /metrics

    def check(self, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), self._secret
        ):
            raise AuthenticationError("notification secret")


def _patient_of(body: bytes) -> str | None:
    """The patient a notified resource is about (a Patient, or a resource with a subject)."""
    try:
        resource: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InputError("the notification body is not JSON") from None
    if not isinstance(resource, dict):
        raise InputError("the notification body is not a FHIR resource")
    patient = patient_of(resource)
    if patient is not None and not is_fhir_id(patient):
        raise InputError("the notified resource names an invalid patient id")
    return patient


def notification_router(active: Callable[[], Active | None]) -> APIRouter:
    """The routes; ``active`` gives the running notifications, or None when they are off."""

    def _active(request: Request) -> Active:
        running = active()
        if running is None:
            raise NotFoundError("FHIR notifications are not enabled")
        running.check(request.headers.get("authorization", ""))
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != FHIR_JSON:
            raise MediaTypeError(f"a notification must be sent as {FHIR_JSON}")
        return running

    router = APIRouter()

    @router.api_route("/fhir-notify", methods=["POST"], include_in_schema=False)
    @router.api_route("/fhir-notify/{path:path}", methods=["POST", "PUT"], include_in_schema=False)
    async def notification(request: Request) -> Response:
        """Queue the notified resource's patient for a re-sync; 200 once stored."""
        running = _active(request)  # before the body is read: the secret, then the media type
        patient = _patient_of(await request.body())
        if patient is not None:
            stored = await asyncio.to_thread(running.queue.put, patient, time.time())
            if not stored:
                running.counts["refused_full"] += 1
                raise OverloadedError("the notification queue is full")
            running.counts["queued"] += 1
            running.wake()
        return Response(status_code=200)

    return router
