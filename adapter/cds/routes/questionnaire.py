"""The forms' FHIR operations (contract §7), beside the CDS services and authenticated like them:

- ``POST /fhir/Questionnaire/{name}/$populate``: SDC Parameters whose ``context`` (or any)
  parameter holds the patient's record as a Bundle, and ``subject`` the Patient when the Bundle
  holds several; or, without a Bundle, ``fhirServer`` (and ``access_token``) to read the
  ``subject``'s record from, as the CDS services read it (same searches, same guards); answers
  Parameters with the prefilled ``response``.
- ``POST /fhir/QuestionnaireResponse/$extract``: SDC Parameters with a ``questionnaire-response``
  (or the response itself); answers Parameters whose ``return`` is the transaction Bundle.

Bad input answers 4xx with an OperationOutcome naming the item, never 500. Each operation a
client is authenticated for, answered or refused, leaves one AuditEvent (contract §8): the
client's ``iss``/``sub``/``jti``, the Patient (``subject``, else the record's or the response's)
and the outcome.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from adapter.cds.deps import Authenticated, StateDep
from adapter.cds.models import OWN_REQUEST, CdsRequest
from adapter.cds.offload import INLINE_MAX_BYTES
from adapter.cds.prefetch import SCORE_PREFETCH, PrefetchLimits, gather_resources
from adapter.cds.responses import outcome_responses
from adapter.cds.same_patient import incomplete
from adapter.cds.state import AppState
from adapter.errors import (
    InputError,
    MediaTypeError,
    NotFoundError,
    SpinemetsError,
    TooLargeError,
    http_status,
)
from adapter.fhir.client import FHIR_JSON
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.references import normalise_reference
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.write.audit import CdsCall
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import Terminology
from adapter.pipeline import now_time
from adapter.questionnaire.extract import extract
from adapter.questionnaire.populate import populate
from adapter.vocabulary.forms import FORMS

__all__ = ["router"]

router = APIRouter()
_MEDIA = ("application/json", "application/fhir+json")


def _parsed(raw: bytes) -> Any:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON ({exc.msg})") from None
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise InputError("the body is not a FHIR resource")
    return body


async def _body(request: Request) -> Any:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in _MEDIA:
        raise MediaTypeError("the request body must be sent as application/fhir+json")
    raw = await request.body()
    if len(raw) <= INLINE_MAX_BYTES:  # parsed here sooner than a thread could take it
        return _parsed(raw)
    return await asyncio.to_thread(_parsed, raw)  # megabytes: the loop answers others meanwhile


Param = tuple[str, dict[str, Any]]


class _Audited:
    """What the audit event of one operation names, filled in as the request is read."""

    def __init__(self) -> None:
        self.patient: str | None = None

    def subject(self, reference: Any) -> None:
        if self.patient is None and isinstance(reference, str):
            kind, _, rid = reference.partition("/")
            self.patient = rid if kind == "Patient" and rid else None


@asynccontextmanager
async def _audited(
    state: AppState, claims: Mapping[str, Any] | None, path: str
) -> AsyncIterator[_Audited]:
    """Record the operation, answered or refused, before its answer goes out (contract §8)."""
    audited, status = _Audited(), 500
    try:
        yield audited
        status = 200
    except SpinemetsError as exc:
        status = (http_status(exc) or (500, ""))[0]
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away: a request withdrawn (outcome 4)
        raise
    finally:
        call = CdsCall(path.lstrip("/"), None, None, audited.patient, status)
        state.audit.record_call(call, claims, (), path)


def _parameters(body: dict[str, Any], limit: int) -> list[Param]:
    """(name, parameter) of every parameter and part of a Parameters resource, breadth first and
    each list in its order (the first ``subject`` found is the one used). More than ``limit`` in
    all is a 413, told from the lists' lengths before they are read: the walk is linear and
    takes at most ``limit`` steps (SPINEMETS_MAX_PARAMETERS)."""
    if body.get("resourceType") != "Parameters":
        raise InputError("the body is not a Parameters resource")
    queue = deque(_dicts(body.get("parameter"), 0, limit))
    found: list[Param] = []
    while queue:
        param = queue.popleft()
        found.append((str(param.get("name")), param))
        queue += _dicts(param.get("part"), len(found) + len(queue), limit)
    return found


def _dicts(value: Any, counted: int, limit: int) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    if counted + len(value) > limit:
        raise TooLargeError(f"more than {limit} parameters and parts in the Parameters")
    return [p for p in value if isinstance(p, dict)]


def _answer(name: str, resource: dict[str, Any], **more: dict[str, Any]) -> Response:
    found = [{"name": name, "resource": resource}]
    found += [{"name": key, "resource": value} for key, value in more.items()]
    parameters = {"resourceType": "Parameters", "parameter": found}
    return Response(orjson.dumps(parameters), media_type=FHIR_JSON)


def _value(param: dict[str, Any]) -> str | None:
    for key in ("valueUrl", "valueUri", "valueString"):
        if isinstance(param.get(key), str):
            return str(param[key])
    return None


def _server_request(params: list[tuple[str, dict[str, Any]]], subject: str | None) -> Any:
    """A patient-view style request for reading the record from the ``fhirServer`` parameter
    with the ``access_token`` given (the CDS fallback reads, with their guards)."""
    server = next((_value(p) for n, p in params if n == "fhirServer"), None)
    if server is None:
        return None
    if subject is None or not subject.startswith("Patient/"):
        raise InputError("parameter subject: the Patient to read from fhirServer is missing")
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": f"populate-{uuid.uuid4()}",
        "fhirServer": server,
        "context": {"userId": "spinemets-populate", "patientId": subject.split("/", 1)[1]},
    }
    token = next((_value(p) for n, p in params if n == "access_token"), None)
    if token is not None:
        kind = "Bearer"  # nosec B105: the OAuth 2 token type, not a secret
        body["fhirAuthorization"] = {"access_token": token, "token_type": kind,
                                     "expires_in": 300, "scope": "patient/*.read",
                                     "subject": "spinemets-populate"}  # fmt: skip
    try:
        return CdsRequest.model_validate(body, context=OWN_REQUEST)  # no hook user to check
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0].get("loc", ()))
        raise InputError(f"parameter fhirServer: not usable ({where})") from None


def _record(
    params: list[tuple[str, dict[str, Any]]],
) -> tuple[list[dict[str, Any]], str | None]:
    bundles = [
        p["resource"]
        for _, p in params
        if isinstance(p.get("resource"), dict) and p["resource"].get("resourceType") == "Bundle"
    ]
    subject = next((normalise_reference(p.get("valueReference")) for n, p in params
                    if n == "subject"), None)  # fmt: skip
    return bundles, subject


def _populated(
    name: str, resources: list[Any], subject: str | None, term: Terminology, rules: Rules
) -> dict[str, Any]:
    loose: list[Issue] = []
    patients = patients_from_resources(resources, loose)
    if subject is not None:
        patients = [p for p in patients if f"Patient/{p.patient}" == subject]
    if len(patients) != 1:
        found = ", ".join(sorted(p.patient for p in patients)) or "none"
        raise InputError(f"parameter subject: one patient needed in the record; found {found}")
    return populate(name, patients[0], term, now_time(), rules=rules)


@router.post(
    "/fhir/Questionnaire/{name}/$populate",
    responses=outcome_responses(400, 401, 404, 413, 415, 503),
)
async def post_populate(
    name: str, request: Request, claims: Authenticated, state: StateDep
) -> Response:
    """SDC ``$populate``: a QuestionnaireResponse prefilled from the patient's record."""
    # The path as spinemets names it: a form it has, never what the caller typed.
    path = f"/fhir/Questionnaire/{name if name in FORMS else '-'}/$populate"
    async with _audited(state, claims, path) as audited:
        return await _populate(name, await _body(request), state, audited)


async def _populate(name: str, body: Any, state: AppState, audited: _Audited) -> Response:
    if name not in FORMS:
        raise NotFoundError(f"no Questionnaire {name!r}: spinemets has {', '.join(FORMS)}")
    params = _parameters(body, state.settings.max_parameters)
    resources, subject = _record(params)
    audited.subject(subject)
    strangers: Mapping[str, int] = {}
    if not resources:
        request = _server_request(params, subject)
        if request is None:
            raise InputError("parameter context: no Bundle with the patient's record")
        limits = PrefetchLimits.of(state.settings)
        metrics = state.inline.metrics  # its fallback reads are counted like a CDS call's
        gathered = await gather_resources(request, SCORE_PREFETCH, state.http, limits, metrics)
        resources, strangers = gathered.resources, gathered.strangers
    response = await asyncio.to_thread(
        _populated, name, resources, subject, state.term, state.settings.rules
    )
    audited.subject((response.get("subject") or {}).get("reference"))
    if not strangers:
        return _answer("response", response)
    # SDC $populate's `issues`: what was left out, as the cards say it (counts only).
    said = {"severity": "warning", "code": "incomplete", "diagnostics": incomplete(strangers)}
    issues = {"resourceType": "OperationOutcome", "issue": [said]}
    return _answer("response", response, issues=issues)


def _extracted(
    body: dict[str, Any], term: Terminology, limit: int, audited: _Audited
) -> dict[str, Any]:
    response = body if body.get("resourceType") == "QuestionnaireResponse" else None
    for name, param in _parameters(body, limit) if response is None else ():
        if name == "questionnaire-response":
            response = param.get("resource")
            break
    if response is None:
        raise InputError("parameter questionnaire-response: missing")
    if isinstance(response, dict) and isinstance(response.get("subject"), dict):
        audited.subject(response["subject"].get("reference"))
    return extract(response, term)


@router.post(
    "/fhir/QuestionnaireResponse/$extract",
    responses=outcome_responses(400, 401, 413, 415, 503),
)
async def post_extract(request: Request, claims: Authenticated, state: StateDep) -> Response:
    """SDC ``$extract``: the finding Observations of a completed response (a transaction)."""
    async with _audited(state, claims, "/fhir/QuestionnaireResponse/$extract") as audited:
        body, limit = await _body(request), state.settings.max_parameters
        bundle = await asyncio.to_thread(_extracted, body, state.term, limit, audited)
        return _answer("return", bundle)
