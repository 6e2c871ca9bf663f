"""Admission control and the record of every request: ASGI middleware, outermost in the app.

:class:`Admission` lets at most ``limit`` calls be in flight in this worker and answers the next
one at once with 503 and ``Retry-After`` (a queue would only make everyone wait); it answers so
too while the worker's event loop runs more than ``max_queue`` seconds behind (:mod:`.lag`): an
overloaded worker's requests wait in that queue, not among the calls in flight. Interactive
calls (CDS, and the SDC ``$populate``/``$extract`` a form calls) and everything else
(notifications, docs) have separate counts, so a notification storm never takes the interactive
calls' capacity. Health and metrics are never shed.

:class:`Observed` opens each request's log context, counts it in the metrics, writes one access
line, and turns what escapes the app into one line: a client that hung up is logged once, an
internal error answers 500 with an OperationOutcome and is logged as its type (no traceback).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.cds.lag import LoopLag
from adapter.cds.logs import new_request
from adapter.cds.metrics import Metrics
from adapter.cds.responses import outcome

__all__ = ["UNSHED", "Admission", "Observed", "interactive", "service_label"]

log = logging.getLogger("spinemets.cds")
access = logging.getLogger("spinemets.access")
UNSHED = frozenset({"/healthz", "/readyz", "/metrics"})
RETRY_AFTER = "1"  # seconds: a shed call is worth retrying almost at once
_SDC = "/fhir/"  # the SDC operations (adapter.cds.routes.questionnaire); not /fhir-notify
_SDC_LABELS = {"$populate": "populate", "$extract": "extract"}


def service_label(path: str, services: Collection[str]) -> str:
    """The metrics label of a path: a known service id, never what the caller wrote."""
    if path == "/cds-services":
        return "discovery"
    if path.startswith("/cds-services/"):
        rest = path[len("/cds-services/") :]
        name, _, tail = rest.partition("/")
        if name in services and tail in ("", "feedback"):
            return name + ("/feedback" if tail else "")
        return "unknown"
    if path.startswith("/fhir-notify"):
        return "notification"
    if path.startswith(_SDC):
        return _SDC_LABELS.get(path.rpartition("/")[2], "unknown")
    return "other"


def interactive(path: str) -> bool:
    """A call a clinician waits for: a CDS call, or an SDC $populate/$extract of a form."""
    return path.startswith(("/cds-services", _SDC))


class _Shed(Exception):
    """Raised from ``receive`` when a body completes with the limit already in flight."""


class Admission:
    """At most ``limit`` CDS calls, and ``limit`` other requests, in flight; beyond that, 503.

    A request with a body is admitted when its body has arrived, not when it begins: a client
    that trickles its body (bounded by ``SPINEMETS_BODY_TIMEOUT``) holds a connection, never a
    place among the calls being worked on.
    """

    def __init__(
        self, app: ASGIApp, *, limit: int, metrics: Metrics, max_queue: float = float("inf")
    ) -> None:
        self.app, self.limit, self.metrics = app, limit, metrics
        self.max_queue, self.lag = max_queue, LoopLag()
        self.in_flight = {"cds": 0, "other": 0}

    def _refusal(self, kind: str) -> str | None:
        """Why the call cannot be admitted now; None: admitted, and counted in flight."""
        if self.in_flight[kind] >= self.limit:
            why = "too many calls in flight"
        elif self.lag.seconds() > self.max_queue:
            why = "the service is behind"
        else:
            self.in_flight[kind] += 1
            self.metrics.in_flight.inc()
            return None
        self.metrics.shed.inc()
        return why

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNSHED:
            await self.app(scope, receive, send)
            return
        kind = "cds" if interactive(scope["path"]) else "other"
        admitted = False
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            why = self._refusal(kind)
            if why is not None:
                await _shed_response(scope, receive, send, why)
                return
            admitted = True

        async def admitting() -> Message:
            nonlocal admitted
            message = await receive()
            complete = message["type"] == "http.request" and not message.get("more_body")
            if complete and not admitted:
                why = self._refusal(kind)
                if why is not None:
                    raise _Shed(why)
                admitted = True
            return message

        try:
            await self.app(scope, admitting, send)
        except _Shed as shed:
            await _shed_response(scope, receive, send, str(shed))
        finally:
            if admitted:
                self.in_flight[kind] -= 1
                self.metrics.in_flight.dec()


async def _shed_response(scope: Scope, receive: Receive, send: Send, why: str) -> None:
    response = outcome(503, "throttled", f"{why}: retry shortly")
    response.headers["Retry-After"] = RETRY_AFTER
    await response(scope, receive, send)


class Observed:
    """Request id, metrics, one access line, and no traceback for anything that escapes."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, services: Collection[str], access_log: bool
    ) -> None:
        self.app, self.metrics, self.services = app, metrics, frozenset(services)
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = new_request()
        path: str = scope["path"]
        label = service_label(path, self.services)
        info.service = label if label not in ("other", "unknown") else None
        status = 0
        start = time.perf_counter()

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed)
        except ClientDisconnect:
            self.metrics.hangups.inc()
            status = status or 499  # nginx's word for it; nothing is sent
            if not self.access_log:  # else the access line below is the one line it costs
                log.info("the client hung up before its request was read")
        except Exception as exc:  # noqa: BLE001 - the last guard: one line, never a traceback
            log.error("internal error: %s", type(exc).__name__)
            if status == 0:
                await outcome(500, "exception", "internal error")(scope, receive, send)
            status = status or 500
        seconds = time.perf_counter() - start
        if label not in ("other", "notification"):
            self.metrics.calls.labels(label, str(status)).inc()
            self.metrics.latency.labels(label).observe(seconds)
        if self.access_log:
            fields = {"method": scope["method"], "path": path, "status": status,
                      "ms": round(seconds * 1000, 1)}  # fmt: skip
            hung_up = " (the client hung up)" if status == 499 else ""
            access.info(
                "%s %s %d%s", scope["method"], path, status, hung_up, extra={"fields": fields}
            )
