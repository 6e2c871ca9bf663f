"""The audit trail of the service: one AuditEvent per call of a CDS service, per SDC operation
(``$populate``, ``$extract``) and per SMART app sign-in, page and save, appended to the audit file
(``SPINEMETS_AUDIT_FILE``) before the answer goes out.

Who asked is the client's verified JWT (``iss``, ``sub``, ``jti``) and the hook's ``userId`` (the
SMART app's events name its user, :mod:`adapter.smart.audit`); what about, the Patient and the
cards (and systemActions) returned; the outcome, the HTTP status.
The token itself is never in it. The file is proved writable at start-up (exit 2 otherwise);
an event that cannot be appended later fails the call with 503: no answer goes out unrecorded.
The append is synchronous, a single locked ``write`` of one line, so it also happens for a call
whose client has hung up.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adapter.cds.models import CdsRequest, CdsResponse, instance_id
from adapter.datadirs import WriteHealth, append_private
from adapter.errors import StorageError
from adapter.fhir.write.audit import Caller, CdsCall, Output, cds_call_event

__all__ = ["CdsAudit", "outputs_of"]


def outputs_of(response: CdsResponse) -> list[Output]:
    """The cards (by uuid) and the resources of systemActions (when they have an id)."""
    outputs = [Output("card", c.uuid, c.indicator) for c in response.cards if c.uuid]
    for action in response.systemActions or ():
        resource = action.resource or {}
        rtype, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(rtype, str) and isinstance(rid, str):
            outputs.append(Output("resource", f"{rtype}/{rid}", action.type))
    return outputs


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


class CdsAudit:
    """Appends the AuditEvent of each CDS call to one NDJSON file."""

    def __init__(self, path: Path, public_base_url: str | None) -> None:
        self.path, self.base = path, public_base_url
        self.site = socket.gethostname()
        self.health = WriteHealth(path)

    def check(self) -> None:
        """Prove the file writable, and that events are not known to fail (at start-up and for
        /readyz); StorageError, one line, if not."""
        self._append(b"")
        self.health.check(f"audit trail {self.path}")

    def write(self, event: Mapping[str, Any]) -> None:
        """Append one event; StorageError (503) when it cannot be."""
        self._append(orjson.dumps(event))

    def _append(self, line: bytes) -> None:
        try:
            append_private(self.path, line)
        except OSError as exc:
            if line:
                self.health.failed()
            raise StorageError(f"audit trail {self.path}: {exc.strerror or exc}") from None
        if line:
            self.health.succeeded()

    def record(
        self,
        service: str,
        request: CdsRequest,
        claims: Mapping[str, Any] | None,
        outputs: Sequence[Output],
        status: int,
    ) -> None:
        """Append the event of one call; StorageError (503) when it cannot be."""
        call = CdsCall(
            service,
            request.hook,
            instance_id(request.hookInstance),
            request.context.patientId,
            status,
        )
        path = f"/cds-services/{service}"
        self.record_call(call, claims, outputs, path, user=request.context.userId)

    def record_call(
        self,
        call: CdsCall,
        claims: Mapping[str, Any] | None,
        outputs: Sequence[Output],
        path: str,
        user: str | None = None,
    ) -> None:
        """Append the event of a call made at ``path`` (an SDC operation's too)."""
        claims = claims or {}
        caller = Caller(
            iss=_text(claims, "iss"), sub=_text(claims, "sub"), jti=_text(claims, "jti"), user=user
        )
        event = cds_call_event(
            call,
            caller,
            outputs,
            recorded=datetime.now(UTC),
            service_url=f"{self.base}{path}" if self.base else None,
            site=self.site,
        )
        self.write(event)
