"""Authentication to a FHIR server as :class:`httpx.Auth`: a static bearer token, or SMART Backend
Services (OAuth 2.0 client credentials with a private-key JWT assertion, RS384 or ES384).

Both are applied per request by the client, so a token only ever goes to its own server. The SMART
token is fetched, cached and refreshed inside the auth flow, as httpx's own auth classes do: the
flow yields the token request (and, when no token URL is given, the server's
``.well-known/smart-configuration``) before the request it authenticates, under a lock so that
concurrent requests share one fetch. A 401 from the FHIR server drops the cached token and retries
once with a fresh one. Tokens and keys are never logged; ``repr`` shows no secret.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import re
import time
import uuid
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from adapter.errors import ConfigurationError, FhirServerError, InputError

__all__ = ["BearerToken", "PrivateKey", "SmartBackendAuth", "load_private_key", "no_cookies"]


def no_cookies() -> http.cookiejar.CookieJar:
    """A cookie jar that keeps none: for a client whose requests carry different users' tokens
    (the CDS service's), where a session cookie a server set for one user would ride along on
    the next user's request, whatever that request's own token allows."""
    # The jar itself: httpx copies a ``Cookies`` it is given into a jar of the default policy.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token
_SCOPE = (
    "system/Patient.read system/Observation.read system/Condition.read "
    "system/RiskAssessment.read system/Provenance.read "
    "system/Observation.write system/RiskAssessment.write system/Provenance.write"
)


class BearerToken(httpx.Auth):
    """A static bearer token (``Authorization: Bearer <token>``)."""

    def __init__(self, token: str) -> None:
        if not _TOKEN68.fullmatch(token):
            raise InputError("the bearer token is not a valid token (RFC 6750 b64token)")
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "BearerToken(***)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


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


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise FhirServerError(
            f"{what} answered {response.status_code}", status=response.status_code
        )
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise FhirServerError(f"{what} did not answer JSON") from None
    if not isinstance(body, dict):
        raise FhirServerError(f"{what} did not answer a JSON object")
    return body


class SmartBackendAuth(httpx.Auth):
    """Client-credentials tokens for a registered backend client, cached until 30 s before expiry.

    Without ``token_url``, the token endpoint is read from the FHIR server's
    ``.well-known/smart-configuration`` on first use. Only usable with an ``httpx.AsyncClient``.
    """

    def __init__(
        self,
        *,
        client_id: str,
        key: PrivateKey,
        token_url: str | None = None,
        fhir_base: str | None = None,
        scope: str = _SCOPE,
        clock: Any = time.time,
    ) -> None:
        if token_url is None and fhir_base is None:
            raise ConfigurationError("SMART Backend Services needs a token URL or a FHIR base URL")
        self.client_id, self.scope = client_id, scope
        self._key, self._clock = key, clock
        self._token_url = token_url
        self._fhir_base = (fhir_base or "").rstrip("/")
        self._cached: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SmartBackendAuth(client_id={self.client_id!r})"

    def assertion(self, now: float, audience: str) -> str:
        """The signed client assertion (RFC 7523) for the token endpoint ``audience``."""
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "exp": int(now) + 300,
            "iat": int(now),
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self._key.kid, "typ": "JWT"}
        return jwt.encode(claims, self._key.key, algorithm=self._key.algorithm, headers=headers)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("SmartBackendAuth needs an httpx.AsyncClient")

    def _fresh(self) -> str | None:
        if self._cached is not None and self._cached[1] > self._clock() + 30:
            return self._cached[0]
        return None

    async def _token(
        self, request: httpx.Request, *, renew: bool
    ) -> AsyncGenerator[httpx.Request | str, httpx.Response]:
        """Yields the requests a token needs (answers are sent back), then the token itself."""
        timeout = request.extensions.get("timeout")
        async with self._lock:
            if renew:
                self._cached = None
            token = self._fresh()
            if token is None:
                if self._token_url is None:
                    url = f"{self._fhir_base}/.well-known/smart-configuration"
                    found = yield httpx.Request(
                        "GET",
                        url,
                        headers={"Accept": "application/json"},
                        extensions={"timeout": timeout} if timeout else {},
                    )
                    await found.aread()
                    endpoint = _json(found, "the smart-configuration").get("token_endpoint")
                    if not isinstance(endpoint, str) or not endpoint.startswith("https://"):
                        raise ConfigurationError(
                            "the smart-configuration names no https token_endpoint"
                        )
                    self._token_url = endpoint
                now = self._clock()
                form = {
                    "grant_type": "client_credentials",
                    "scope": self.scope,
                    "client_assertion_type": _ASSERTION_TYPE,
                    "client_assertion": self.assertion(now, self._token_url),
                }
                answer = yield httpx.Request(
                    "POST",
                    self._token_url,
                    data=form,
                    extensions={"timeout": timeout} if timeout else {},
                )
                await answer.aread()
                body = _json(answer, "the token endpoint")
                access, lifetime = body.get("access_token"), body.get("expires_in", 300)
                if not isinstance(access, str) or not _TOKEN68.fullmatch(access):
                    raise FhirServerError("the token endpoint's answer has no usable access_token")
                if not isinstance(lifetime, int | float) or isinstance(lifetime, bool):
                    lifetime = 300
                self._cached = (access, now + float(lifetime))
                token = access
            yield token

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await request.aread()  # so that a 401 can be answered by sending it again
        for renew in (False, True):
            steps = self._token(request, renew=renew)
            step = await steps.__anext__()
            while not isinstance(step, str):
                step = await steps.asend((yield step))
            await steps.aclose()
            request.headers["Authorization"] = f"Bearer {step}"
            response = yield request
            if response.status_code != 401 or renew:
                return
