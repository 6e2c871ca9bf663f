"""Requests handed straight to the transport (adapter/fhir/client/_direct.py) are the requests the
httpx client would send: the same head, body, timeouts and authentication, the same errors, and
cookies kept as the client keeps them; where they could differ the client sends them itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from adapter.errors import FhirServerError
from adapter.fhir.client import BearerToken, FhirClient, FhirServerSettings, _client, _direct

FHIR = "https://fhir.example.org/r4"
BUNDLE = {"resourceType": "Bundle", "type": "transaction", "entry": []}
ANSWER = {"resourceType": "Bundle", "type": "transaction-response", "entry": []}


def sent(auth: httpx.Auth | None, *, direct: bool, monkeypatch, **answer: Any) -> list[Any]:
    """What reaches the transport for a transaction, a read and a search."""
    seen: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        seen.append(
            (request.method, str(request.url), request.headers.raw, timeout, request.content)
        )
        return httpx.Response(
            200,
            json=ANSWER if request.method == "POST" else {**ANSWER, "type": "searchset"},
            **answer,
        )

    if not direct:
        monkeypatch.setattr(_direct, "direct_ok", lambda http, auth: False)
    else:  # every request of this client is one that goes direct
        send = _direct.send_direct

        async def counted(
            http: httpx.AsyncClient, request: httpx.Request, connections: Any = None
        ) -> httpx.Response:
            seen.append("direct")
            return await send(http, request, connections)

        monkeypatch.setattr(_client, "send_direct", counted)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = FhirClient(http, FhirServerSettings(base_url=FHIR, auth=auth, timeout=7))
            await client.transaction(BUNDLE)
            await client.get("Patient/p", fresh=True)
            await client.search("Observation?patient=p")

    asyncio.run(run())
    return seen


@pytest.mark.parametrize("auth", [None, BearerToken("t0k3n")], ids=["no auth", "bearer"])
def test_direct_requests_are_the_clients(auth, monkeypatch) -> None:
    direct = sent(auth, direct=True, monkeypatch=monkeypatch)
    assert direct[::2] == ["direct"] * 3
    direct = direct[1::2]
    monkeypatch.undo()
    assert direct == sent(auth, direct=False, monkeypatch=monkeypatch)
    assert direct[0][3] == {"connect": 7, "read": 7, "write": 7, "pool": 7}
    if auth is not None:
        assert all((b"Authorization", b"Bearer t0k3n") in head for _, _, head, _, _ in direct)


def test_a_cookie_the_server_sets_is_sent_back_as_by_the_client(monkeypatch) -> None:
    cookie = {"headers": {"Set-Cookie": "route=a1; Path=/"}}
    direct = sent(None, direct=True, monkeypatch=monkeypatch, **cookie)
    # the first request went direct; with the cookie held, the later ones go through the client
    assert [n for n, d in enumerate(direct) if d == "direct"] == [0]
    direct = [d for d in direct if d != "direct"]
    assert all((b"Cookie", b"route=a1") in head for _, _, head, _, _ in direct[1:])
    monkeypatch.undo()
    assert direct == sent(None, direct=False, monkeypatch=monkeypatch, **cookie)


def client_of(http: httpx.AsyncClient, auth: httpx.Auth | None = None) -> bool:
    return _direct.direct_ok(http, auth)


@pytest.mark.parametrize(
    ("make", "direct"),
    [
        (lambda: httpx.AsyncClient(), True),
        (lambda: httpx.AsyncClient(follow_redirects=True), False),
        (lambda: httpx.AsyncClient(cookies={"a": "b"}), False),
        (lambda: httpx.AsyncClient(event_hooks={"request": [print]}), False),
        (lambda: httpx.AsyncClient(auth=httpx.BasicAuth("u", "p")), False),
        (lambda: httpx.AsyncClient(base_url="https://other.example/"), False),
        (lambda: httpx.AsyncClient(params={"_format": "json"}), False),
    ],
    ids=["plain", "redirects", "cookies", "event hooks", "client auth", "base url", "params"],
)
def test_only_what_the_client_would_send_alike_goes_direct(
    make: Callable[[], httpx.AsyncClient], direct: bool
) -> None:
    assert client_of(make()) is direct


def test_other_authentication_goes_through_the_client() -> None:
    assert not client_of(httpx.AsyncClient(), httpx.BasicAuth("u", "p"))


def test_the_clients_own_authentication_and_query_reach_the_server() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ANSWER)

    async def run() -> None:
        transport = httpx.MockTransport(handler)
        auth, params = httpx.BasicAuth("u", "p"), {"_format": "json"}
        async with httpx.AsyncClient(transport=transport, auth=auth, params=params) as http:
            await FhirClient(http, FhirServerSettings(base_url=FHIR)).transaction(BUNDLE)

    asyncio.run(run())
    assert seen[0].headers["Authorization"] == "Basic dTpw"  # base64 of u:p
    assert seen[0].url.params["_format"] == "json"


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (httpx.ReadTimeout("slow"), "the FHIR server did not answer in time"),
        (httpx.ConnectError("refused"), "the FHIR server could not be reached (ConnectError)"),
    ],
)
def test_transport_failures_are_fhir_server_errors(error, message) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            await FhirClient(http, FhirServerSettings(base_url=FHIR)).transaction(BUNDLE)

    with pytest.raises(FhirServerError, match=message.replace("(", r"\(").replace(")", r"\)")):
        asyncio.run(run())


def test_an_error_status_keeps_its_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503, headers={"Retry-After": "3"}, json={"resourceType": "OperationOutcome"}
        )

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            await FhirClient(http, FhirServerSettings(base_url=FHIR)).transaction(BUNDLE)

    with pytest.raises(FhirServerError) as caught:
        asyncio.run(run())
    assert (caught.value.status, caught.value.retry_after) == (503, 3.0)
