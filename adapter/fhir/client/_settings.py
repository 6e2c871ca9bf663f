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
    of a client opened with :meth:`FhirClient.connect`.
    """

    base_url: str
    auth: httpx.Auth | None = field(default=None, repr=False)
    timeout: float = 30.0
    max_pages: int = 1_000
    max_connections: int = 8

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("the FHIR server URL must be an http(s) URL with a host")
        if self.timeout <= 0 or self.max_pages < 1 or self.max_connections < 1:
            raise ConfigurationError("FHIR server limits must be positive")
