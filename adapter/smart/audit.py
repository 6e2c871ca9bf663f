"""The SMART app's audit events (contract §8, SECURITY.md): one per sign-in (the launch's
callback), per page or form shown (each reads the patient's record with the user's token) and
per save (a transaction written to the EHR), answered, refused or failed, in the service's audit
trail and in the shape of the CDS calls' events (:func:`adapter.fhir.write.audit.cds_call_event`).

Who: the ``fhirUser`` the EHR's id_token named (else "not named"), at the FHIR server of the
launch; what about: the launch's Patient; what was written: the references the FHIR server gave
the resources of a save. Never a token, a name or an answer. A request without a session names
no one and no patient, so it is not recorded (an anonymous caller could only fill the trail).
The trail is the service's (``app.state.audit_trail``, set by :mod:`adapter.cds.app`); an event
that cannot be appended fails the request (503), as a CDS call's does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from adapter.fhir.write.audit import Caller, CdsCall, Output, cds_call_event
from adapter.smart.sessions import Session

__all__ = ["AuditTrail", "record"]


class AuditTrail(Protocol):
    def write(self, event: Mapping[str, Any]) -> None: ...


def record(
    app_state: Any,
    session: Session,
    path: str,
    status: int,
    action: Literal["C", "R", "E"],
    *,
    base: str | None,
    written: Sequence[str] = (),
    server: str | None = None,
) -> None:
    """Append the event of one request of a session (``path`` without the query)."""
    trail: AuditTrail | None = getattr(app_state, "audit_trail", None)
    if trail is None:
        return  # the app mounted alone (tests); `spinemets serve` always gives it the trail
    subtype = {"C": "transaction", "R": "read", "E": "operation"}[action]
    call = CdsCall(path.lstrip("/"), None, None, session.patient, status, action, subtype)
    caller = Caller(user=session.user, launch=session.fhir_server or server or "")
    outputs = [Output("resource", reference) for reference in written]
    event = cds_call_event(
        call,
        caller,
        outputs,
        recorded=datetime.now(UTC),
        service_url=f"{base}{path}" if base else None,
    )
    trail.write(event)
