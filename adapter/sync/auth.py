"""How sync authenticates to a FHIR server: nothing, a static bearer token, or SMART Backend
Services (OAuth 2.0 client credentials with a private-key JWT assertion, RS384 or ES384).

Tokens and keys are never logged; ``repr`` of a source shows no secret.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapter.errors import ConfigurationError, FhirServerError

__all__ = ["NoAuth", "SmartBackendServices", "StaticToken", "TokenSource", "load_private_key"]

_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenSource(Protocol):
    async def token(self) -> str | None: ...


class NoAuth:
    async def token(self) -> str | None:
        return None


@dataclass(frozen=True, slots=True)
class StaticToken:
    value: str = field(repr=False)

    async def token(self) -> str | None:
        return self.value


@dataclass(frozen=True, slots=True)
class PrivateKey:
    key: Any = field(repr=False)
    algorithm: str
    kid: str


def load_private_key(path: Path, kid: str | None = None) -> PrivateKey:
    """A PEM private key or a private JWK (JSON); RS384 for RSA keys, ES384 for EC keys."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the SMART private key {path}: {exc.strerror}"
        ) from None
    try:
        if raw.lstrip().startswith(b"{"):
            jwk = orjson.loads(raw)
            key = jwt.PyJWK(jwk).key
            kid = kid or jwk.get("kid")
            kty = jwk.get("kty")
        else:
            key = load_pem_private_key(raw, password=None)
            kty = "EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "RSA"
            if kty == "RSA" and not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("neither RSA nor EC")
    except (ValueError, TypeError, jwt.PyJWKError, orjson.JSONDecodeError):
        raise ConfigurationError(f"{path} is not a PEM private key or a private JWK") from None
    if not kid:
        raise ConfigurationError("the SMART key needs a kid (in the JWK, or --smart-kid)")
    return PrivateKey(key, "ES384" if kty == "EC" else "RS384", kid)


@dataclass(slots=True)
class SmartBackendServices:
    """Client-credentials tokens for a registered backend client, cached until near expiry."""

    http: httpx.AsyncClient = field(repr=False)
    token_url: str
    client_id: str
    key: PrivateKey = field(repr=False)
    scope: str = (
        "system/Patient.read system/Observation.read system/Condition.read "
        "system/Observation.write system/RiskAssessment.write system/Provenance.write"
    )
    _cached: tuple[str, float] | None = field(default=None, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def assertion(self, now: float) -> str:
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": self.token_url,
            "exp": int(now) + 300,
            "iat": int(now),
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key.kid, "typ": "JWT"}
        return jwt.encode(claims, self.key.key, algorithm=self.key.algorithm, headers=headers)

    async def token(self) -> str | None:
        async with self._lock:
            now = time.time()
            if self._cached is not None and self._cached[1] > now + 30:
                return self._cached[0]
            form = {
                "grant_type": "client_credentials",
                "scope": self.scope,
                "client_assertion_type": _ASSERTION_TYPE,
                "client_assertion": self.assertion(now),
            }
            try:
                response = await self.http.post(self.token_url, data=form, timeout=30)
            except httpx.HTTPError as exc:
                raise FhirServerError(
                    f"token endpoint unreachable ({type(exc).__name__})"
                ) from None
            if response.status_code != 200:
                raise FhirServerError(
                    f"token endpoint answered {response.status_code}", status=response.status_code
                )
            try:
                body = response.json()
                access, lifetime = body["access_token"], float(body.get("expires_in", 300))
            except (ValueError, KeyError, TypeError):
                raise FhirServerError("token endpoint answer has no access_token") from None
            self._cached = (str(access), now + lifetime)
            return self._cached[0]
