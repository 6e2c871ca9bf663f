"""An expired access token is refreshed (SMART ``online_access``, a refresh token in the
session) before a request goes on, so a clinician's submitted form is saved rather than lost;
only when the refresh fails is the request refused as before, with nothing written."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.smart_app import (
    AS,
    CALLBACK,
    FHIR,
    app_of,
    client_of,
    launch_server,
    launched,
    save_sins,
)
from tests.support.smart_server import s256

pytestmark = pytest.mark.anyio


async def test_the_launch_asks_for_online_access():
    async with client_of(app_of(launch_server())) as client:
        answer = await client.get("/smart/launch", params={"iss": FHIR, "launch": "L1"})
    scope = parse_qs(urlsplit(answer.headers["location"]).query)["scope"][0].split()
    assert "online_access" in scope


async def test_an_expired_session_with_a_refresh_token_saves_the_form(monkeypatch):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    client, session, written = signed.client, signed.session, signed.written
    old_access, old_refresh = session.access_token, session.refresh_token
    assert old_refresh in smart.refresh_tokens
    assert "refresh_token" not in repr(session) and old_refresh not in repr(session)
    session.token_expires = 0  # expired since the form was opened
    saved = await save_sins(client, session)
    await client.aclose()
    assert saved.status_code == 200, saved.text
    [(used, _)] = written
    assert used == session.access_token != old_access
    assert smart.tokens[used].expires > time.monotonic()  # the server's own new token
    assert session.token_expires > time.monotonic()
    # the refresh token was rotated: the session holds the new one, the old one is spent
    assert session.refresh_token in smart.refresh_tokens and old_refresh not in smart.refresh_tokens


async def test_a_failed_refresh_refuses_as_before_and_writes_nothing(monkeypatch):
    smart = launch_server()
    signed = await launched(smart, monkeypatch)
    client, session, written = signed.client, signed.session, signed.written
    smart.refresh_tokens.clear()  # revoked, or the user signed out of the EHR
    session.token_expires = 0
    refused = await save_sins(client, session)
    page = await client.get("/smart/")
    await client.aclose()
    assert refused.status_code == 401 and "Not signed in" in refused.text
    assert page.status_code == 401
    assert written == []
    assert smart.refusals == ["unknown or spent refresh_token"]  # tried once, not again


async def test_without_online_access_no_refresh_is_tried(monkeypatch):
    smart = launch_server()
    smart.grant = "patient/*.rs patient/QuestionnaireResponse.c patient/Observation.cu"
    signed = await launched(smart, monkeypatch)
    client, session, written = signed.client, signed.session, signed.written
    assert session.refresh_token is None
    session.token_expires = 0
    refused = await save_sins(client, session)
    await client.aclose()
    assert refused.status_code == 401 and written == [] and smart.refusals == []


async def test_the_test_server_rotates_refresh_tokens_and_refuses_unknown_ones():
    smart = launch_server()
    query = {"response_type": "code", "client_id": "spinemets", "redirect_uri": CALLBACK,
             "scope": "launch/patient patient/*.rs online_access", "state": "s" * 24,
             "aud": FHIR, "code_challenge": s256("v" * 50), "code_challenge_method": "S256"}  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=smart.app), base_url=AS) as auth:
        back = await auth.get("/authorize", params=query)
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        first = (await auth.post("/token", data={
            "grant_type": "authorization_code", "code": code, "client_id": "spinemets",
            "redirect_uri": CALLBACK, "code_verifier": "v" * 50})).json()  # fmt: skip
        form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        other = await auth.post("/token", data=form | {"client_id": "another"})
        second = await auth.post("/token", data=form | {"client_id": "spinemets"})
        again = await auth.post("/token", data=form | {"client_id": "spinemets"})
        unknown = await auth.post("/token", data=form | {"refresh_token": "made-up",
                                                         "client_id": "spinemets"})  # fmt: skip
    assert other.status_code == 400  # another client: refused, and the token not spent
    body = second.json()
    assert second.status_code == 200 and body["access_token"] in smart.tokens
    assert body["refresh_token"] != first["refresh_token"] and body["patient"] == "p1"
    assert again.status_code == 400 and unknown.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_a_refresh_token_the_server_does_not_rotate_is_kept_for_the_next_refresh(monkeypatch):
    """RFC 6749 §6: the server MAY issue a new refresh token; when it does not, the client goes
    on using the one it has."""
    smart = launch_server()
    smart.rotate = False
    signed = await launched(smart, monkeypatch)
    client, session, written = signed.client, signed.session, signed.written
    first = session.refresh_token
    for _ in range(2):  # the token expires twice while forms are filled in
        session.token_expires = 0
        saved = await save_sins(client, session)
        assert saved.status_code == 200, saved.text
        assert session.refresh_token == first
    await client.aclose()
    assert len(written) == 2
