"""spinemets' own HTTP/1.1 connections (adapter/fhir/client/_connections.py), against a real
socket server: each request byte for byte what httpx sends, each answer read as httpx reads it
(however it is framed), each failure the FhirServerError httpx's would give, TLS verified,
connections reused and bounded, and httpx used wherever a proxy or a hook would see the request."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import respx
import uvloop
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapter.errors import FhirServerError
from adapter.fhir.client import BearerToken, FhirClient, FhirServerSettings
from adapter.fhir.client._connections import Connections, _head, takes

BUNDLE = {"resourceType": "Bundle", "type": "transaction", "entry": [{"fullUrl": "urn:x"}] * 40}
ANSWER = orjson.dumps({"resourceType": "Bundle", "type": "transaction-response", "entry": []})

Reply = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


class Server:
    """A socket server answering each request with the bytes ``answer(n)`` gives (n counts
    requests from 0); it records every request and how many connections were open at once."""

    def __init__(self, answer: Callable[[int], bytes | None], *, close_after: bool = False) -> None:
        self.answer = answer
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.open = 0
        self.most_open = 0
        self.delay = 0.0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                try:
                    request = await read_request(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                n = len(self.requests)
                self.requests.append(request)
                await asyncio.sleep(self.delay)
                answer = self.answer(n)
                if answer is None:  # never answer
                    await asyncio.sleep(30)
                    return
                writer.write(answer)
                await writer.drain()
                if self.close_after or b"connection: close" in answer.lower():
                    return
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def serving(server: Server, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=tls)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://{'localhost' if tls else '127.0.0.1'}:{port}/fhir"
    finally:
        listening.close()


def ok(body: bytes = ANSWER, *, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


def gzipped(body: bytes = ANSWER) -> bytes:
    packed = gzip.compress(body)
    return ok(packed, extra=b"Content-Encoding: gzip\r\n")


def chunked(body: bytes = ANSWER) -> bytes:
    parts = [body[i : i + 7] for i in range(0, len(body), 7)]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def until_close(body: bytes = ANSWER) -> bytes:
    return b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body


def interim_first(body: bytes = ANSWER) -> bytes:
    return b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + ok(body)


async def with_client(
    url: str, run: Callable[[FhirClient], Awaitable[Any]], *, own: bool, **settings: Any
) -> tuple[Any, Connections | None]:
    """``run`` on a FhirClient over ``url``, over spinemets' connections or httpx's alone."""
    config = FhirServerSettings(base_url=url, **settings)
    connections = Connections(config.max_connections) if own else None
    async with httpx.AsyncClient(follow_redirects=False) as http:
        client = FhirClient(http, config, connections)
        try:
            return await run(client), connections
        finally:
            if connections is not None:
                await connections.aclose()


def both(
    answer: Callable[[int], bytes | None],
    run: Callable[[FhirClient], Awaitable[Any]],
    *,
    close_after: bool = False,
    **settings: Any,
) -> list[tuple[Any, list[bytes], int]]:
    """What the client returned or raised, the requests the server saw and the connections
    spinemets' pool opened: first over its own connections, then over httpx's; one server."""
    server = Server(answer, close_after=close_after)

    async def go() -> list[tuple[Any, list[bytes], int]]:
        out = []
        async with serving(server) as url:
            for own in (True, False):
                server.requests = []
                try:
                    result, connections = await with_client(url, run, own=own, **settings)
                except FhirServerError as exc:
                    result, connections = f"FhirServerError: {exc}", None
                opened = connections.opened if connections else 0
                out.append((result, server.requests, opened))
        return out

    return asyncio.run(go())


def transaction(client: FhirClient) -> Awaitable[dict[str, Any]]:
    return client.transaction(BUNDLE)


@pytest.mark.parametrize("auth", [None, BearerToken("t0k3n")], ids=["no auth", "bearer"])
def test_a_request_is_byte_for_byte_what_httpx_sends(auth) -> None:
    async def run(client: FhirClient) -> Any:
        await client.transaction(BUNDLE)
        await client.get("Patient/p", fresh=True)
        return await client.batch_get(["Patient/p"])

    def answer(n: int) -> bytes:
        if n == 1:
            return gzipped(b'{"resourceType": "Patient", "id": "p"}')
        if n == 2:
            return ok(b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": '
                      b'"Patient", "id": "p"}, "response": {"status": "200 OK"}}]}')  # fmt: skip
        return ok()

    (own, own_requests, opened), (theirs, their_requests, _) = both(answer, run, auth=auth)
    assert own == theirs == [{"resourceType": "Patient", "id": "p"}]
    assert own_requests == their_requests and len(own_requests) == 3
    assert opened == 1  # one connection, kept alive
    assert own_requests[0].startswith(b"POST /fhir/ HTTP/1.1\r\n")
    if auth is not None:
        assert all(b"\r\nAuthorization: Bearer t0k3n\r\n" in r for r in own_requests)


@pytest.mark.parametrize(
    "framing", [ok, gzipped, chunked, until_close, interim_first], ids=lambda f: f.__name__
)
def test_an_answer_is_read_whole_however_it_is_framed(framing) -> None:
    (own, _, _), (theirs, _, _) = both(lambda n: framing(ANSWER), transaction)
    assert own == theirs == orjson.loads(ANSWER)


def test_a_connection_is_kept_until_the_server_closes_it() -> None:
    async def three(client: FhirClient) -> None:
        for _ in range(3):
            await client.transaction(BUNDLE)
            await asyncio.sleep(0.05)  # the server's close reaches the client

    (_, requests, opened), _ = both(lambda n: ok(), three)
    assert (len(requests), opened) == (3, 1)
    closes = lambda n: ok(extra=b"Connection: close\r\n") if n == 1 else ok()  # noqa: E731
    (_, requests, opened), _ = both(closes, three)
    assert (len(requests), opened) == (3, 2)

    async def go() -> int:  # the server drops idle connections without saying so
        server = Server(lambda n: ok(), close_after=True)
        async with serving(server) as url:
            _, connections = await with_client(url, three, own=True)
        assert connections is not None
        return connections.opened

    assert asyncio.run(go()) == 3


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda n: ok()[:-10] + b"<close>", "could not be reached (RemoteProtocolError)"),
        (lambda n: b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n{}", "(RemoteProtocolError)"),
        (lambda n: b"SMTP ready\r\n\r\n", "could not be reached (RemoteProtocolError)"),
        (lambda n: ok(b"not gzip", extra=b"Content-Encoding: gzip\r\n"), "(DecodingError)"),
        (lambda n: None, "did not answer in time"),
        (lambda n: b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}", "answered 500"),
    ],
    ids=["cut short", "bad length", "not http", "bad gzip", "silent", "error status"],
)
def test_a_failure_is_the_error_httpx_gives(answer, message) -> None:
    def reply(n: int) -> bytes | None:  # "<close>": the server closes the connection after it
        given = answer(n)
        return given.removesuffix(b"<close>") if given is not None else None

    close_after = (answer(0) or b"").endswith(b"<close>")
    (own, _, _), (theirs, _, _) = both(reply, transaction, timeout=0.3, close_after=close_after)
    assert own == theirs
    assert isinstance(own, str) and message in own


def test_a_server_that_cannot_be_reached_is_the_error_httpx_gives() -> None:
    async def go(own: bool) -> str:
        try:
            await with_client("http://127.0.0.1:9/fhir", transaction, own=own)
        except FhirServerError as exc:
            return str(exc)
        raise AssertionError("reached")

    assert asyncio.run(go(True)) == asyncio.run(go(False))
    assert "could not be reached (ConnectError)" in asyncio.run(go(True))


def test_at_most_max_connections_are_open_at_once() -> None:
    async def go() -> tuple[int, int]:
        server = Server(lambda n: ok())
        server.delay = 0.05

        async def six(client: FhirClient) -> None:
            await asyncio.gather(*(client.transaction(BUNDLE) for _ in range(6)))

        async with serving(server) as url:
            _, connections = await with_client(url, six, own=True, max_connections=2)
        assert connections is not None
        return server.most_open, connections.opened

    assert asyncio.run(go()) == (2, 2)


def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for localhost, and the file of its self-signed certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context, tmp_path / "cert.pem"


def test_tls_is_verified_as_httpx_verifies_it(tmp_path, monkeypatch) -> None:
    tls, cert = certificate(tmp_path)

    async def go(own: bool) -> Any:
        server = Server(lambda n: ok())
        async with serving(server, tls) as url:
            try:
                return (await with_client(url, transaction, own=own))[0]
            except FhirServerError as exc:
                return str(exc)

    untrusted = asyncio.run(go(True))
    assert untrusted == asyncio.run(go(False))
    assert "could not be reached (ConnectError)" in untrusted
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted as httpx trusts it: the environment
    assert asyncio.run(go(True)) == asyncio.run(go(False)) == orjson.loads(ANSWER)


def test_a_proxy_or_a_hook_on_httpx_leaves_the_request_to_httpx(monkeypatch) -> None:
    request = httpx.Request("POST", "http://fhir.example.org/r4/", content=b"{}")
    head = httpx.Request("HEAD", "http://fhir.example.org/r4/")

    async def go() -> list[bool]:
        seen = []
        async with httpx.AsyncClient() as http:
            seen += [takes(http, request), takes(http, head)]
        monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.org:3128")
        async with httpx.AsyncClient() as http:
            seen.append(takes(http, request))
        monkeypatch.delenv("HTTP_PROXY")
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200))
        ) as http:
            seen.append(takes(http, request))
        with respx.mock:  # a hook on httpcore's pool
            async with httpx.AsyncClient() as http:
                seen.append(takes(http, request))
        with respx.mock(using="httpx"):  # a hook on the client's choice of transport
            async with httpx.AsyncClient() as http:
                seen.append(takes(http, request))
        return seen

    assert asyncio.run(go()) == [True, False, False, False, False, False]


def test_a_header_http_does_not_allow_is_refused_before_anything_is_sent() -> None:
    request = httpx.Request("GET", "http://fhir.example.org/r4/", headers={"X-A": "b"})
    request.headers["X-A"] = "b\r\nX-Injected: yes"
    with pytest.raises(httpx.LocalProtocolError):
        _head(request)


def test_the_connections_run_on_uvloop_as_serve_runs_them() -> None:
    # `serve` runs on uvloop, whose transports are not asyncio.Transport's subclasses.
    async def go() -> tuple[Any, int]:
        server = Server(lambda n: gzipped())
        async with serving(server) as url:
            result, connections = await with_client(url, transaction, own=True)
        assert connections is not None
        return result, connections.opened

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(go()) == (orjson.loads(ANSWER), 1)
