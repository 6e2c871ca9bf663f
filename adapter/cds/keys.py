"""The trusted issuers' JWK Sets: local (a file or inline) or fetched; cached; one fetch at a time.

A set is named by its *source*: ``local:<iss>`` for an issuer's own file or inline set (also
answering the ``jku`` URLs listed in ``local_jku``), ``url:<url>`` for a fetched one. An unknown
``kid`` fetches (or re-reads) the set again at most every :data:`REFRESH_COOLDOWN` seconds; until
then the ``kid`` stays unknown (a negative cache), and so does a set whose fetch failed. However
many requests miss at once, one fetch per set is in flight (single-flight). Failures are logged
with their reason; the caller only ever learns "unknown kid" or "JWK Set unavailable".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson

from adapter.cds.settings import Issuer
from adapter.errors import AuthenticationError, ConfigurationError

__all__ = ["MAX_JWKS_BYTES", "REFRESH_COOLDOWN", "KeyStore", "parse_jwks", "read_local_keys"]

log = logging.getLogger("spinemets.cds.keys")

REFRESH_COOLDOWN = 30.0  # an unknown kid or a failed fetch refetches a set at most this often
MAX_JWKS_BYTES = 1024 * 1024  # a JWK Set is a few KiB; refuse to buffer a hostile server's flood


def parse_jwks(raw: bytes | Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The keys of a JWK Set by ``kid`` (keys without a kid cannot be chosen, so are skipped)."""
    data = orjson.loads(raw) if isinstance(raw, bytes) else raw
    if not isinstance(data, Mapping):
        raise ValueError("a JWK Set is a JSON object")
    keys = jwt.PyJWKSet.from_dict(dict(data)).keys
    return {k.key_id: k for k in keys if isinstance(k.key_id, str) and k.key_id}


@dataclass(slots=True)
class _Set:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    checked: float = float("-inf")  # monotonic time of the last fetch attempt
    failed: bool = False


def _read(path: Path) -> dict[str, jwt.PyJWK]:
    with path.open("rb") as handle:
        return parse_jwks(handle.read(MAX_JWKS_BYTES + 1))


def read_local_keys(issuer: Issuer) -> dict[str, jwt.PyJWK] | None:
    """An issuer's file or inline keys (None if it has neither); ConfigurationError if unusable."""
    try:
        if issuer.jwks is not None:
            keys = parse_jwks(issuer.jwks)
        elif issuer.jwks_file is not None:
            keys = _read(issuer.jwks_file)
        else:
            return None
    except OSError as exc:
        raise ConfigurationError(
            f"issuer {issuer.iss}: cannot read jwks_file {issuer.jwks_file}: {exc.strerror or exc}"
        ) from None
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise ConfigurationError(
            f"issuer {issuer.iss}: its JWK Set is not usable ({type(exc).__name__})"
        ) from None
    if not keys:
        raise ConfigurationError(f"issuer {issuer.iss}: its JWK Set has no key with a kid")
    return keys


class KeyStore:
    """Signing keys by issuer and ``kid``; one instance per app."""

    def __init__(
        self,
        issuers: Sequence[Issuer],
        http: httpx.AsyncClient,
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._issuers = {i.iss: i for i in issuers}
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._sets: dict[str, _Set] = {}
        self._inflight: dict[str, asyncio.Future[_Set]] = {}

    def load_local(self) -> None:
        """Read every local set now: a missing or malformed one stops start-up (exit 2)."""
        for issuer in self._issuers.values():
            keys = read_local_keys(issuer)
            if keys is not None:
                self._sets[f"local:{issuer.iss}"] = _Set(keys, self._clock())

    def source(self, issuer: Issuer, jku: str | None) -> str:
        """The set that signs this issuer's token with this ``jku`` header (None: no header)."""
        if jku is None:
            if issuer.local:
                return f"local:{issuer.iss}"
            if issuer.jwks_url is not None:
                return f"url:{issuer.jwks_url}"
            raise AuthenticationError("no jku and no configured JWK Set")
        if jku in issuer.local_jku:
            return f"local:{issuer.iss}"
        if jku in issuer.jku or jku == issuer.jwks_url:
            return f"url:{jku}"
        raise AuthenticationError("jku not allowed for this issuer")

    async def key(self, source: str, kid: str) -> jwt.PyJWK:
        """The key ``kid`` of a set, refreshing the set once per cooldown when it is unknown."""
        cached = self._sets.get(source)
        if cached is not None and kid in cached.keys:
            return cached.keys[kid]
        if cached is None or self._clock() - cached.checked >= REFRESH_COOLDOWN:
            cached = await self._refresh(source)
        if kid in cached.keys:
            return cached.keys[kid]
        if cached.failed and not cached.keys:
            raise AuthenticationError("JWK Set unavailable")
        raise AuthenticationError("unknown kid")

    async def _refresh(self, source: str) -> _Set:
        pending = self._inflight.get(source)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(source))
            self._inflight[source] = pending
            pending.add_done_callback(lambda _: self._inflight.pop(source, None))
        # Shielded: a caller that gives up must not cancel the fetch the others wait on.
        return await asyncio.shield(pending)

    async def _fetch(self, source: str) -> _Set:
        old = self._sets.get(source) or _Set()
        try:
            if source.startswith("local:"):
                keys = await self._reload(source.removeprefix("local:"))
            else:
                keys = await self._download(source.removeprefix("url:"))
            fresh = _Set(keys, self._clock())
        except (httpx.HTTPError, OSError, ValueError, TypeError, jwt.PyJWTError) as exc:
            log.warning("JWK Set %s unavailable: %s", source, _reason(exc))
            fresh = _Set(old.keys, self._clock(), failed=True)  # old keys stay usable
        self._sets[source] = fresh
        return fresh

    async def _reload(self, iss: str) -> dict[str, jwt.PyJWK]:
        issuer = self._issuers[iss]
        if issuer.jwks is not None:
            return parse_jwks(issuer.jwks)
        assert issuer.jwks_file is not None  # a local: source has one or the other
        return await asyncio.to_thread(_read, issuer.jwks_file)

    async def _download(self, url: str) -> dict[str, jwt.PyJWK]:
        async with self._http.stream("GET", url, timeout=self._timeout) as response:
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise ValueError(f"JWK Set over {MAX_JWKS_BYTES} bytes")
        return parse_jwks(bytes(body))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"[:200]
