"""The SMART app's state: its settings, sessions and SMART configurations, made once per app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request

from adapter.mapping.rules import rules_of
from adapter.smart.discovery import Discovery
from adapter.smart.record import ReadLimits
from adapter.smart.sessions import SessionStore
from adapter.smart.settings import SmartSettings, smart_settings

__all__ = ["SmartState", "StateDep", "lifespan"]


class SmartState:
    """The app's settings and sessions; ``transport`` lets tests reach servers in process."""

    def __init__(self, settings: SmartSettings, transport: Any = None) -> None:
        self.settings = settings
        self.rules = rules_of(settings)  # as the service's cards score
        self.limits = ReadLimits.of(settings)  # as the service's fallback reads
        self.sessions = SessionStore(
            settings.smart_session_minutes * 60,
            settings.smart_max_sessions,
            pending_seconds=settings.smart_pending_minutes * 60,
            pending_capacity=settings.smart_max_pending,
        )
        self.discovery = Discovery(settings, transport)
        self.transport = transport
        self.refused_launches = 0  # for the full pending store, since it was last logged
        self.refused_logged = float("-inf")


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
async def lifespan(app: Any) -> AsyncIterator[None]:
    _open(app)  # unusable settings stop the start, not a user's first request
    yield


def _state(request: Request) -> SmartState:
    return _open(request.app)


StateDep = Annotated[SmartState, Depends(_state)]
