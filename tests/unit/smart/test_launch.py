"""The SMART app's launch against the launch-context test server, in process: what the
authorization request carries, what the callback checks, the cookie, and the test server's own
enforcement of SMART App Launch 2.2 (so the end-to-end test proves something)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from adapter.smart.sessions import COOKIE
from tests.support.smart_app import AS, CALLBACK, FHIR, app_of, client_of, launch_server
from tests.support.smart_server import SmartServer, s256

pytestmark = pytest.mark.anyio


@pytest.fixture
def smart() -> SmartServer:
    return launch_server()


@pytest.fixture
def app(smart: SmartServer) -> FastAPI:
    return app_of(smart)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return client_of(app)


def _as(smart: SmartServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=smart.app), base_url=AS)


async def _launch(client: httpx.AsyncClient, **query: str) -> httpx.Response:
    return await client.get("/smart/launch", params=query)


async def test_an_ehr_launch_asks_with_pkce_s256_state_launch_and_aud(app, smart):
    async with _client(app) as client:
        answer = await _launch(client, iss=FHIR, launch="L1")
    assert answer.status_code == 302
    url = urlsplit(answer.headers["location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{AS}/authorize"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["response_type"] == "code" and q["client_id"] == "spinemets"
    assert q["redirect_uri"] == CALLBACK and q["aud"] == FHIR and q["launch"] == "L1"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 22
    assert q["scope"].split()[0] == "launch" and "patient/Observation.cu" in q["scope"]
    cookie = answer.headers["set-cookie"].lower()
    for flag in ("httponly", "secure", "samesite=lax", "path=/smart"):
        assert flag in cookie


async def test_a_standalone_launch_asks_for_a_patient(app):
    async with _client(app) as client:
        answer = await _launch(client)
    q = parse_qs(urlsplit(answer.headers["location"]).query)
    assert q["scope"][0].split()[0] == "launch/patient" and "launch" not in q


async def test_a_launch_naming_another_fhir_server_is_refused(app):
    async with _client(app) as client:
        answer = await _launch(client, iss="https://elsewhere.example/fhir", launch="L1")
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "not registered" in answer.text


async def _authorised(app, smart, app_context=None) -> tuple[httpx.AsyncClient, httpx.Response]:
    client = _client(app)
    launch = smart.launch("p1", app_context)
    answer = await _launch(client, iss=FHIR, launch=launch)
    async with _as(smart) as auth:
        back = await auth.get(answer.headers["location"])
    assert back.status_code == 302, smart.refusals
    return client, await client.get(back.headers["location"])


async def test_the_callback_takes_the_patient_and_app_context_from_the_token_response(app, smart):
    client, answer = await _authorised(app, smart, '{"form": "sins", "level": "T8"}')
    await client.aclose()
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/smart/form/sins#level-T8"
    [session] = app.state.smart.sessions._sessions.values()
    assert session.patient == "p1" and session.app_context == {"form": "sins", "level": "T8"}
    assert session.access_token in smart.tokens
    assert "access_token" not in repr(session) and session.access_token not in repr(session)
    # the login rotated the session id: the cookie set at the launch is no longer valid
    assert answer.cookies.get(COOKIE) == session.id


async def test_a_callback_with_another_state_is_refused(app, smart):
    async with _client(app) as client:
        answer = await _launch(client, iss=FHIR, launch=smart.launch("p1"))
        async with _as(smart) as auth:
            back = await auth.get(answer.headers["location"])
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        refused = await client.get("/smart/callback", params={"code": code, "state": "forged"})
    assert refused.status_code == 403 and "launch again" in refused.text


async def test_without_a_session_nothing_is_shown(app):
    async with _client(app) as client:
        for path in ("/smart/", "/smart/form/sins"):
            assert (await client.get(path)).status_code == 401
        assert (await client.post("/smart/form/sins", content=b"csrf=x")).status_code == 401


async def test_a_form_the_scopes_cannot_save_says_so(app, smart):
    smart.grant = "patient/*.rs"
    client, _ = await _authorised(app, smart)
    [session] = app.state.smart.sessions._sessions.values()
    saved = await client.post("/smart/form/sins", content=f"csrf={session.csrf}".encode())
    forged = await client.post("/smart/form/sins", content=b"csrf=other")
    await client.aclose()
    assert saved.status_code == 403 and "granted scopes do not allow" in saved.text
    assert "QuestionnaireResponse.c" in saved.text
    assert forged.status_code == 403 and "does not belong" in forged.text


# The test server itself: what SMART App Launch 2.2 requires of it.


def _authorize(**overrides: str) -> dict[str, str]:
    query = {"response_type": "code", "client_id": "spinemets", "redirect_uri": CALLBACK,
             "scope": "launch/patient patient/*.rs", "state": "s" * 24, "aud": FHIR,
             "code_challenge": s256("v" * 50), "code_challenge_method": "S256"}  # fmt: skip
    return query | overrides


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"code_challenge_method": "plain"}, "PKCE"),
        ({"state": ""}, "state"),
        ({"aud": "https://other.example/fhir"}, "aud"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri"),
        ({"scope": "launch patient/*.rs", "launch": "never-issued"}, "launch"),
    ],
)
async def test_the_test_server_refuses_what_smart_forbids(smart, change, why):
    async with _as(smart) as auth:
        answer = await auth.get("/authorize", params=_authorize(**change))
    assert answer.status_code == 400 and why in smart.refusals[-1]


async def test_the_test_server_checks_the_verifier_and_the_token_expiry(smart):
    async with _as(smart) as auth:
        back = await auth.get("/authorize", params=_authorize())
        code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "client_id": "spinemets",
                "redirect_uri": CALLBACK, "code_verifier": "w" * 50}  # fmt: skip
        assert (await auth.post("/token", data=form)).status_code == 400  # wrong verifier
        again = await auth.post("/token", data=form | {"code_verifier": "v" * 50})
        assert again.status_code == 400  # the code was spent by the failed attempt
        back = await auth.get("/authorize", params=_authorize())
        form["code"] = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
        token = (await auth.post("/token", data=form | {"code_verifier": "v" * 50})).json()
        assert token["patient"] == "p1" and token["token_type"] == "Bearer"
        smart.tokens[token["access_token"]].expires = 0
        read = await auth.get("/fhir/Patient/p1",
                              headers={"Authorization": f"Bearer {token['access_token']}"})  # fmt: skip
    assert read.status_code == 401


async def test_an_expired_token_asks_to_launch_again(app, smart):
    client, _ = await _authorised(app, smart)
    [session] = app.state.smart.sessions._sessions.values()
    session.token_expires = 0
    session.refresh_token = None  # nothing to refresh it with (tests/unit/smart/test_refresh.py)
    answer = await client.get("/smart/")
    await client.aclose()
    assert answer.status_code == 401 and "Launch the app" in answer.text


async def test_a_standalone_launch_gets_its_patient_from_the_token_response(app, smart):
    client = _client(app)
    answer = await _launch(client)
    async with _as(smart) as auth:
        back = await auth.get(answer.headers["location"])
    opened = await client.get(back.headers["location"])
    await client.aclose()
    assert opened.status_code == 303 and opened.headers["location"] == "/smart/"
    [session] = app.state.smart.sessions._sessions.values()
    assert session.patient == "p1" and session.app_context == {}
