"""The trusted CDS clients of ``SPINEMETS_ISSUERS``: each one's ``iss`` and where its keys are."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Issuer", "is_loopback", "is_loopback_url"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (no DNS: a name may move)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names a loopback host literally."""
    return is_loopback(urlsplit(url).hostname or "")


def _key_url(iss: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and is_loopback_url(url):
        return url  # a JWK Set served on this machine (development, tests)
    raise ValueError(f"issuer {iss}: JWK Set URL {url!r} is not https")


class Issuer(BaseModel):
    """A CDS client allowed to call: its ``iss`` and where its public keys are.

    Keys for tokens without a ``jku`` header come from exactly one of ``jwks_url`` (fetched),
    ``jwks_file`` (read at start-up) or ``jwks`` (an inline JWK Set). ``jku`` lists the JWK Set
    URLs a token may name, fetched when named; ``local_jku`` lists JWK Set URLs a token may name
    whose keys are the issuer's local ones (``jwks_file`` or ``jwks``), so they are never
    fetched. Any other ``jku`` is refused: a token cannot point at keys of its own choosing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(min_length=1)
    jwks_url: str | None = None
    jwks_file: Path | None = None
    jwks: dict[str, Any] | None = None
    jku: tuple[str, ...] = ()
    local_jku: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_keys(self) -> Issuer:
        given = [s for s in (self.jwks_url, self.jwks_file, self.jwks) if s is not None]
        if len(given) > 1:
            raise ValueError(f"issuer {self.iss}: give one of jwks_url, jwks_file, jwks")
        if not given and not self.jku:
            raise ValueError(f"issuer {self.iss}: give jwks_url, jwks_file, jwks or jku")
        if self.local_jku and self.jwks_file is None and self.jwks is None:
            raise ValueError(f"issuer {self.iss}: local_jku needs jwks_file or jwks")
        for url in (self.jwks_url, *self.jku, *self.local_jku):
            if url is not None:
                _key_url(self.iss, url)
        return self

    @property
    def local(self) -> bool:
        """Whether the issuer's own keys are local (a file or inline), not fetched."""
        return self.jwks_file is not None or self.jwks is not None
