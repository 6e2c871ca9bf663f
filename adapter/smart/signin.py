"""The SMART app's sign-in under ``/smart`` (contract §7): ``GET /smart/launch``, an EHR launch
(``iss`` and ``launch``) or a standalone one (neither), and ``GET /smart/callback``, the
authorization server's redirect, whose token goes into the session.

A launch is pending until its callback: it lives in the sessions' pending store, which a flood of
anonymous launches fills (then launches are refused, 503, with a counts-only log line) without
signing anyone out; the FHIR server's SMART configuration comes from :class:`.Discovery`'s cache,
so launches do not each make a request to the EHR. Each callback of a launch under way leaves an
audit event (the sign-in, or its refusal).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from adapter.smart.answers import HEADERS, problem
from adapter.smart.audit import record
from adapter.smart.oauth import LaunchError, authorization_url, exchange
from adapter.smart.sessions import COOKIE, Session, set_cookie
from adapter.smart.settings import SmartSettings
from adapter.smart.state import SmartState, StateDep
from adapter.vocabulary.forms import FORMS

__all__ = ["router"]

log = logging.getLogger("spinemets.smart")
router = APIRouter()
_LOG_EVERY = 60.0  # seconds between two lines about refused launches


def _cookie(response: Response, session: Session, settings: SmartSettings) -> None:
    seconds = settings.smart_session_minutes * 60
    set_cookie(response, session, seconds, settings.secure_cookies, settings.root)


def _busy(state: SmartState) -> Response:
    """A launch refused for a full pending store: counted, and logged at most once a minute."""
    state.refused_launches += 1
    now = time.monotonic()
    if now - state.refused_logged >= _LOG_EVERY:
        log.warning(
            "SMART launches refused: %d launches pending (the most kept), %d refused since "
            "the last line",
            state.sessions.pending_count,
            state.refused_launches,
        )
        state.refused_launches, state.refused_logged = 0, now
    answer = problem(
        state.settings.root, 503, "Busy", "Too many launches are under way: try again shortly."
    )
    answer.headers["Retry-After"] = "30"
    return answer


@router.get("/launch")
async def launch(request: Request, state: StateDep) -> Response:
    """Start a launch: discovery, then the browser goes to the authorization server."""
    settings = state.settings
    if not settings.enabled:
        return problem(
            state.settings.root,
            404,
            "Not configured",
            "The app is off: SPINEMETS_PUBLIC_BASE_URL is not set.",
        )
    iss = request.query_params.get("iss", "").rstrip("/")
    launch_id = request.query_params.get("launch")
    if not iss and not launch_id and settings.smart_fhir_servers:
        iss = settings.smart_fhir_servers[0]  # standalone launch: the configured server
    if iss not in settings.smart_fhir_servers:
        return problem(
            state.settings.root,
            400,
            "Unknown FHIR server",
            "This launch names a FHIR server the app is not registered with.",
        )
    if launch_id is not None and not launch_id.strip():
        return problem(state.settings.root, 400, "Launch refused", "The launch parameter is empty.")
    try:
        endpoints = await state.discovery.endpoints(iss)
    except LaunchError as exc:
        return problem(state.settings.root, 502, "Launch failed", str(exc))
    session = state.sessions.new()
    if session is None:
        return _busy(state)
    url = authorization_url(session, settings, iss, endpoints, launch_id)
    response = RedirectResponse(url, status_code=302, headers=HEADERS)
    _cookie(response, session, settings)
    return response


@router.get("/callback")
async def callback(request: Request, state: StateDep) -> Response:
    """The authorization server's answer: exchange the code, then open the page (or the form
    the card's link named)."""
    query = request.query_params
    session = state.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return problem(
            state.settings.root,
            401,
            "Sign-in expired",
            "This browser has no launch under way: launch again from the record.",
        )
    server = session.pending.fhir_server if session.pending else None
    response = await _signed_in(session, query, state)
    record(request.app.state, session, "/smart/callback", response.status_code, "E",
           base=state.settings.public_base_url, server=server)  # fmt: skip
    return response


async def _signed_in(session: Session, query: Any, state: SmartState) -> Response:
    if "error" in query or "code" not in query:
        session.pending = None
        return problem(
            state.settings.root,
            403,
            "Not authorised",
            "The authorization server did not authorise the app.",
        )
    try:
        await exchange(
            session, state.settings, query["code"], query.get("state", ""), state.transport
        )
    except LaunchError as exc:
        return problem(state.settings.root, 403, "Not authorised", str(exc))
    session = state.sessions.rotate(session)
    log.info("SMART launch for Patient/%s", session.patient)
    target = _target(session.app_context, state.settings.root)
    response = RedirectResponse(target, status_code=303, headers=HEADERS)
    _cookie(response, session, state.settings)
    return response


def _target(context: dict[str, Any], root: str) -> str:
    form, level = context.get("form"), context.get("level")
    if not isinstance(form, str) or form not in FORMS:
        return f"{root}/"
    anchor = f"#level-{level}" if isinstance(level, str) and level.isalnum() else ""
    return f"{root}/form/{form}{anchor}"
