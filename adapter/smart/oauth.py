"""SMART App Launch 2.x for the app: discovery, the authorization request, the token exchange.

The OAuth 2 protocol is Authlib's (``AsyncOAuth2Client``, a public client with PKCE S256); this
module adds what SMART asks beyond OAuth 2: the ``.well-known/smart-configuration`` of the FHIR
server, the ``launch`` and ``aud`` parameters, the launch context (``patient``, ``appContext``)
in the token response, and the signed-in user (``openid fhirUser``, :mod:`.identity`). Tokens
and codes are never logged.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapter.errors import SpinemetsError
from adapter.smart.identity import IDENTITY_SCOPES, user_of
from adapter.smart.sessions import Pending, Session
from adapter.smart.settings import SmartSettings, is_loopback_url

__all__ = ["Endpoints", "LaunchError", "authorization_url", "discover", "exchange", "refresh"]

log = logging.getLogger("spinemets.smart")
# Asked whatever the configured scopes: who the user is (the author of a saved form), and a
# refresh token for as long as the user is online (SMART 2.x), so an access token that expires
# while a form is being filled in is renewed instead of losing the form.
_ALWAYS = (*IDENTITY_SCOPES, "online_access")


class LaunchError(SpinemetsError):
    """The launch cannot go on; the message says why, for the user (no secret in it)."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorize: str
    token: str
    issuer: str | None = None  # the id_token's ``iss``, when the configuration names it


def _usable(url: Any) -> bool:
    return isinstance(url, str) and (url.startswith("https://") or is_loopback_url(url))


async def discover(iss: str, settings: SmartSettings, transport: Any = None) -> Endpoints:
    """The authorization server of the FHIR server ``iss``, from its SMART configuration."""
    url = f"{iss}/.well-known/smart-configuration"
    try:
        async with httpx2.AsyncClient(timeout=settings.smart_timeout, transport=transport) as http:
            answer = await http.get(url, headers={"Accept": "application/json"})
        config = answer.json() if answer.status_code == 200 else None
    except (httpx2.HTTPError, ValueError):
        config = None
    if not isinstance(config, dict):
        raise LaunchError("the FHIR server publishes no usable SMART configuration")
    authorize, token = config.get("authorization_endpoint"), config.get("token_endpoint")
    if not _usable(authorize) or not _usable(token):
        raise LaunchError("the FHIR server's SMART configuration names no https endpoints")
    if "S256" not in config.get("code_challenge_methods_supported", ()):
        raise LaunchError("the authorization server does not offer PKCE with S256")
    issuer = config.get("issuer")
    return Endpoints(str(authorize), str(token), issuer if isinstance(issuer, str) else None)


def _client(settings: SmartSettings, scope: str | None = None, transport: Any = None) -> Any:
    # A public client: PKCE instead of a secret, so the auth method is "none" (not a password).
    return AsyncOAuth2Client(
        client_id=settings.smart_client_id,
        token_endpoint_auth_method="none",  # noqa: S106  # nosec B106
        redirect_uri=settings.redirect_uri,
        scope=scope,
        code_challenge_method="S256",
        timeout=settings.smart_timeout,
        transport=transport,
    )


def _scope(configured: str, launch: str | None) -> str:
    # EHR launch: the EHR's context comes with ``launch``; standalone: ask for a patient.
    scopes = ["launch" if launch else "launch/patient", *configured.split()]
    return " ".join(scopes + [s for s in _ALWAYS if s not in scopes])


def authorization_url(
    session: Session, settings: SmartSettings, iss: str, endpoints: Endpoints, launch: str | None
) -> str:
    """Where to send the browser; the session remembers the state and the PKCE verifier."""
    scope = _scope(settings.smart_scope, launch)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(64)
    extra = {"aud": iss} | ({"launch": launch} if launch else {})
    url, _ = _client(settings, scope).create_authorization_url(
        endpoints.authorize, state=state, code_verifier=verifier, **extra
    )
    session.pending = Pending(state, verifier, iss, endpoints.token, endpoints.issuer)
    return str(url)


async def exchange(
    session: Session, settings: SmartSettings, code: str, state: str, transport: Any = None
) -> None:
    """The token for the code, into the session; LaunchError when anything does not match."""
    pending, session.pending = session.pending, None  # one use, whatever happens
    if pending is None or not secrets.compare_digest(pending.state, state):
        raise LaunchError("this sign-in does not belong to this browser session: launch again")
    try:
        async with _client(settings, transport=transport) as client:
            token = await client.fetch_token(
                pending.token_endpoint, code=code, code_verifier=pending.verifier
            )
    except (AuthlibBaseError, httpx2.HTTPError, ValueError):
        raise LaunchError("the authorization server did not grant a token") from None
    patient = token.get("patient")
    if not isinstance(patient, str) or not patient:
        raise LaunchError("the authorization server named no patient (launch context)")
    session.fhir_server, session.token_endpoint = pending.fhir_server, pending.token_endpoint
    session.scope = ""
    _keep(session, token)
    session.patient = patient
    session.app_context = _app_context(token.get("appContext"))
    session.user = user_of(token, settings.smart_client_id, pending.issuer, pending.fhir_server)


def _keep(session: Session, token: Any, refreshed: str | None = None) -> None:
    """The tokens of a token response; the scopes granted unless it leaves them unsaid.
    ``refreshed``: the refresh token just spent, used again when the server issues no new one
    (RFC 6749 §6: issuing a new one is the server's choice)."""
    session.access_token = str(token["access_token"])
    session.token_expires = time.monotonic() + _seconds(token.get("expires_in"))
    session.scope = str(token.get("scope") or session.scope)
    refresh_token = token.get("refresh_token")
    session.refresh_token = refresh_token if isinstance(refresh_token, str) else refreshed


def _seconds(value: Any) -> float:
    # expires_in is RECOMMENDED only; an unreadable one counts as the five minutes SMART suggests
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 300.0
    return seconds if 0 < seconds < 10**7 else 300.0


async def refresh(session: Session, settings: SmartSettings, transport: Any = None) -> bool:
    """A new access token for the session from its refresh token (``grant_type=refresh_token``
    at the token endpoint of the launch); False, and the refresh token dropped, when refused."""
    if session.refresh_token is None or session.token_endpoint is None:
        return False
    try:
        async with _client(settings, transport=transport) as client:
            token = await client.refresh_token(
                session.token_endpoint, refresh_token=session.refresh_token
            )
        if not isinstance(token.get("access_token"), str):
            raise ValueError("no access token")
    except (AuthlibBaseError, httpx2.HTTPError, ValueError):
        session.refresh_token = None  # refused once: launch again, no retry on every request
        log.warning("SMART session for Patient/%s: the token was not refreshed", session.patient)
        return False
    _keep(session, token, session.refresh_token)  # patient and user stay the launch's
    return True


def _app_context(value: Any) -> dict[str, Any]:
    """CDS Hooks passes a card link's ``appContext`` (a string) through the token response."""
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}
