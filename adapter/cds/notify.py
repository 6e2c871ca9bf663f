"""FHIR rest-hook notifications: new score inputs on the FHIR server re-score that patient.

``spinemets subscriptions create`` registers R4 Subscriptions (rest-hook, payload
``application/fhir+json``) whose channel points here and carries ``Authorization: Bearer
<SPINEMETS_NOTIFY_SECRET>``. The server then sends ``PUT {endpoint}/{type}/{id}`` with the
changed resource; its subject names the patient, who is re-synced in the background (read,
score, one idempotent transaction). Notifications for a patient already being re-synced are
coalesced into one more run, so a burst of writes costs at most two.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import orjson
from fastapi import APIRouter, Depends, Request, Response

from adapter.cds.settings import Settings
from adapter.errors import AuthenticationError, NotFoundError
from adapter.fhir.client import FhirClient
from adapter.mapping.terminology import Terminology
from adapter.pipeline import now_time
from adapter.sync.retry import RetryPolicy
from adapter.sync.runner import sync_patient

__all__ = ["Resync", "router"]

log = logging.getLogger("spinemets.notify")


@dataclass(slots=True)
class Resync:
    """Background re-scoring, at most one run per patient at a time."""

    term: Terminology
    http: httpx.AsyncClient
    settings: Settings
    running: dict[str, bool] = field(default_factory=dict)  # patient → notified again meanwhile
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def request(self, patient: str) -> None:
        if patient in self.running:
            self.running[patient] = True
            return
        self.running[patient] = False
        task = asyncio.create_task(self._run(patient))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, patient: str) -> None:
        assert self.settings.fhir_server is not None
        token = self.settings.fhir_token.get_secret_value() if self.settings.fhir_token else None
        client = FhirClient(self.http, self.settings.fhir_server, token=token, max_pages=1_000)
        try:
            while True:
                self.running[patient] = False
                outcome = await sync_patient(
                    client, self.term, patient, now=now_time(), policy=RetryPolicy(),
                    original=self.settings.original_tokuhashi,
                )  # fmt: skip
                log.info("re-scored Patient/%s: %s", patient, outcome.status)
                if not self.running[patient]:
                    break
        finally:
            del self.running[patient]

    async def idle(self) -> None:
        """Wait until no re-sync is running (tests, shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def _resync(request: Request) -> Resync:
    resync: Resync | None = getattr(request.app.state, "resync", None)
    if resync is None:
        raise NotFoundError("FHIR notifications are not enabled (set SPINEMETS_FHIR_SERVER)")
    secret = resync.settings.notify_secret
    if secret is not None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        expected = secret.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
            raise AuthenticationError("notification secret")
    return resync


ResyncDep = Annotated[Resync, Depends(_resync)]
router = APIRouter()


def _patient_of(body: bytes) -> str | None:
    try:
        resource: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(resource, dict):
        return None
    if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
        return str(resource["id"])
    reference = (resource.get("subject") or {}).get("reference")
    if isinstance(reference, str) and reference.startswith("Patient/"):
        return reference.removeprefix("Patient/").split("/")[0]
    return None


@router.api_route("/fhir-notify", methods=["POST"], include_in_schema=False)
@router.api_route("/fhir-notify/{path:path}", methods=["POST", "PUT"], include_in_schema=False)
async def notification(request: Request, resync: ResyncDep) -> Response:
    """Accept a rest-hook notification; 200 at once, the re-scoring runs in the background."""
    patient = _patient_of(await request.body())
    if patient is not None:
        resync.request(patient)
    return Response(status_code=200)
