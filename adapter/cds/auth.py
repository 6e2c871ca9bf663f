"""Trusting CDS clients: verification of the client's JWT (CDS Hooks 2.0, "Trusting CDS Clients").

Order of checks, after the CDS Hooks best practices: header (``alg`` ES384/RS384 only, ``typ``
JWT, ``kid``), issuer in the allowlist, ``jku`` allowlisted for that issuer, the signing key by
``kid`` from the issuer's JWK Set (cached; fetched again on an unknown ``kid``, at most every
:data:`REFRESH_COOLDOWN` seconds), signature, ``aud`` equal to the URL called, ``exp``/``iat``
within :data:`LEEWAY`, and ``jti`` not seen before. Any failure raises
:class:`~adapter.errors.AuthenticationError`, which the app turns into a bare 401. Tokens are
never logged; failure messages name the check, not the token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import orjson

from adapter.cds.settings import Issuer
from adapter.errors import AuthenticationError

__all__ = ["ALGORITHMS", "LEEWAY", "MAX_LIFETIME", "REFRESH_COOLDOWN", "Verifier"]

ALGORITHMS = frozenset({"ES384", "RS384"})  # spec: RECOMMENDED; never "none" or HMAC
_KEY_TYPES = {"ES384": "EC", "RS384": "RSA"}
LEEWAY = 60  # seconds of clock skew tolerated on exp and iat
MAX_LIFETIME = 3600  # the replay cache must outlive every accepted token; the spec suggests ≤ 1 h
REFRESH_COOLDOWN = 30.0  # an unknown kid refetches a JWK Set at most this often


@dataclass(slots=True)
class _KeySet:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched: float = float("-inf")


class Verifier:
    """Verifies client JWTs against an issuer allowlist; one instance per app."""

    def __init__(
        self,
        issuers: Sequence[Issuer],
        http: httpx.AsyncClient,
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers = {i.iss: i for i in issuers}
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._sets: dict[str, _KeySet] = {}
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) → exp
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self._issuers)

    async def verify(self, token: str, audience: str) -> dict[str, Any]:
        """The token's claims, if every check passes."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationError("not a JWS") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise AuthenticationError("algorithm not allowed")
        if header.get("typ") != "JWT" or not isinstance(kid, str) or not kid:
            raise AuthenticationError("typ JWT and kid are required")
        issuer = self._issuers.get(unverified.get("iss"))  # type: ignore[arg-type]
        if issuer is None:
            raise AuthenticationError("issuer not allowed")
        source = self._source(issuer, header.get("jku"))
        key = await self._key(issuer, source, kid)
        if key.key_type != _KEY_TYPES[alg]:
            raise AuthenticationError("key type does not match the algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"rejected: {type(exc).__name__}") from None
        self._check_times(claims)
        await self._check_replay(issuer.iss, claims)
        return claims

    def _source(self, issuer: Issuer, jku: Any) -> str:
        if jku is None:
            if issuer.jwks_url is not None:
                return issuer.jwks_url
            if issuer.jwks_file is not None:
                return f"file:{issuer.jwks_file}"
            raise AuthenticationError("no jku and no configured JWK Set")
        if not isinstance(jku, str) or (jku not in issuer.jku and jku != issuer.jwks_url):
            raise AuthenticationError("jku not allowed for this issuer")
        return jku

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        iat, exp = claims["iat"], claims["exp"]
        if not isinstance(iat, int | float) or iat > now + LEEWAY:
            raise AuthenticationError("iat in the future")
        if not isinstance(exp, int | float) or exp - iat > MAX_LIFETIME:
            raise AuthenticationError("token lifetime too long")

    async def _check_replay(self, iss: str, claims: Mapping[str, Any]) -> None:
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthenticationError("jti must be a string")
        now = self._clock()
        async with self._lock:
            for key in [k for k, exp in self._seen.items() if exp + LEEWAY < now]:
                del self._seen[key]
            if (iss, jti) in self._seen:
                raise AuthenticationError("jti replayed")
            self._seen[(iss, jti)] = float(claims["exp"])

    async def _key(self, issuer: Issuer, source: str, kid: str) -> jwt.PyJWK:
        cached = self._sets.get(source)
        if cached is not None and kid in cached.keys:
            return cached.keys[kid]
        now = time.monotonic()
        if cached is None or now - cached.fetched >= REFRESH_COOLDOWN:
            cached = _KeySet(await self._fetch(source), now)
            self._sets[source] = cached
        if kid not in cached.keys:
            raise AuthenticationError("unknown kid")
        return cached.keys[kid]

    async def _fetch(self, source: str) -> dict[str, jwt.PyJWK]:
        try:
            if source.startswith("file:"):
                raw = await asyncio.to_thread(_read_file, source[len("file:") :])
            else:
                response = await self._http.get(source, timeout=self._timeout)
                response.raise_for_status()
                raw = response.content
            jwks = jwt.PyJWKSet.from_dict(orjson.loads(raw))
        except (httpx.HTTPError, OSError, orjson.JSONDecodeError, jwt.PyJWTError, TypeError):
            raise AuthenticationError("JWK Set unavailable") from None
        return {k.key_id: k for k in jwks.keys if k.key_id}


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()
