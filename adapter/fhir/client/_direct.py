"""A request handed straight to the httpx client's transport: the connection pool, or the proxy
the environment names for that URL, exactly as the client would choose it.

A sync sends a group read for every 20 patients and a transaction for every few, and the client's
own layer around the transport costs ~0.3 ms of CPU a request (a first sync's whole budget is a
few): it merges headers and cookies into a new request, runs the authentication and redirect
generators, binds the answer's stream and passes every answer through the cookie jar's urllib round
trip. Used only where the request sent is the one the client would send: no cookies held, no event
hooks, redirects not followed, no authentication, base URL or query parameters of the client's own,
and no authentication or a static bearer token for the request; anything else goes through the
client.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from adapter.fhir.client._auth import BearerToken
from adapter.fhir.client._connections import Connections, takes

__all__ = ["build_request", "direct_ok", "send_direct"]


def direct_ok(http: httpx.AsyncClient, auth: httpx.Auth | None) -> bool:
    """Whether :func:`send_direct` sends what ``http.send`` would."""
    return (
        (auth is None or isinstance(auth, BearerToken))
        and not http.is_closed
        and not http.follow_redirects
        and not http.cookies
        and not any(http.event_hooks.values())
        # the client would add its own: authenticate, join a relative URL to its base, add a query
        and http.auth is None
        and not str(http.base_url)
        and not http.params
    )


def build_request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    headers: Mapping[str, str],
    content: bytes | None,
    timeout: float,
    auth: httpx.Auth | None,
    *,
    stream: bool,
) -> tuple[httpx.Request, bool]:
    """The request ``http.build_request`` makes; whether it goes straight to the transport (then
    authenticated here, as the client would: a static token sets its header, reads no answer)."""
    if stream or not direct_ok(http, auth):
        return http.build_request(
            method, url, headers=headers, content=content, timeout=timeout
        ), False
    sent = httpx.Headers(http.headers)
    sent.update(headers)
    timeouts = {"timeout": httpx.Timeout(timeout).as_dict()}
    request = httpx.Request(method, url, headers=sent, content=content, extensions=timeouts)
    if auth is not None:
        next(auth.auth_flow(request))
    return request, True


async def send_direct(
    http: httpx.AsyncClient, request: httpx.Request, connections: Connections | None = None
) -> httpx.Response:
    """The answer, read whole; httpx's exceptions as the client raises them. Over
    ``connections`` where they take the request (_connections.py), else the client's transport."""
    if connections is not None and takes(http, request):
        response = await connections.send(request)
    else:
        transport = http._transport_for_url(request.url)
        response = await transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
    if "set-cookie" in response.headers:  # kept for later requests, as the client would
        http.cookies.extract_cookies(response)
    return response
