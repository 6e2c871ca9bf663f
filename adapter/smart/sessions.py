"""Server-side sessions of the SMART app: the browser holds only a random id in a cookie.

The access and refresh tokens never leave the server (nor its logs: :class:`Session` leaves
them out of its ``repr``). The cookie is ``HttpOnly``, ``SameSite=Lax`` (the authorization
server's redirect back is a top-level GET, which Lax lets through; a cross-site POST is not) and
``Secure`` whenever the public base URL is https or loopback. Sessions live in the serving
process's memory: behind several workers, route a user to one worker (docs/smart-app.md).

A launch costs its caller nothing (no credential), so launches not yet signed in live apart from
signed-in sessions, in a small store of their own with a short lifetime: however many anonymous
launches come, they never displace a signed-in clinician; when that store is full, launches are
refused until one signs in or expires.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Response

__all__ = ["COOKIE", "Pending", "Session", "SessionStore", "set_cookie"]

COOKIE = "spinemets-smart"


@dataclass(slots=True)
class Pending:
    """A launch under way: what the callback checks and needs."""

    state: str
    verifier: str = field(repr=False)
    fhir_server: str
    token_endpoint: str
    issuer: str | None = None


@dataclass(slots=True)
class Session:
    id: str
    expires: float
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    pending: Pending | None = None
    fhir_server: str | None = None
    access_token: str | None = field(default=None, repr=False)
    token_expires: float = 0.0
    refresh_token: str | None = field(default=None, repr=False)
    token_endpoint: str | None = None  # where the refresh token is spent
    # one refresh at a time: a rotated refresh token spent twice would end the session
    refreshing: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False, compare=False)
    scope: str = ""
    patient: str | None = None
    app_context: dict[str, Any] = field(default_factory=dict)
    user: str | None = None  # who signed in (``fhirUser``), when the id_token said so

    @property
    def authorised(self) -> bool:
        return self.access_token is not None and self.patient is not None


def _expire(sessions: OrderedDict[str, Session], now: float) -> None:
    for sid in [s for s, v in sessions.items() if v.expires < now]:
        del sessions[sid]


class SessionStore:
    """At most ``capacity`` signed-in sessions, each for ``seconds`` from its sign-in (when
    full, the expired go first, then the oldest), and apart from them at most
    ``pending_capacity`` launches not yet signed in, each for ``pending_seconds``."""

    def __init__(
        self,
        seconds: float,
        capacity: int,
        *,
        pending_seconds: float = 600,
        pending_capacity: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds, self.capacity = seconds, capacity
        self.pending_seconds, self.pending_capacity = pending_seconds, pending_capacity
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # signed in
        self._pending: OrderedDict[str, Session] = OrderedDict()

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def new(self) -> Session | None:
        """A launch's session, pending until :meth:`rotate`; None when the store is full."""
        now = self.clock()
        if len(self._pending) >= self.pending_capacity:
            _expire(self._pending, now)
            if len(self._pending) >= self.pending_capacity:
                return None
        session = Session(secrets.token_urlsafe(32), now + self.pending_seconds)
        self._pending[session.id] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        for sessions in (self._sessions, self._pending):
            session = sessions.get(sid)
            if session is not None:
                if session.expires < self.clock():
                    del sessions[sid]
                    return None
                return session
        return None

    def rotate(self, session: Session) -> Session:
        """The session signed in, under a new id (no fixation of an id given before the login),
        for the session's whole lifetime from now."""
        self._pending.pop(session.id, None)
        self._sessions.pop(session.id, None)
        now = self.clock()
        if len(self._sessions) >= self.capacity:
            _expire(self._sessions, now)
        while len(self._sessions) >= self.capacity:
            self._sessions.popitem(last=False)
        session.id = secrets.token_urlsafe(32)
        session.expires = now + self.seconds
        self._sessions[session.id] = session
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)
        self._pending.pop(session.id, None)


def set_cookie(
    response: Response, session: Session, seconds: int, secure: bool, path: str = "/smart"
) -> None:
    response.set_cookie(
        COOKIE, session.id, max_age=seconds, path=path, secure=secure, httponly=True,
        samesite="lax",
    )  # fmt: skip
