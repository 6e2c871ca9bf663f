"""How to reach one FHIR server: its base URL, time and paging limits, and how to authenticate."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from adapter.errors import ConfigurationError

__all__ = ["FhirServerSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FhirServerSettings:
    """Everything a :class:`FhirClient` needs to know about its server.

    ``auth`` is an :class:`httpx.Auth` (a static bearer token, SMART Backend Services, or None);
    it is applied to requests to this server only. ``max_connections`` bounds the connection pool
    of a client opened with :meth:`FhirClient.connect`. ``max_bytes``, when set, bounds the decoded
    bytes of every answer the client reads together (adapter/fhir/client/_budget.py): for servers
    spinemets does not run or configure, named by a request or a launch.
    """

    base_url: str
    auth: httpx.Auth | None = field(default=None, repr=False)
    timeout: float = 30.0
    max_pages: int = 1_000
    max_connections: int = 8
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("the FHIR server URL must be an http(s) URL with a host")
        positive = (self.max_pages, self.max_connections, self.max_bytes or 1)
        if self.timeout <= 0 or min(positive) < 1:
            raise ConfigurationError("FHIR server limits must be positive")
