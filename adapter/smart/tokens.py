"""The session's access token kept usable: refreshed before a request when it is about to expire,
and once after the FHIR server refuses it (401) although it had not expired — revoked, or its
lifetime shortened by the server.

A refresh happens under the session's ``refreshing`` lock: a rotated refresh token spent twice
would be refused and end the session. A 401 is the only refusal that is retried: the server took
nothing, so a save sent again is stored once; any other failure (a timeout, a 5xx) might have
been stored and is never sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from adapter.errors import FhirServerError
from adapter.smart.oauth import refresh
from adapter.smart.sessions import Session
from adapter.smart.settings import SmartSettings

__all__ = ["Renewal", "refresh_if_expiring"]

log = logging.getLogger("spinemets.smart")
_SOON = 30.0  # seconds: a token this close to expiring is refreshed before a read or a save
T = TypeVar("T")


async def refresh_if_expiring(session: Session, settings: SmartSettings, transport: Any) -> None:
    """Refresh the access token when it has expired or is about to, and a refresh token was
    granted; a refused refresh leaves the expired token (the caller then refuses the request)."""
    if session.refresh_token is not None and session.token_expires < time.monotonic() + _SOON:
        async with session.refreshing:
            if session.token_expires < time.monotonic() + _SOON:  # not done while waiting
                await refresh(session, settings, transport)


class Renewal:
    """One app request's calls to the FHIR server. A call refused with 401 is sent once more
    after the token is refreshed — once per app request, whatever number of calls it makes, so
    a server that refuses every token gets two tries, never a loop."""

    def __init__(self, session: Session, settings: SmartSettings, transport: Any = None) -> None:
        self.session = session
        self.settings = settings
        self.transport = transport
        self.spent = False  # the one retry of this app request

    async def call(self, send: Callable[[], Awaitable[T]]) -> T:
        """``send()``, and once more with a new token when the server answers it 401."""
        used = self.session.access_token  # the token send() goes with: no await in between
        try:
            return await send()
        except FhirServerError as exc:
            if exc.status != 401 or self.spent or not await self._renewed(used):
                raise
        return await send()

    async def _renewed(self, used: str | None) -> bool:
        """Whether the session now holds another token than ``used`` to try."""
        self.spent = True
        session = self.session
        async with session.refreshing:
            if session.access_token != used:
                return True  # another request refreshed it while this one waited: no new spend
            if session.refresh_token is None or not await refresh(
                session, self.settings, self.transport
            ):
                return False  # refresh() said why in the log, and dropped the refresh token
        log.info(
            "SMART session for Patient/%s: the FHIR server refused the token (401), refreshed",
            session.patient,
        )
        return True
