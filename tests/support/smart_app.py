"""The SMART app in process against the launch-context test server, for the unit tests: a launch
through to a signed-in session, and a save whose transaction is kept instead of sent."""

from __future__ import annotations

from typing import Any

import httpx
import httpx2
from fastapi import FastAPI

from adapter.smart.routes import SmartState, router
from adapter.smart.sessions import Session
from adapter.smart.settings import SmartSettings
from tests.support.records import default_patient
from tests.support.smart_server import SmartServer

APP = "https://spinemets.example"  # https: the test client keeps Secure cookies
AS = "http://127.0.0.1:9000"
FHIR = f"{AS}/fhir"
CALLBACK = f"{APP}/smart/callback"
SINS_AT_T8 = {"level": "T8", "T8|spinal-pain": "mechanical", "T8|bone-lesion-quality": "lytic"}


def launch_server(**options: Any) -> SmartServer:
    server = SmartServer("http://127.0.0.1:1/fhir", "spinemets", CALLBACK, patient="p1", **options)
    server.base = AS
    return server


def app_of(smart: SmartServer) -> FastAPI:
    settings = SmartSettings(public_base_url=APP, smart_fhir_servers=(FHIR,))
    app = FastAPI()
    app.include_router(router)
    app.state.smart = SmartState(settings, transport=httpx2.ASGITransport(app=smart.app))
    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=APP)


def session_of(app: FastAPI) -> Session:
    [session] = app.state.smart.sessions._sessions.values()
    return session


async def signed_in(app: FastAPI, smart: SmartServer) -> tuple[httpx.AsyncClient, httpx.Response]:
    """A browser after an EHR launch: its client (to close) and the callback's answer."""
    client = client_of(app)
    answer = await client.get("/smart/launch", params={"iss": FHIR, "launch": smart.launch("p1")})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=smart.app)) as auth:
        back = await auth.get(answer.headers["location"])
    assert back.status_code == 302, smart.refusals
    return client, await client.get(back.headers["location"])


def kept_writes(monkeypatch: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """The record read is the default patient's; each transaction is kept (with the access token
    it was sent with) instead of reaching a FHIR server."""
    written: list[tuple[str | None, dict[str, Any]]] = []

    async def record(session: Session, timeout: float) -> list[Any]:
        return default_patient()

    async def write(session: Session, bundle: dict[str, Any], timeout: float) -> None:
        written.append((session.access_token, bundle))

    monkeypatch.setattr("adapter.smart.view.read_record", record)
    monkeypatch.setattr("adapter.smart.view.write_transaction", write)
    return written


async def save_sins(client: httpx.AsyncClient, session: Session) -> httpx.Response:
    form = {"csrf": session.csrf, **SINS_AT_T8}
    return await client.post("/smart/form/sins", data=form)
