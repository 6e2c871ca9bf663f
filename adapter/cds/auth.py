"""Trusting CDS clients: verification of the client's JWT (CDS Hooks 2.0, "Trusting CDS Clients").

Order of checks, after the CDS Hooks best practices: the token's shape (a JWS whose header and
claims have the JSON types RFC 7515/7519 give them: every value is type-checked before it is
used), header (``alg`` ES384/RS384 only, ``typ`` JWT, ``kid``), issuer in the allowlist, ``jku``
allowlisted for that issuer, the signing key by ``kid`` (:mod:`adapter.cds.keys`), signature,
``aud`` equal to the URL called, ``exp``, ``iat`` and — when present — ``nbf`` (RFC 7519 §4.1.5)
within :data:`LEEWAY`, and ``jti`` not seen before by any process (:mod:`adapter.cds.replay`).
Any failure raises :class:`~adapter.errors.AuthenticationError`, which the app logs (the reason,
never the token) and answers with a bare 401.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import jwt
import orjson

from adapter.cds.keys import KeyStore
from adapter.cds.replay import MemoryReplayCache, ReplayCache
from adapter.cds.settings import Issuer
from adapter.errors import AuthenticationError

__all__ = ["ALGORITHMS", "LEEWAY", "MAX_LIFETIME", "Verifier"]

ALGORITHMS = frozenset({"ES384", "RS384"})  # spec: RECOMMENDED; never "none" or HMAC
_KEY_TYPES = {"ES384": "EC", "RS384": "RSA"}
LEEWAY = 60  # seconds of clock skew tolerated on exp, iat and nbf
MAX_LIFETIME = 3600  # the replay cache must outlive every accepted token; the spec suggests ≤ 1 h
_MAX_ID = 256  # characters of a kid or jti: ids, not documents
_LATEST = 1e11  # seconds since 1970 (year 5138): a later NumericDate is not a time


def _number(value: Any) -> bool:
    # A NumericDate (RFC 7519 §2): finite, and a time (JSON allows 1e400 and Python's parser
    # Infinity; neither may reach arithmetic or a store).
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value) and 0 <= value < _LATEST


def _short_string(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_ID


def _audience(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# Registered claims and the JSON type each must have (RFC 7519 §4.1), checked before any use.
_CLAIMS: Mapping[str, tuple[bool, Callable[[Any], bool]]] = {
    "iss": (True, lambda v: isinstance(v, str) and bool(v)),
    "aud": (True, _audience),
    "exp": (True, _number),
    "iat": (True, _number),
    "jti": (True, _short_string),
    "nbf": (False, _number),
}


def _check_claim_types(claims: Mapping[str, Any]) -> None:
    for name, (required, valid) in _CLAIMS.items():
        if name not in claims:
            if required:
                raise AuthenticationError(f"Missing claim {name}")
        elif not valid(claims[name]):
            raise AuthenticationError(f"claim {name} has the wrong type")


def _check_header(header: Mapping[str, Any]) -> tuple[str, str, str | None]:
    alg, kid, jku = header.get("alg"), header.get("kid"), header.get("jku")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise AuthenticationError("algorithm not allowed")
    if header.get("typ") != "JWT" or not isinstance(kid, str) or not _short_string(kid):
        raise AuthenticationError("typ JWT and kid are required")
    if jku is not None and not isinstance(jku, str):
        raise AuthenticationError("jku not allowed for this issuer")
    return alg, kid, jku


def _segment(text: str) -> dict[str, Any]:
    raw = base64.b64decode(text.translate(_URLSAFE) + "=" * (-len(text) % 4), validate=True)
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


_URLSAFE = str.maketrans("-_", "+/")
# The algorithm objects by name: PyJWT's own signature code (RFC 7518 §3.3; an ES384 signature
# is r || s, RFC 7518 §3.4, converted to DER for OpenSSL), without its decode, which parsed the
# token again and re-checked what is checked here already (about half the verification's time).
_SIGNERS = {name: jwt.algorithms.get_default_algorithms()[name] for name in ALGORITHMS}


def _check_signature(token: str, alg: str, key: Any) -> None:
    head, _, signature = token.rpartition(".")
    try:
        raw = base64.b64decode(
            signature.translate(_URLSAFE) + "=" * (-len(signature) % 4), validate=True
        )
        valid = _SIGNERS[alg].verify(head.encode("ascii"), key, raw)
    except (binascii.Error, ValueError, TypeError, jwt.PyJWTError) as exc:
        raise AuthenticationError(f"rejected: {type(exc).__name__}") from None
    if not valid:
        raise AuthenticationError("rejected: InvalidSignatureError")


def _check_claims(claims: Mapping[str, Any], audience: str, now: float) -> None:
    """RFC 7519 §4.1.3–4.1.6 with LEEWAY, after the types (_check_claim_types): the reasons are
    named as PyJWT names them, so the operator's log reads the same."""
    if claims["iat"] > now + LEEWAY:
        raise AuthenticationError("rejected: ImmatureSignatureError (iat)")
    if "nbf" in claims and claims["nbf"] > now + LEEWAY:
        raise AuthenticationError("rejected: ImmatureSignatureError (nbf)")
    if claims["exp"] <= now - LEEWAY:
        raise AuthenticationError("rejected: ExpiredSignatureError")
    if claims["exp"] - claims["iat"] > MAX_LIFETIME:
        raise AuthenticationError("token lifetime too long")
    aud = claims["aud"]
    if audience not in ([aud] if isinstance(aud, str) else aud):
        raise AuthenticationError("rejected: InvalidAudienceError")


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims, each parsed once: read to choose the key, and trusted only once
    the signature over these same bytes is verified."""
    parts = token.split(".")
    if len(parts) != 3:  # an empty signature ("alg": "none") is refused by the header check
        raise AuthenticationError("not a JWS")
    try:
        return _segment(parts[0]), _segment(parts[1])
    except (binascii.Error, ValueError):  # orjson.JSONDecodeError is a ValueError
        raise AuthenticationError("not a JWS") from None


class Verifier:
    """Verifies client JWTs against an issuer allowlist; one instance per app."""

    def __init__(
        self,
        issuers: Sequence[Issuer],
        http: httpx.AsyncClient,
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
        replay: ReplayCache | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        self._issuers = {i.iss: i for i in issuers}
        self._clock = clock
        self._replay: ReplayCache = replay or MemoryReplayCache()
        self._keys = keys or KeyStore(issuers, http, timeout=timeout)

    @property
    def enabled(self) -> bool:
        return bool(self._issuers)

    async def verify(self, token: str, audience: str) -> dict[str, Any]:
        """The token's claims, if every check passes."""
        header, unverified = _unverified(token)  # the signature is checked below, once the key is
        alg, kid, jku = _check_header(header)
        _check_claim_types(unverified)
        issuer = self._issuers.get(unverified["iss"])
        if issuer is None:
            raise AuthenticationError("issuer not allowed")
        key = await self._keys.key(self._keys.source(issuer, jku), kid)
        if key.key_type != _KEY_TYPES[alg]:
            raise AuthenticationError("key type does not match the algorithm")
        _check_signature(token, alg, key.key)
        claims = unverified  # the bytes just verified: parsed once, above
        _check_claims(claims, audience, self._clock())
        if not await self._replay.first_use(issuer.iss, claims["jti"], claims["exp"] + LEEWAY):
            raise AuthenticationError("jti replayed")
        return claims
