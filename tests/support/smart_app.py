"""The SMART app in process against the launch-context test server, for the unit tests: a launch
through to a signed-in session, and a save whose transaction is kept instead of sent."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import httpx2
from fastapi import FastAPI

from adapter.errors import FhirServerError
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


class Counted(httpx2.AsyncBaseTransport):
    """The app's transport to the authorization server, keeping the path of each request."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)


def app_of(smart: SmartServer, **options: Any) -> FastAPI:
    """The app against ``smart``; ``options``: more settings (``smart_max_sessions=2``)."""
    settings = SmartSettings(public_base_url=APP, smart_fhir_servers=(FHIR,), **options)
    app = FastAPI()
    app.include_router(router)
    transport = Counted(httpx2.ASGITransport(app=smart.app))
    app.state.smart = SmartState(settings, transport=transport)
    return app


def token_requests(app: FastAPI) -> int:
    """How many times the app has called the token endpoint (the code's exchange included)."""
    transport: Counted = app.state.smart.transport
    return transport.paths.count("/token")


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


Hook = Callable[[str, str | None], Awaitable[None]]


@dataclass
class KeptFhir:
    """The FHIR server the app reads and writes, in place of one: the record read is the default
    patient's, each transaction is kept (with the access token it was sent with). With ``smart``
    it answers 401 to a token the launch server has not issued, has revoked or has let expire,
    as the launch server's own FHIR proxy does; ``before`` runs before each call (``"read"`` or
    ``"write"``, the token), for a test to revoke a token or hold calls back."""

    smart: SmartServer | None = None
    before: Hook | None = None
    reads: list[str | None] = field(default_factory=list)  # the token of each read tried
    written: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    refused: list[tuple[str, str | None]] = field(default_factory=list)  # 401s: call, token

    async def _check(self, call: str, token: str | None) -> None:
        if self.before is not None:
            await self.before(call, token)
        if self.smart is None:
            return
        issued = self.smart.tokens.get(token or "")
        if issued is None or issued.expires < time.monotonic():
            self.refused.append((call, token))
            raise FhirServerError("the FHIR server answered 401", status=401)

    async def read(self, session: Session, timeout: float) -> list[Any]:
        self.reads.append(session.access_token)
        await self._check("read", session.access_token)
        return default_patient()

    async def write(self, session: Session, bundle: dict[str, Any], timeout: float) -> list[str]:
        """Kept; the locations a server would give (``Observation/3/_history/1``)."""
        await self._check("write", session.access_token)
        self.written.append((session.access_token, bundle))
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        return [f"{kind}/{n}/_history/1" for n, kind in enumerate(kinds, 1)]


def kept_fhir(monkeypatch: Any, smart: SmartServer | None = None) -> KeptFhir:
    fhir = KeptFhir(smart)
    monkeypatch.setattr("adapter.smart.view.read_record", fhir.read)
    monkeypatch.setattr("adapter.smart.view.write_transaction", fhir.write)
    return fhir


def kept_writes(monkeypatch: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """The record read is the default patient's; each transaction is kept (with the access token
    it was sent with) instead of reaching a FHIR server."""
    return kept_fhir(monkeypatch).written


@dataclass
class Launched:
    """A signed-in browser after an EHR launch, and what the app sent on its behalf."""

    smart: SmartServer
    app: FastAPI
    client: httpx.AsyncClient  # to close
    answer: httpx.Response  # the callback's
    session: Session
    fhir: KeptFhir

    @property
    def written(self) -> list[tuple[str | None, dict[str, Any]]]:
        return self.fhir.written


async def launched(smart: SmartServer, monkeypatch: Any) -> Launched:
    """The arrange steps of most SMART tests: the app against ``smart``, a FHIR server kept in
    process that accepts only the tokens ``smart`` holds, and an EHR launch signed in."""
    app = app_of(smart)
    fhir = kept_fhir(monkeypatch, smart)
    client, answer = await signed_in(app, smart)
    return Launched(smart, app, client, answer, session_of(app), fhir)


async def save_sins(client: httpx.AsyncClient, session: Session) -> httpx.Response:
    form = {"csrf": session.csrf, **SINS_AT_T8}
    return await client.post("/smart/form/sins", data=form)


def posted_fields(html: str) -> dict[str, str]:
    """What a browser posts for a form left as it was shown: hidden fields and checked radios
    (the csrf token and the levels left to the caller)."""
    import re

    posted = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', html))
    posted |= dict(
        re.findall(r'type="radio" name="([^"]+)" id="[^"]+" value="([^"]*)" checked', html)
    )
    posted.pop("level", None)
    posted.pop("csrf", None)
    return posted


@dataclass
class StoringFhir:
    """A FHIR server in process holding ``record`` (a patient "p" record, served as the launch's
    patient "p1") and what the app writes: each transaction kept, and the Observations it
    creates read back with the record, as a FHIR server would."""

    record: list[dict[str, Any]]
    written: list[dict[str, Any]] = field(default_factory=list)

    async def read(self, session: Session, timeout: float) -> list[Any]:
        import json

        stored = [
            {**entry["resource"], "id": f"w{n}-{i}"}
            for n, bundle in enumerate(self.written)
            for i, entry in enumerate(bundle["entry"])
            if entry["resource"]["resourceType"] == "Observation"
        ]
        moved = json.loads(
            json.dumps([*self.record, *stored]).replace('"Patient/p"', '"Patient/p1"')
        )
        moved[0]["id"] = "p1"
        return list(moved)

    async def write(self, session: Session, bundle: dict[str, Any], timeout: float) -> list[str]:
        self.written.append(bundle)
        return [f"{e['resource']['resourceType']}/w{n}" for n, e in enumerate(bundle["entry"])]


async def serving(
    monkeypatch: Any, record: list[dict[str, Any]]
) -> tuple[httpx.AsyncClient, Session, StoringFhir]:
    """Signed in to the patient of ``record`` through an EHR launch, against :class:`StoringFhir`."""
    fhir = StoringFhir(record)
    monkeypatch.setattr("adapter.smart.view.read_record", fhir.read)
    monkeypatch.setattr("adapter.smart.view.write_transaction", fhir.write)
    smart = launch_server()
    app = app_of(smart)
    client, _ = await signed_in(app, smart)
    return client, session_of(app), fhir
