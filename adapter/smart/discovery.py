"""The SMART configuration of each allowed FHIR server, kept for a while.

A launch needs no credential, so without a cache every anonymous ``GET /smart/launch`` would
make a request to the EHR. A configuration fetched is kept ``SPINEMETS_SMART_DISCOVERY_SECONDS``;
a failed fetch is kept briefly too (at most :data:`FAILURE_SECONDS`), so a broken server is not
asked once per launch, yet is asked again soon. Launches at once for the same server wait for
one fetch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from adapter.smart.oauth import Endpoints, LaunchError, discover
from adapter.smart.settings import SmartSettings

__all__ = ["FAILURE_SECONDS", "Discovery"]

FAILURE_SECONDS = 10.0


class Discovery:
    """The endpoints of each ``iss`` (the allowlist bounds how many are kept)."""

    def __init__(self, settings: SmartSettings, transport: Any = None) -> None:
        self.settings, self.transport = settings, transport
        self.seconds = float(settings.smart_discovery_seconds)
        self.clock: Callable[[], float] = time.monotonic
        self._kept: dict[str, tuple[float, Endpoints | LaunchError]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def endpoints(self, iss: str) -> Endpoints:
        """The endpoints of ``iss``; LaunchError when its configuration is unusable."""
        async with self._locks.setdefault(iss, asyncio.Lock()):
            kept = self._kept.get(iss)
            if kept is None or kept[0] <= self.clock():
                kept = await self._fetch(iss)
                self._kept[iss] = kept
        found = kept[1]
        if isinstance(found, LaunchError):
            raise LaunchError(str(found))
        return found

    async def _fetch(self, iss: str) -> tuple[float, Endpoints | LaunchError]:
        try:
            found: Endpoints | LaunchError = await discover(iss, self.settings, self.transport)
            seconds = self.seconds
        except LaunchError as exc:
            found, seconds = exc, min(self.seconds, FAILURE_SECONDS)
        return self.clock() + seconds, found
