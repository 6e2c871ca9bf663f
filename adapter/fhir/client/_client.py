"""The one async FHIR R4 client of spinemets.

A :class:`FhirClient` is cheap: :class:`FhirServerSettings` over an ``httpx.AsyncClient`` (its
connection pool). Built in exactly three ways: :meth:`FhirClient.connect` opens a client with its
own pool (sync, notifications, the command line); :meth:`FhirClient.for_cds_request` makes one per
CDS request over the service's shared pool, with the request's own ``fhirServer`` and token; the
constructor is for callers that already hold a pool (tests).

Every HTTP status and transport failure becomes a :class:`~adapter.errors.FhirServerError` here
and nowhere else. Its message never contains the server's error text, which may hold anything
(an internal URL, a password): that text is kept in ``diagnostics``, never printed or logged.
Paging follows ``next`` links only while they stay on the server's origin, so credentials go
nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Self
from urllib.parse import urljoin

import httpx
import orjson

from adapter.errors import ConfigurationError, FhirServerError, InputError
from adapter.fhir.client._answers import (
    FHIR_JSON,
    bundle_resources,
    diagnostics,
    entry_answer,
    is_fhir_id,
    next_link,
    origin,
    retry_after,
)
from adapter.fhir.client._auth import BearerToken
from adapter.fhir.client._budget import ENCODINGS, ByteBudget, error_text, read_within
from adapter.fhir.client._connections import Connections
from adapter.fhir.client._direct import build_request, send_direct
from adapter.fhir.client._settings import FhirServerSettings
from adapter.fhir.client._tls import default_tls

__all__ = ["FHIR_JSON", "FhirClient", "bundle_resources", "is_fhir_id", "next_link"]

_RETURN = {"Prefer": "return=representation"}
_MINIMAL = {"Prefer": "return=minimal"}


class FhirClient:
    """Reads, searches and writes on one FHIR server."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: FhirServerSettings,
        connections: Connections | None = None,
    ) -> None:
        self._http = http
        self._connections = connections
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/") + "/"
        limit = settings.max_bytes
        self.budget = ByteBudget(limit) if limit is not None else None

    @classmethod
    @asynccontextmanager
    async def connect(cls, settings: FhirServerSettings) -> AsyncIterator[FhirClient]:
        """A client with its own connection pool (at most ``settings.max_connections``).

        The requests it reads whole go over connections of spinemets' own where httpx would use
        its pool (_connections.py); the rest, streams and proxied requests, over httpx's. Each
        pool holds at most ``settings.max_connections``; a client uses one of them in practice
        (sync reads and writes whole, Bulk Data streams)."""
        limits = httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_connections,
        )
        connections = Connections(settings.max_connections)
        try:
            async with httpx.AsyncClient(
                limits=limits, follow_redirects=False, verify=default_tls()
            ) as http:
                yield cls(http, settings, connections)
        finally:
            await connections.aclose()

    @classmethod
    def for_cds_request(
        cls,
        http: httpx.AsyncClient,
        *,
        fhir_server: str,
        access_token: str | None,
        timeout: float,
        max_pages: int,
        max_bytes: int,
    ) -> Self:
        """A client for one CDS request: its ``fhirServer`` and token over a shared pool, its
        answers bounded by ``max_bytes`` together."""
        try:
            settings = FhirServerSettings(
                base_url=fhir_server,
                auth=BearerToken(access_token) if access_token else None,
                timeout=timeout,
                max_pages=max_pages,
                max_bytes=max_bytes,
            )
        except ConfigurationError as exc:
            raise InputError(f"fhirServer: {exc}") from None
        return cls(http, settings)

    def __repr__(self) -> str:  # never show the token
        return f"FhirClient({self.base_url!r})"

    def same_origin(self, url: str) -> bool:
        return origin(url) == origin(self.base_url)

    async def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request; every transport failure or error status becomes FhirServerError.
        With ``stream`` the body of a success is left unread (the caller closes the response)."""
        url = urljoin(self.base_url, path_or_url)
        if not self.same_origin(url):
            raise FhirServerError("refused to send a request outside the FHIR server's origin")
        sent = {"Accept": FHIR_JSON}
        if body is not None:
            sent["Content-Type"] = FHIR_JSON
        sent |= headers or {}
        auth = self.settings.auth
        # orjson: a few times faster than the standard library on FHIR Bundles, both ways.
        content = orjson.dumps(body) if body is not None else None
        request, direct = build_request(
            self._http, method, url, sent, content, self.settings.timeout, auth, stream=stream
        )
        try:
            if direct:
                response = await send_direct(self._http, request, self._connections)
            else:
                sending = auth or httpx.USE_CLIENT_DEFAULT
                response = await self._http.send(request, auth=sending, stream=stream)
        except httpx.TimeoutException:
            raise FhirServerError("the FHIR server did not answer in time") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FhirServerError(
                f"the FHIR server could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            text = await error_text(response) if stream else diagnostics(response.content)
            raise FhirServerError(
                f"the FHIR server answered {response.status_code}",
                status=response.status_code,
                retry_after=retry_after(response),
                diagnostics=text,
            )
        return response

    async def send(
        self, method: str, path_or_url: str, *, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One request and its answer as it is (status, headers, body), for exchanges beyond
        reads and writes: the kick-off and status of an asynchronous request (Bulk Data)."""
        return await self._request(method, path_or_url, headers=headers)

    @asynccontextmanager
    async def stream(
        self, path_or_url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """GET whose body is read piece by piece (``aiter_bytes``): a Bulk Data file."""
        response = await self._request("GET", path_or_url, headers=headers, stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    @staticmethod
    def _resource(content: bytes) -> dict[str, Any]:
        try:
            body = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise FhirServerError("the FHIR server's answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirServerError("the FHIR server's answer is not a FHIR resource")
        return body

    async def get(self, path_or_url: str, *, fresh: bool = False) -> dict[str, Any]:
        """GET by a path relative to the base URL, or by a same-origin absolute URL.

        ``fresh`` asks the server not to answer from a cache (``Cache-Control: no-cache``; HAPI
        otherwise reuses an identical search's results for a minute, missing recent writes).
        """
        headers = {"Cache-Control": "no-cache"} if fresh else {}
        if self.budget is None:
            response = await self._request("GET", path_or_url, headers=headers)
            _expect_200(response)
            return self._resource(response.content)
        # Decoded here, counted piece by piece (_budget.py): httpx would inflate each read whole.
        async with self.stream(path_or_url, headers={**headers, "Accept-Encoding": ENCODINGS}) as r:
            _expect_200(r)
            return self._resource(await read_within(r, self.budget))

    async def put(self, path: str, resource: Mapping[str, Any]) -> dict[str, Any]:
        """PUT (update, or conditional update when ``path`` has a query) and return the result."""
        answer = await self._request("PUT", path, body=resource, headers=_RETURN)
        return self._resource(answer.content)

    async def post(
        self, path: str, resource: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a resource (a create, an operation such as $validate, or a Bundle)."""
        sent = {**_RETURN, **(headers or {})}
        answer = await self._request("POST", path, body=resource, headers=sent)
        return self._resource(answer.content)

    async def delete(self, path: str) -> None:
        """DELETE a resource (``Type/id``); deleting what is already gone is not an error."""
        try:
            await self._request("DELETE", path)
        except FhirServerError as exc:
            if exc.status not in (404, 410):
                raise

    async def transaction(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle to the base URL; the server applies it all or nothing.
        The answer's entries hold each status and location, not the resources written: no
        caller reads them back, and parsing them was a good part of a write's cost."""
        result = await self.post("", bundle, headers=_MINIMAL)
        if result.get("resourceType") != "Bundle":
            raise FhirServerError("a transaction did not answer with a Bundle")
        return result

    async def batch_get(self, urls: Sequence[str], *, fresh: bool = False) -> list[dict[str, Any]]:
        """Several GETs (reads or searches, paths relative to the base) in one ``batch``
        request; each answer's resource, in order. One request instead of many: on a busy
        client, the HTTP machinery costs more than parsing the answers. A failed entry raises
        FhirServerError with that entry's status; a search's further pages are the caller's
        (:meth:`rest_of`). ``fresh`` is sent on the batch, which HAPI applies to each entry.
        """
        out = []
        for answer in await self.batch_get_each(urls, fresh=fresh):
            if isinstance(answer, FhirServerError):
                raise answer
            out.append(answer)
        return out

    async def batch_get_each(
        self, urls: Sequence[str], *, fresh: bool = False
    ) -> list[dict[str, Any] | FhirServerError]:
        """:meth:`batch_get`, with a failed entry's FhirServerError in its place instead of
        raised: the entries of many patients in one request, where one entry's failure is its
        patient's alone. The request itself failing still raises."""
        bundle = {
            "resourceType": "Bundle",
            "type": "batch",
            "entry": [{"request": {"method": "GET", "url": url}} for url in urls],
        }
        headers = {"Cache-Control": "no-cache"} if fresh else None
        sent = await self._request("POST", "", body=bundle, headers=headers)
        answer = self._resource(sent.content)
        entries = answer.get("entry")
        if answer.get("resourceType") != "Bundle" or not isinstance(entries, list):
            raise FhirServerError("a batch did not answer with a Bundle")
        if len(entries) != len(urls):
            raise FhirServerError("a batch answered a different number of entries")
        return [entry_answer(item) for item in entries]

    async def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """Read one resource (``GET [base]/Type/id``); an id outside the FHIR grammar (or ``.``,
        ``..``, which would name another path) is refused before anything is sent."""
        if not is_fhir_id(resource_id):
            raise InputError(f"{resource_type} id {resource_id[:70]!r} is not a FHIR id")
        return await self.get(f"{resource_type}/{resource_id}")

    async def search(self, query: str, *, fresh: bool = False) -> list[Any]:
        """Run a search (``Type?params``) and return the resources of every page."""
        first = await self.get(query, fresh=fresh)
        if first.get("resourceType") != "Bundle":
            raise FhirServerError("a FHIR search did not answer with a Bundle")
        return await self.rest_of(first)

    async def rest_of(self, bundle: Mapping[str, Any]) -> list[Any]:
        """A Bundle's resources plus those of every page after it (``next`` links, same origin)."""
        resources = bundle_resources(bundle)
        seen: set[str] = set()
        url = next_link(bundle)
        pages = 1
        while url is not None:
            if url in seen:
                break  # a server that links a page to itself would otherwise loop for ever
            if pages >= self.settings.max_pages:
                raise FhirServerError(
                    f"more than {self.settings.max_pages} pages of search results"
                )
            seen.add(url)
            page = await self.get(url)
            if page.get("resourceType") != "Bundle":
                raise FhirServerError("a search page is not a Bundle")
            resources += bundle_resources(page)
            url = next_link(page)
            pages += 1
        total = bundle.get("total")
        if type(total) is int and total > len(resources):
            # Fewer resources than the server says matched, with no next page to read them from
            # (included ones and notes only add to the count): a partial answer, never scored.
            raise FhirServerError(
                "the FHIR server answered fewer resources than its search matched (Bundle.total)",
                status=200,
            )
        return resources


def _expect_200(response: httpx.Response) -> None:
    if response.status_code != 200:
        raise FhirServerError(
            f"unexpected status {response.status_code} from the FHIR server",
            status=response.status_code,
        )
