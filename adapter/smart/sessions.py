"""Server-side sessions of the SMART app: the browser holds only a random id in a cookie.

The access and refresh tokens never leave the server (nor its logs: :class:`Session` leaves
them out of its ``repr``). The cookie is ``HttpOnly``, ``SameSite=Lax`` (the authorization
server's redirect back is a top-level GET, which Lax lets through; a cross-site POST is not) and
``Secure`` whenever the public base URL is https or loopback. Sessions live in the serving
process's memory: behind several workers, route a user to one worker (docs/smart-app.md).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import OrderedDict
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


class SessionStore:
    """At most ``capacity`` sessions, each for ``seconds``; the oldest go first when full."""

    def __init__(self, seconds: float, capacity: int) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def new(self) -> Session:
        self._expire()
        while len(self._sessions) >= self.capacity:
            self._sessions.popitem(last=False)
        session = Session(secrets.token_urlsafe(32), time.monotonic() + self.seconds)
        self._sessions[session.id] = session
        return session

    def get(self, sid: str | None) -> Session | None:
        session = self._sessions.get(sid) if sid else None
        if session is None or session.expires < time.monotonic():
            if session is not None:
                del self._sessions[session.id]
            return None
        return session

    def rotate(self, session: Session) -> Session:
        """The same session under a new id (after the login: no fixation of an id given before)."""
        self._sessions.pop(session.id, None)
        session.id = secrets.token_urlsafe(32)
        self._sessions[session.id] = session
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid in [s for s, v in self._sessions.items() if v.expires < now]:
            del self._sessions[sid]


def set_cookie(
    response: Response, session: Session, seconds: int, secure: bool, path: str = "/smart"
) -> None:
    response.set_cookie(
        COOKIE, session.id, max_age=seconds, path=path, secure=secure, httponly=True,
        samesite="lax",
    )  # fmt: skip
