"""The SMART app's routes under ``/smart`` (contract §7), mounted on ``spinemets serve``:

- ``GET /smart/launch``: EHR launch (``iss`` and ``launch``) or standalone launch (neither);
- ``GET /smart/callback``: the authorization server's redirect; the token goes into the session
  (both in :mod:`.signin`);
- ``GET /smart/``: the patient's page; ``GET /smart/form/{name}``: a form, prefilled;
- ``POST /smart/form/{name}``: save the form (one transaction), then show the new scores.

Every answer is a page a person reads, with a status that says what happened (400 bad input, 401
no session, 403 scopes, 502 the FHIR server), never a traceback. Each page, form and save of a
session leaves one audit event (:mod:`.audit`), whatever its outcome.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from adapter.errors import FhirServerError, InputError
from adapter.scoring import LEVELS, level_order
from adapter.smart import signin
from adapter.smart.answers import fhir_problem, html, problem, refusal
from adapter.smart.audit import record
from adapter.smart.form import ADD, ChangedUnderForm, added_level, has_answer
from adapter.smart.record import missing_writes
from adapter.smart.sessions import COOKIE, Session
from adapter.smart.state import SmartState, StateDep, lifespan
from adapter.smart.tokens import Renewal, refresh_if_expiring
from adapter.smart.view import (
    View,
    addable_levels,
    completed,
    kept,
    save,
    saved_message,
    show,
)
from adapter.vocabulary.forms import FORMS

__all__ = ["SmartState", "router"]

router = APIRouter(prefix="/smart", include_in_schema=False, lifespan=lifespan)
router.include_router(signin.router)


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


def _audit(
    request: Request,
    state: SmartState,
    session: Session,
    form: str | None,
    status: int,
    action: Literal["C", "R"],
    written: list[str] | None = None,
) -> None:
    # The path as the app names it: a form spinemets has, never what the caller typed.
    path = "/smart/" if form is None else f"/smart/form/{form if form in FORMS else '-'}"
    base = state.settings.public_base_url
    record(request.app.state, session, path, status, action, base=base, written=written or ())


async def _view(request: Request, state: SmartState, form: str | None) -> Response:
    session = await _session(request, state)
    if session is None:
        return problem(
            state.settings.root, 401, "Not signed in", "Launch the app from the patient's record."
        )
    answer = await _shown(session, state, form)
    _audit(request, state, session, form, answer.status_code, "R")
    return answer


async def _shown(session: Session, state: SmartState, form: str | None) -> Response:
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
    written: list[str] = []
    read: list[bool] = []  # an add writes nothing: a read
    answer = await _submitted(name, request, session, state, written, read)
    _audit(request, state, session, name, answer.status_code, "R" if read else "C", written)
    return answer


async def _submitted(
    name: str,
    request: Request,
    session: Session,
    state: SmartState,
    written: list[str],
    read: list[bool],
) -> Response:
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
    levels = [v for k, v in pairs if k == "level"]
    if fields.get(ADD) == "level":  # nothing is written: the form again, one level more
        read.append(True)
        return await _with_level(session, name, fields, levels, state)
    missing = missing_writes(session.scope)
    if missing:  # audited as the create it was asked for, refused (a save reads the record too)
        why = f"The granted scopes do not allow saving a form (missing {', '.join(missing)})"
        return await _not_allowed(session, name, fields, levels, state, why)
    return await _save(session, name, fields, levels, state, written)


async def _not_allowed(
    session: Session,
    name: str,
    fields: dict[str, str],
    levels: list[str],
    state: SmartState,
    why: str,
) -> Response:
    """A save the granted scopes cannot make: the form again with every entry in it, for the
    clinician to record them in the EHR, and why in an alert. Nothing is written."""
    root = state.settings.root
    renewal = Renewal(session, state.settings, state.transport)
    try:
        view = await renewal.call(lambda: View.read(session, state.limits, state.rules))
        entries = kept(view, session, name, fields, levels)
    except (FhirServerError, InputError):  # the refusal first: the form cannot be shown again
        return problem(root, 403, "Not allowed", f"{why}: nothing was written.")
    message = f"Not saved: {why}."
    if entries.changed:  # a colleague's finding in an answer's place: never copied as theirs
        changes = "; ".join(entries.changed)
        message += f" The record changed since the form was shown: {changes}. Check them."
    message += " Your entries are kept below: record them in the EHR."
    page = await asyncio.to_thread(
        show, view, session, name, message, root,
        entries=entries.response, error=True, ticked=entries.ticked, shown_as=entries.shown,
    )  # fmt: skip
    return html(page, 403)


async def _with_level(
    session: Session, name: str, fields: dict[str, str], levels: list[str], state: SmartState
) -> Response:
    """The form again with the level "Add the level" chose, in spine order, every entry kept:
    ticks as ticks, an answer left as shown as the record has it now (each change named). A
    level the form cannot take, or none chosen, is said the same way, the entries kept. Nothing
    is written."""
    root = state.settings.root
    renewal = Renewal(session, state.settings, state.transport)
    try:
        view = await renewal.call(lambda: View.read(session, state.limits, state.rules))
    except FhirServerError as exc:
        return fhir_problem(exc, root)
    except InputError as exc:
        return problem(root, 400, "Record not readable", str(exc))
    refused: str | None = None
    try:
        level = added_level(name, fields, addable_levels(view, name))
    except InputError as exc:
        level, refused = None, f"Level not added: {exc}."
    # Spine order; a level no form asks about (a crafted post) last, for the form to refuse.
    more = sorted(
        {*levels, *([level] if level else [])},
        key=lambda lv: level_order(lv) if lv in LEVELS else len(LEVELS),
    )
    try:
        entries = kept(view, session, name, fields, more)
    except InputError as exc:  # an answer the form cannot take: said as any refusal
        return problem(root, 400, "Level not added", f"Nothing was written: {exc}")
    said = [refused] if refused else []
    if level is not None:
        said.append(
            f"{level} is already in the form." if level in levels
            else f"{level} added: answer its questions, then save."
        )  # fmt: skip
    if entries.changed:
        changes = "; ".join(entries.changed)
        said.append(f"The record changed since the form was shown: {changes}. Check them.")
    alarm = refused is not None or bool(entries.changed)
    page = await asyncio.to_thread(
        show, view, session, name, " ".join(said), root,
        entries=entries.response, error=alarm, ticked=entries.ticked, shown_as=entries.shown,
        # The focus goes to the level added, unless an alert above it must be read first.
        focus=level if level is not None and level not in levels and not alarm else None,
    )  # fmt: skip
    return html(page, 400 if refused else 200)


async def _changed_under(
    view: View,
    session: Session,
    name: str,
    changed: ChangedUnderForm,
    levels: list[str],
    root: str,
) -> Response:
    """Nothing written: the form again with the ticked answers as the record has them now and
    every other entry kept, and which answers changed."""
    try:
        entries = completed(view, session, name, changed.fields, levels)
    except InputError as exc:  # another answer the form cannot take: say so, as any refusal
        return problem(root, 400, "Not saved", f"Nothing was written: {changed}; {exc}")
    message = f"Not saved: {changed}. Your entries are kept below."
    page = await asyncio.to_thread(show, view, session, name, message, root, entries=entries)
    return html(page, 400)


async def _save(
    session: Session,
    name: str,
    fields: dict[str, str],
    levels: list[str],
    state: SmartState,
    written: list[str],
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
    except ChangedUnderForm as changed:  # the form again, as the record is now, entries kept
        return await _changed_under(before, session, name, changed, levels, root)
    except InputError as exc:
        return problem(root, 400, "Not saved", f"Nothing was written: {exc}")
    except FhirServerError as exc:
        return fhir_problem(exc, root)
    if not has_answer(name, response):  # nothing answered, nothing shown from the record
        message = "Not saved: the form has no answer."
        page = await asyncio.to_thread(show, before, session, name, message, root, entries=response)
        return html(page, 400)
    try:
        written += await renewal.call(lambda: save(session, response, timeout))
    except FhirServerError as exc:
        status, _, what = refusal(exc)
        message = f"Not saved: {what} Your entries are kept below."
        page = await asyncio.to_thread(show, before, session, name, message, root, entries=response)
        return html(page, status)
    except InputError as exc:  # an answer $extract refuses (a count below its minimum)
        message = f"Not saved: {exc}. Your entries are kept below."
        page = await asyncio.to_thread(show, before, session, name, message, root, entries=response)
        return html(page, 400)
    try:
        after = await renewal.call(lambda: View.read(session, state.limits, state.rules))
    except FhirServerError:
        message = (
            "Saved. The record could not be read again to show the new scores: reload the page."
        )
        return html(await asyncio.to_thread(show, before, session, None, message, root))
    message = saved_message(before, after, levels, written)
    return html(await asyncio.to_thread(show, after, session, None, message, root))
