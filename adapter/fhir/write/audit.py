"""AuditEvents (FHIR R4) in the style of the IHE Basic Audit Log Patterns (BALP).

One event per call (a CDS service, an SDC operation, a SMART app sign-in, page or save) and one
per sync write. The shape follows BALP's RESTful patterns: the
event ``type`` is a RESTful operation and the ``subtype`` the interaction; the agent that asked is
the *Source Role ID* (DICOM 110153), the one that answered the *Destination Role ID* (110152);
the Patient is an entity of role *Patient*, and every output an entity of its own (a card: a
*Report*; a resource written: a *Domain Resource*); ``outcome`` is 0 (success), 4 (the request
was refused), 8 (the work failed: a server or the data), 12 (spinemets failed).

Who asked a CDS call or an SDC operation is the client's verified JWT: ``iss`` as the identifier
system, ``sub`` as its value, the token's ``jti`` as the agent's policy (BALP's place for a
token's id); who used the SMART app, the ``fhirUser`` the EHR's id_token named. No token,
password, URL userinfo or server error text ever goes in: URLs are reduced to scheme, host, port
and path here, and failure descriptions are spinemets' own words.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from adapter import __version__
from adapter.fhir.write.narrative import with_narrative
from adapter.vocabulary.systems import (
    AUDIT_ENTITY_TYPE,
    AUDIT_EVENT_TYPE,
    AUDIT_OBJECT_ROLE,
    AUDIT_SOURCE_TYPE,
    DICOM_DCM,
    PARTICIPATION_TYPE,
    RESTFUL_INTERACTION,
    SOFTWARE_SID,
    URI,
)

__all__ = [
    "Caller",
    "CdsCall",
    "Output",
    "cds_call_event",
    "outcome_of",
    "plain_url",
    "reference_in",
    "sync_write_event",
]

Outcome = Literal["0", "4", "8", "12"]
_ID = r"[A-Za-z0-9\-.]{1,64}"
_REFERENCE = re.compile(rf"[A-Z][A-Za-z]{{1,63}}/{_ID}(/_history/{_ID})?")
_ENTITY_PERSON, _ENTITY_SYSTEM = ("1", "Person"), ("2", "System Object")
_ROLE_PATIENT, _ROLE_REPORT = ("1", "Patient"), ("3", "Report")
_ROLE_RESOURCE, _ROLE_QUERY = ("4", "Domain Resource"), ("24", "Query")
_UNNAMED = "a user the EHR did not name (no fhirUser)"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asked: the client's verified ``iss``, ``sub`` and ``jti``, and the hook's user."""

    iss: str | None = None
    sub: str | None = None
    jti: str | None = None
    user: str | None = None  # context.userId, e.g. Practitioner/123; a SMART app's fhirUser
    launch: str | None = None  # the FHIR server a SMART app user signed in at


@dataclass(frozen=True, slots=True)
class Output:
    """One thing a call or write produced: a card (its uuid) or a resource (a reference)."""

    kind: Literal["card", "resource"]
    value: str
    description: str | None = None


def outcome_of(status: int) -> Outcome:
    """The AuditEvent outcome of an HTTP status: 2xx and 3xx (a sign-in's redirect) 0; 412 (data
    unavailable) and 502-504 8; other 4xx 4 (refused); anything else 12."""
    if 200 <= status < 400:
        return "0"
    if status == 412 or status in (502, 503, 504):
        return "8"
    return "4" if 400 <= status < 500 else "12"


def reference_in(location: str) -> str | None:
    """The ``Type/id[/_history/v]`` a location (relative or absolute URL) ends with, if any."""
    path = location.split("?", 1)[0].rstrip("/")
    parts = path.split("/")
    for size in (4, 2):
        tail = "/".join(parts[-size:])
        if len(parts) >= size and _REFERENCE.fullmatch(tail):
            return tail
    return None


def plain_url(url: str) -> str:
    """``url`` without userinfo, query or fragment: what an audit record may name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _uri(value: str) -> dict[str, str]:
    """An identifier for a uuid (as a URN) or any other id (value only)."""
    try:
        return {"system": URI, "value": f"urn:uuid:{uuid.UUID(value)}"}
    except ValueError:
        return {"value": value[:256]}


def _entity(what: dict[str, Any], kind: tuple[str, str], role: tuple[str, str]) -> dict[str, Any]:
    return {
        "what": what,
        "type": _coding(AUDIT_ENTITY_TYPE, *kind),
        "role": _coding(AUDIT_OBJECT_ROLE, *role),
    }


def _spinemets(role: str, display: str, *, requestor: bool, address: str | None) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": {"coding": [_coding(DICOM_DCM, role, display)]},
        "who": {
            "identifier": {"system": SOFTWARE_SID, "value": "spinemets"},
            "display": f"spinemets {__version__}",
        },
        "requestor": requestor,
    }
    if address:
        agent["network"] = {"address": plain_url(address), "type": "5"}  # 5: a URI
    return agent


def _caller(caller: Caller) -> list[dict[str, Any]]:
    """The client agent (and the hook's user, who receives the cards); or the SMART app's user."""
    who: dict[str, Any]
    if caller.launch is not None:  # the person signed in; fhirUser was checked at the sign-in
        who = {"reference": caller.user[:256]} if caller.user else {"display": _UNNAMED}
        source = _coding(DICOM_DCM, "110153", "Source Role ID")
        person: dict[str, Any] = {"type": {"coding": [source]}, "who": who, "requestor": True}
        if caller.launch:
            person["network"] = {"address": plain_url(caller.launch), "type": "5"}
        return [person]
    if caller.iss is None:
        who = {"display": "a client not authenticated (no issuers configured)"}
    else:
        who = {"identifier": {"system": caller.iss, "value": caller.sub or caller.iss}}
    client: dict[str, Any] = {
        "type": {"coding": [_coding(DICOM_DCM, "110153", "Source Role ID")]},
        "who": who,
        "requestor": True,
    }
    if caller.jti:
        client["policy"] = [caller.jti[:256]]
    agents = [client]
    if caller.user:
        user = caller.user[:256]
        agents.append(
            {
                "type": {"coding": [_coding(PARTICIPATION_TYPE, "IRCP", "information recipient")]},
                "who": {"reference": user} if _REFERENCE.fullmatch(user) else {"display": user},
                "requestor": False,
            }
        )
    return agents


def _event(
    subtype: str, action: str, recorded: datetime, outcome: Outcome, description: str | None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": _coding(AUDIT_EVENT_TYPE, "rest", "Restful Operation"),
        "subtype": [_coding(RESTFUL_INTERACTION, subtype)],
        "action": action,
        "recorded": recorded.isoformat(timespec="milliseconds"),
        "outcome": outcome,
    }
    if description:
        event["outcomeDesc"] = description
    return event


def _source(site: str | None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "observer": {"identifier": {"system": SOFTWARE_SID, "value": "spinemets"}},
        "type": [_coding(AUDIT_SOURCE_TYPE, "4", "Application Server")],
    }
    if site:
        source["site"] = site
    return source


def _outputs(outputs: Sequence[Output]) -> list[dict[str, Any]]:
    entities = []
    for output in outputs:
        if output.kind == "card":
            entity = _entity({"identifier": _uri(output.value)}, _ENTITY_SYSTEM, _ROLE_REPORT)
        elif _REFERENCE.fullmatch(output.value):
            entity = _entity({"reference": output.value}, _ENTITY_SYSTEM, _ROLE_RESOURCE)
        else:
            continue  # not a reference: nothing a server chose goes in unchecked
        if output.description:
            entity["description"] = output.description
        entities.append(entity)
    return entities


def _patient(patient: str | None) -> list[dict[str, Any]]:
    if patient is None:
        return []
    return [_entity({"reference": f"Patient/{patient}"}, _ENTITY_PERSON, _ROLE_PATIENT)]


@dataclass(frozen=True, slots=True)
class CdsCall:
    """A call of spinemets: a CDS service (with its hook), an SDC operation, a SMART app page
    (``action`` R, ``subtype`` read) or save (C, transaction)."""

    service: str  # what was called: the service id, `Questionnaire/sins/$populate`, `smart/`
    hook: str | None
    hook_instance: str | None  # the request's id, when it has one
    patient: str | None
    status: int
    action: Literal["C", "R", "U", "D", "E"] = "E"
    subtype: str = "operation"


def cds_call_event(
    call: CdsCall,
    caller: Caller,
    outputs: Sequence[Output],
    *,
    recorded: datetime,
    service_url: str | None,
    site: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The AuditEvent of one call (a CDS service or SDC *operation*: action E, execute)."""
    event = _event(call.subtype, call.action, recorded, outcome_of(call.status), description)
    server = _spinemets("110152", "Destination Role ID", requestor=False, address=service_url)
    what = {"identifier": _uri(call.hook_instance)} if call.hook_instance else {}
    request = _entity(what, _ENTITY_SYSTEM, _ROLE_QUERY)
    if not what:
        del request["what"]
    request["name"] = call.service[:256]
    if call.hook is not None:
        request["detail"] = [{"type": "hook", "valueString": call.hook[:256]}]
    event["agent"] = [*_caller(caller), server]
    event["source"] = _source(site)
    event["entity"] = [*_patient(call.patient), request, *_outputs(outputs)]
    who = f" for Patient/{call.patient}" if call.patient else ""
    # The hook is the caller's text: cut as every caller value in the event is.
    hook = f" ({call.hook[:256]})" if call.hook is not None else ""
    said = f"spinemets {call.service[:256]}{hook}{who}: HTTP {call.status}"
    return with_narrative(event, [said, f"{len(outputs)} cards or resources returned"])


def sync_write_event(
    patient: str,
    server_url: str,
    outputs: Sequence[Output],
    *,
    recorded: datetime,
    failure: str | None = None,
    site: str | None = None,
) -> dict[str, Any]:
    """The AuditEvent of one sync write (a *transaction*: action C, U when it created none)."""
    created = any(o.description == "created" for o in outputs)
    action = "C" if created or failure or not outputs else "U"
    event = _event("transaction", action, recorded, "8" if failure else "0", failure)
    fhir_server = {
        "type": {"coding": [_coding(DICOM_DCM, "110152", "Destination Role ID")]},
        "who": {"display": plain_url(server_url)},
        "requestor": False,
        "network": {"address": plain_url(server_url), "type": "5"},
    }
    own = _spinemets("110153", "Source Role ID", requestor=True, address=None)
    event["agent"] = [own, fhir_server]
    event["source"] = _source(site)
    event["entity"] = [*_patient(patient), *_outputs(outputs)]
    said = f"spinemets sync wrote {len(outputs)} resources for Patient/{patient}"
    return with_narrative(event, [said + (" (failed)" if failure else "")])
