"""A small async FHIR R4 client over one shared ``httpx.AsyncClient``.

The client object is cheap (a base URL and an optional bearer token over a shared connection
pool), so one is made per CDS request. Every HTTP status and transport failure becomes a
:class:`~adapter.errors.FhirServerError` here and nowhere else. Paging follows ``next`` links only
while they stay on the FHIR server's origin, so the bearer token is never sent anywhere else.
Messages never contain the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from adapter.errors import FhirServerError

__all__ = ["FHIR_JSON", "FhirClient", "bundle_resources", "next_link"]

FHIR_JSON = "application/fhir+json"


def bundle_resources(bundle: Mapping[str, Any]) -> list[Any]:
    """The resources of a Bundle's entries (entries without a resource are skipped)."""
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return []
    return [e["resource"] for e in entries if isinstance(e, Mapping) and "resource" in e]


def next_link(bundle: Mapping[str, Any]) -> str | None:
    """The URL of a Bundle's ``next`` link, if it has one."""
    for link in bundle.get("link") or ():
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


_RETURN = {"Prefer": "return=representation"}


def _diagnostics(response: httpx.Response) -> str:
    """The first OperationOutcome diagnostics of an error answer (servers put no secrets there)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        for issue in body.get("issue") or ():
            if isinstance(issue, dict) and isinstance(issue.get("diagnostics"), str):
                return f": {issue['diagnostics'][:300]}"
    return ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP-date: callers fall back to their own backoff


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class FhirClient:
    """Reads and searches on one FHIR server, optionally with a bearer token."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        max_pages: int = 20,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/") + "/"
        self._headers = {"Accept": FHIR_JSON}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout
        self._max_pages = max_pages

    def __repr__(self) -> str:  # never show the token
        return f"FhirClient({self.base_url!r})"

    def same_origin(self, url: str) -> bool:
        return _origin(url) == _origin(self.base_url)

    async def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; every transport failure or error status becomes FhirServerError."""
        url = urljoin(self.base_url, path_or_url)
        if not self.same_origin(url):
            raise FhirServerError("refused to send a request outside the FHIR server's origin")
        sent = dict(self._headers)
        if body is not None:
            sent["Content-Type"] = FHIR_JSON
        sent |= headers or {}
        try:
            response = await self._http.request(
                method, url, headers=sent, json=body, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise FhirServerError("the FHIR server did not answer in time") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FhirServerError(
                f"the FHIR server could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            raise FhirServerError(
                f"the FHIR server answered {response.status_code}{_diagnostics(response)}",
                status=response.status_code,
                retry_after=_retry_after(response),
            )
        return response

    @staticmethod
    def _resource(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise FhirServerError("the FHIR server's answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise FhirServerError("the FHIR server's answer is not a FHIR resource")
        return body

    async def get(self, path_or_url: str) -> dict[str, Any]:
        """GET a resource by a path relative to the base URL, or by a same-origin absolute URL."""
        response = await self._request("GET", path_or_url)
        if response.status_code != 200:
            raise FhirServerError(
                f"unexpected status {response.status_code} from the FHIR server",
                status=response.status_code,
            )
        return self._resource(response)

    async def put(self, path: str, resource: Mapping[str, Any]) -> dict[str, Any]:
        """PUT (update, or conditional update when ``path`` has a query) and return the result."""
        return self._resource(await self._request("PUT", path, body=resource, headers=_RETURN))

    async def post(
        self, path: str, resource: Mapping[str, Any], *, headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """POST a resource (a create, an operation such as $validate, or a Bundle)."""
        sent = {**_RETURN, **(headers or {})}
        return self._resource(await self._request("POST", path, body=resource, headers=sent))

    async def transaction(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle to the base URL; the server applies it all or nothing."""
        result = await self.post("", bundle)
        if result.get("resourceType") != "Bundle":
            raise FhirServerError("a transaction did not answer with a Bundle")
        return result

    async def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """Read one resource (``GET [base]/Type/id``)."""
        return await self.get(f"{resource_type}/{resource_id}")

    async def search(self, query: str) -> list[Any]:
        """Run a search (``Type?params``) and return the resources of every page."""
        first = await self.get(query)
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
            if pages >= self._max_pages:
                raise FhirServerError(f"more than {self._max_pages} pages of search results")
            seen.add(url)
            page = await self.get(url)
            if page.get("resourceType") != "Bundle":
                raise FhirServerError("a search page is not a Bundle")
            resources += bundle_resources(page)
            url = next_link(page)
            pages += 1
        return resources
