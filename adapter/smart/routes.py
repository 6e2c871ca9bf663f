"""The SMART app's routes under ``/smart`` (contract §7), mounted on ``spinemets serve``:

- ``GET /smart/launch``: EHR launch (``iss`` and ``launch``) or standalone launch (neither);
- ``GET /smart/callback``: the authorization server's redirect; the token goes into the session;
- ``GET /smart/``: the patient's page; ``GET /smart/form/{name}``: a form, prefilled;
- ``POST /smart/form/{name}``: save the form (one transaction), then show the new scores.

Every answer is a page a person reads, with a status that says what happened (400 bad input, 401
no session, 403 scopes, 502 the FHIR server), never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from adapter.errors import FhirServerError, InputError
from adapter.mapping.rules import rules_of
from adapter.smart.answers import HEADERS, fhir_problem, html, problem, refusal
from adapter.smart.oauth import LaunchError, authorization_url, discover, exchange
from adapter.smart.record import ReadLimits, missing_writes
from adapter.smart.sessions import COOKIE, Session, SessionStore, set_cookie
from adapter.smart.settings import SmartSettings, smart_settings
from adapter.smart.tokens import Renewal, refresh_if_expiring
from adapter.smart.view import View, completed, save, saved_message, show
from adapter.vocabulary.forms import FORMS

__all__ = ["SmartState", "router"]

log = logging.getLogger("spinemets.smart")


class SmartState:
    """The app's settings and sessions; ``transport`` lets tests reach servers in process."""

    def __init__(self, settings: SmartSettings, transport: Any = None) -> None:
        self.settings = settings
        self.rules = rules_of(settings)  # as the service's cards score
        self.limits = ReadLimits.of(settings)  # as the service's fallback reads
        self.sessions = SessionStore(
            settings.smart_session_minutes * 60, settings.smart_max_sessions
        )
        self.transport = transport


class _QueryRedaction(logging.Filter):
    """The access log line of a /smart/ request without its query (a code, a launch id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and "/smart/" in str(args[2]):
            record.args = (*args[:2], str(args[2]).split("?", 1)[0], *args[3:])
        return True


def _open(app: Any) -> SmartState:
    """The app's state, made once (from the environment unless a test put its own)."""
    state: SmartState | None = getattr(app.state, "smart", None)
    if state is None:
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, _QueryRedaction) for f in access.filters):
            access.addFilter(_QueryRedaction())
        # Authlib's HTTP client logs each request's URL at INFO: the app's own lines suffice.
        logging.getLogger("httpx2").setLevel(logging.WARNING)
        state = app.state.smart = SmartState(smart_settings())
    return state


@asynccontextmanager
async def _lifespan(app: Any) -> AsyncIterator[None]:
    _open(app)  # unusable settings stop the start, not a user's first request
    yield


router = APIRouter(prefix="/smart", include_in_schema=False, lifespan=_lifespan)


def _state(request: Request) -> SmartState:
    return _open(request.app)


StateDep = Annotated[SmartState, Depends(_state)]


def _cookie(response: Response, session: Session, settings: SmartSettings) -> None:
    seconds = settings.smart_session_minutes * 60
    set_cookie(response, session, seconds, settings.secure_cookies, settings.root)


async def _session(request: Request, state: SmartState) -> Session | None:
    """The signed-in session, its access token refreshed when it has expired (or is about to)
    and a refresh token was granted; None when there is no usable token."""
    session = state.sessions.get(request.cookies.get(COOKIE))
    if session is None or not session.authorised:
        return None
    await refresh_if_expiring(session, state.settings, state.transport)
    if session.token_expires < time.monotonic():
        return None  # an expired token: launch again rather than fail at the FHIR server
    return session


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
        endpoints = await discover(iss, settings, state.transport)
    except LaunchError as exc:
        return problem(state.settings.root, 502, "Launch failed", str(exc))
    session = state.sessions.new()
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


async def _view(request: Request, state: SmartState, form: str | None) -> Response:
    session = await _session(request, state)
    if session is None:
        return problem(
            state.settings.root, 401, "Not signed in", "Launch the app from the patient's record."
        )
    if form is not None and form not in FORMS:
        return problem(
            state.settings.root, 404, "No such form", f"spinemets has the forms {', '.join(FORMS)}."
        )
    renewal = Renewal(session, state.settings, state.transport)
    try:
        view = await renewal.call(lambda: View.read(session, state.limits, state.rules))
    except FhirServerError as exc:
        return fhir_problem(exc, state.settings.root)
    except InputError as exc:
        return problem(state.settings.root, 400, "Record not readable", str(exc))
    return html(await asyncio.to_thread(show, view, session, form, None, state.settings.root))


@router.get("/")
async def patient(request: Request, state: StateDep) -> Response:
    return await _view(request, state, None)


@router.get("/form/{name}")
async def form(name: str, request: Request, state: StateDep) -> Response:
    return await _view(request, state, name)


@router.post("/form/{name}")
async def submit(name: str, request: Request, state: StateDep) -> Response:
    """Save a form: the response and its findings in one transaction, then the new scores."""
    session = await _session(request, state)
    if session is None:
        return problem(
            state.settings.root, 401, "Not signed in", "Launch the app from the patient's record."
        )
    if name not in FORMS:
        return problem(
            state.settings.root, 404, "No such form", f"spinemets has the forms {', '.join(FORMS)}."
        )
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    fields = dict(pairs)
    if not secrets.compare_digest(fields.get("csrf", ""), session.csrf):
        return problem(
            state.settings.root,
            403,
            "Form expired",
            "This form does not belong to this session: open it again.",
        )
    missing = missing_writes(session.scope)
    if missing:
        why = f"(missing {', '.join(missing)}): nothing was written."
        return problem(
            state.settings.root,
            403,
            "Not allowed",
            f"The granted scopes do not allow saving a form {why}",
        )
    levels = [v for k, v in pairs if k == "level"]
    return await _save(session, name, fields, levels, state)


async def _save(
    session: Session, name: str, fields: dict[str, str], levels: list[str], state: SmartState
) -> Response:
    """Write the form, then show the new scores. A form the FHIR server does not take comes
    back with the entries in it (nothing accepted is lost); a record that cannot be read again
    after the save says it was saved, so the form is not sent twice. A call the server refuses
    with 401 is sent again after a refresh (:class:`Renewal`: it stored nothing)."""
    root, timeout = state.settings.root, state.settings.smart_timeout
    renewal = Renewal(session, state.settings, state.transport)
    try:
        before = await renewal.call(lambda: View.read(session, state.limits, state.rules))
        response = completed(before, session, name, fields, levels)
    except InputError as exc:
        return problem(root, 400, "Not saved", f"Nothing was written: {exc}")
    except FhirServerError as exc:
        return fhir_problem(exc, root)
    try:
        await renewal.call(lambda: save(session, response, timeout))
    except FhirServerError as exc:
        status, _, what = refusal(exc)
        message = f"Not saved: {what} Your entries are kept below."
        page = await asyncio.to_thread(show, before, session, name, message, root, entries=response)
        return html(page, status)
    try:
        after = await renewal.call(lambda: View.read(session, state.limits, state.rules))
    except FhirServerError:
        message = (
            "Saved. The record could not be read again to show the new scores: reload the page."
        )
        return html(await asyncio.to_thread(show, before, session, None, message, root))
    message = saved_message(before, after, levels)
    return html(await asyncio.to_thread(show, after, session, None, message, root))
