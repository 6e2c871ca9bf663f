"""A SMART App Launch 2.2 launch-context test server: the EHR side of a launch, for the tests.

No off-the-shelf authorization server can supply SMART's launch context (``patient`` and
``appContext`` in the token response, bound to a ``launch`` id) without an extension of its own
(Keycloak needs a custom protocol mapper and authenticator), so the suite uses this one. It
enforces what SMART 2.2 asks of an authorization server and of the FHIR endpoint it guards:

- ``/.well-known/smart-configuration`` on the FHIR base (S256 only, the endpoints, capabilities);
- ``/authorize``: the registered client and redirect URI, ``response_type=code``, a ``state``,
  ``aud`` equal to the FHIR base, PKCE with ``S256`` (``plain`` is refused), and for an EHR
  launch (scope ``launch``) a ``launch`` id it issued; a standalone launch (``launch/patient``)
  gets the configured patient. The user approves at once (a test has no one to ask);
- ``/token``: the code once, within a minute, with the same client and redirect URI, and a
  ``code_verifier`` whose S256 hash is the challenge; the answer carries ``patient``, the scopes
  granted (requested, narrowed by ``grant``), ``expires_in`` and the launch's ``appContext``;
  with ``openid fhirUser`` granted, an OpenID Connect ``id_token`` (RS256, a throwaway key) whose
  ``fhirUser`` is the signed-in ``user``; with ``online_access`` or ``offline_access`` granted,
  a ``refresh_token``, which ``grant_type=refresh_token`` (same client) spends once for a new
  access token and a new refresh token (rotation); an unknown or spent one is refused;
- ``/fhir/...``: proxied to the real FHIR server only with a token that has not expired, whose
  scopes allow the interaction on that resource type (transaction entries each checked), and for
  that patient's compartment only.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from tests.support.serving import Running

__all__ = ["Running", "SmartServer", "allows", "s256"]

_OPS = {"GET": "r", "POST": "c", "PUT": "u", "PATCH": "u", "DELETE": "d"}
_SCOPE = re.compile(r"^patient/(\*|[A-Za-z]+)\.([cruds]+)$")


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    """One throwaway key per test process: the app checks the claims, not the signature."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    patient: str
    app_context: str | None
    issued: float = field(default_factory=time.monotonic)


@dataclass
class Token:
    scope: str
    patient: str
    expires: float


def allows(scope: str, resource_type: str, ops: str) -> bool:
    """Whether SMART v2 scopes allow every interaction of ``ops`` on ``resource_type``."""
    have: set[str] = set()
    for part in scope.split():
        match = _SCOPE.match(part)
        if match and match.group(1) in ("*", resource_type):
            have |= set(match.group(2))
    return set(ops) <= have


class SmartServer:
    """The server's state; ``app`` is its ASGI application, ``base`` its URL once started."""

    def __init__(self, upstream: str, client_id: str, redirect_uri: str, *,
                 patient: str | None = None, token_seconds: int = 300,
                 grant: str | None = None, user: str | None = "Practitioner/dr-1",
                 ) -> None:  # fmt: skip
        self.upstream = upstream.rstrip("/")
        # the signed-in user (relative to the FHIR base); ``claims`` overrides the id_token's
        # claims (None drops one), ``raw_id_token`` replaces the whole id_token: for the tests
        self.user = user
        self.claims: dict[str, Any] = {}
        self.raw_id_token: str | None = None
        self.client_id, self.redirect_uri = client_id, redirect_uri
        self.patient, self.token_seconds, self.grant = patient, token_seconds, grant
        self.launches: dict[str, tuple[str, str | None]] = {}
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}  # ``expires``: unused (while online)
        self.rotate = True  # False: a refresh token is kept and used again (RFC 6749 §6 allows)
        self.refusals: list[str] = []  # why each refused request was refused, for the tests
        self.base = ""
        self.app = self._build()

    @property
    def fhir_base(self) -> str:
        return f"{self.base}/fhir"

    def launch(self, patient: str, app_context: str | None = None) -> str:
        """A launch id for this context, as an EHR makes one when it launches an app."""
        launch_id = secrets.token_urlsafe(16)
        self.launches[launch_id] = (patient, app_context)
        return launch_id

    def _refuse(self, why: str, status: int = 400, error: str = "invalid_request") -> Response:
        self.refusals.append(why)
        return JSONResponse({"error": error, "error_description": why}, status_code=status)

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.get("/fhir/.well-known/smart-configuration")(self._configuration)
        app.get("/authorize")(self._authorize)
        app.post("/token")(self._token)
        app.api_route("/fhir/{path:path}", methods=list(_OPS))(self._proxy)
        return app

    async def _configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/authorize",
            "token_endpoint": f"{self.base}/token",
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": ["launch", "launch/patient", "patient/*.cruds", "openid",
                                 "fhirUser", "online_access", "offline_access"],
            "response_types_supported": ["code"],
            "capabilities": ["launch-ehr", "launch-standalone", "client-public",
                             "context-ehr-patient", "context-standalone-patient", "permission-v2",
                             "permission-patient", "sso-openid-connect", "permission-online",
                             "permission-offline"],
        }  # fmt: skip

    def _context(self, q: dict[str, str], scopes: list[str]) -> tuple[str, str | None] | str:
        if "launch" in scopes:
            context = self.launches.pop(q.get("launch", ""), None)  # a launch id is used once
            return context or "launch: unknown or already used"
        if "launch/patient" in scopes and self.patient:
            return (self.patient, None)
        return "scope: neither launch (with a launch id) nor launch/patient"

    async def _authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        if q.get("client_id") != self.client_id or q.get("redirect_uri") != self.redirect_uri:
            return self._refuse("client_id or redirect_uri not registered")  # never redirect
        if q.get("response_type") != "code":
            return self._refuse("response_type must be code")
        if not q.get("state"):
            return self._refuse("state is required")
        if q.get("aud", "").rstrip("/") != self.fhir_base:
            return self._refuse("aud is not this FHIR server")
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) < 43:
            return self._refuse("PKCE with S256 is required")
        scopes = q.get("scope", "").split()
        context = self._context(q, scopes)
        if isinstance(context, str):
            return self._refuse(context)
        granted = [s for s in scopes if self.grant is None or s in self.grant.split()
                   or s.startswith("launch") or s in ("openid", "fhirUser")]  # fmt: skip
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(self.client_id, self.redirect_uri, q["code_challenge"],
                                 " ".join(granted), *context)  # fmt: skip
        query = urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(f"{self.redirect_uri}?{query}", status_code=302)

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        grant = self.codes.pop(form.get("code", ""), None)  # a code is used once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return self._refuse("unknown, used or missing code", error="invalid_grant")
        if time.monotonic() - grant.issued > 60:
            return self._refuse("code expired", error="invalid_grant")
        if (
            form.get("client_id") != grant.client_id
            or form.get("redirect_uri") != grant.redirect_uri
        ):
            return self._refuse("client_id or redirect_uri differ", error="invalid_grant")
        if s256(form.get("code_verifier", "")) != grant.challenge:
            return self._refuse("code_verifier does not match the challenge", error="invalid_grant")
        body = self._issue(grant.scope, grant.patient)
        body["need_patient_banner"] = True
        if grant.app_context is not None:
            body["appContext"] = grant.app_context
        if {"openid", "fhirUser"} <= set(grant.scope.split()) and self.user:
            body["id_token"] = self.raw_id_token or self._id_token()
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _refresh(self, form: dict[str, str]) -> Response:
        if form.get("client_id") != self.client_id:
            return self._refuse("refresh: client_id not registered", error="invalid_client")
        presented = form.get("refresh_token", "")
        tokens = self.refresh_tokens
        kept = tokens.pop(presented, None) if self.rotate else tokens.get(presented)
        if kept is None:
            return self._refuse("unknown or spent refresh_token", error="invalid_grant")
        body = self._issue(kept.scope, kept.patient, refresh=self.rotate)
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _issue(self, scope: str, patient: str, refresh: bool = True) -> dict[str, Any]:
        """A new access token (and refresh token, when online or offline access was granted)."""
        token = secrets.token_urlsafe(32)
        expires = time.monotonic() + self.token_seconds
        self.tokens[token] = Token(scope, patient, expires)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                                "expires_in": self.token_seconds, "scope": scope,
                                "patient": patient}  # fmt: skip
        if refresh and {"online_access", "offline_access"} & set(scope.split()):
            new = secrets.token_urlsafe(32)
            self.refresh_tokens[new] = Token(scope, patient, 0.0)
            body["refresh_token"] = new
        return body

    def _id_token(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.base,
            "sub": self.user,
            "aud": self.client_id,
            "iat": now,
            "exp": now + self.token_seconds,
            "fhirUser": f"{self.fhir_base}/{self.user}",
        }
        claims = {k: v for k, v in (claims | self.claims).items() if v is not None}  # fmt: skip
        return jwt.encode(claims, _signing_key(), algorithm="RS256")

    def _check(self, token: Token, method: str, path: str, body: bytes) -> str | None:
        """Why the request is not allowed, or None."""
        kind, _, rest = path.partition("/")
        if path == "" and method == "POST":  # a transaction: each entry on its own
            bundle = orjson.loads(body)
            for entry in bundle.get("entry", ()):
                req = entry.get("request", {})
                why = self._check(token, req.get("method", ""), req.get("url", ""), b"")
                if why is None and entry.get("resource", {}).get("subject", {}).get(
                    "reference") not in (None, f"Patient/{token.patient}"):  # fmt: skip
                    why = "a resource of another patient"
                if why:
                    return why
            return None
        kind, search = kind.split("?", 1)[0], "?" in path
        ops = _OPS.get(method, "x")
        if search:  # a search; a conditional update may create
            ops = {"r": "s", "u": "cu"}.get(ops, ops)
        if not allows(token.scope, kind, ops):
            return f"scope does not allow {method} {kind}"
        if method == "GET" and kind == "Patient" and rest != token.patient:
            return "another patient"
        if method == "GET" and kind != "Patient" and f"={token.patient}" not in path \
                and f"Patient/{token.patient}" not in path:  # fmt: skip
            return "a search outside the patient's compartment"
        return None

    async def _proxy(self, path: str, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = (
            self.tokens.get(header.removeprefix("Bearer "))
            if header.startswith("Bearer ")
            else None
        )
        if token is None or token.expires < time.monotonic():
            return self._refuse("no valid token", 401, "invalid_token")
        body = await request.body()
        target = path + (f"?{request.url.query}" if request.url.query else "")
        why = self._check(token, request.method, target, body)
        if why:
            return self._refuse(why, 403, "insufficient_scope")
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "accept", "prefer", "cache-control")}  # fmt: skip
        async with httpx.AsyncClient(timeout=60) as http:
            answer = await http.request(request.method, f"{self.upstream}/{target}",
                                        content=body, headers=headers)  # fmt: skip
        return Response(answer.content, status_code=answer.status_code,
                        media_type=answer.headers.get("content-type"))  # fmt: skip
