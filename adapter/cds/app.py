"""The FastAPI application: routes, the one exception handler, CORS, start-up state.

Every error a client can cause ends here as a 4xx with an OperationOutcome body; the status of
each :mod:`adapter.errors` class is fixed in :data:`STATUS`, the only place statuses are chosen.
Authentication failures answer a bare 401 whose OperationOutcome has no detail. Diagnostics name
fields, never values: a value may be a token or patient data.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Annotated, Any, Protocol

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter import __version__
from adapter.cds.auth import Verifier
from adapter.cds.feedback import FeedbackStore
from adapter.cds.models import CdsRequest, CdsResponse, Discovery, FeedbackRequest
from adapter.cds.services import Deps, call_service, discovery, service
from adapter.cds.settings import Settings, load_settings
from adapter.errors import (
    AuthenticationError,
    DataUnavailableError,
    FhirServerError,
    InputError,
    MediaTypeError,
    NotFoundError,
    OverloadedError,
    SpinemetsError,
    StorageError,
)
from adapter.mapping.terminology import Terminology, default_terminology

__all__ = ["STATUS", "Extension", "create_app"]

log = logging.getLogger("spinemets.cds")

# Most specific class first: the first match decides.
STATUS: tuple[tuple[type[SpinemetsError], int, str], ...] = (
    (AuthenticationError, 401, "login"),
    (MediaTypeError, 415, "not-supported"),
    (InputError, 400, "invalid"),
    (NotFoundError, 404, "not-found"),
    (DataUnavailableError, 412, "incomplete"),
    (FhirServerError, 412, "transient"),
    (OverloadedError, 503, "transient"),
    (StorageError, 503, "transient"),
)
FHIR_JSON = "application/fhir+json"
_OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}


def _outcome(status: int, code: str, diagnostics: str | None) -> JSONResponse:
    issue: dict[str, Any] = {"severity": "error", "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "30"}
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


async def _spinemets_error(_: Request, exc: Exception) -> JSONResponse:
    for cls, status, code in STATUS:
        if isinstance(exc, cls):
            # 401 says nothing: a caller probing the checks learns none of them.
            return _outcome(status, code, None if status == 401 else str(exc))
    log.error("internal error: %s", type(exc).__name__)
    return _outcome(500, "exception", "internal error")


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return _outcome(400, "invalid", "invalid request: " + "; ".join(parts))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not-found" if exc.status_code == 404 else "not-supported"
    response = _outcome(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405 (RFC 9110)
    return response


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return _outcome(500, "exception", "internal error")


def _audience(request: Request, settings: Settings) -> str:
    """The URL the client called, as it sees it (public base URL behind a proxy)."""
    if settings.public_base_url is None:
        return str(request.url.replace(query=""))
    root = request.scope.get("root_path", "")
    path = request.url.path
    if root and path.startswith(root):
        path = path[len(root) :]
    return settings.public_base_url + path


async def _authenticate(request: Request) -> None:
    verifier: Verifier = request.app.state.verifier
    if not verifier.enabled:
        return  # no issuer configured: serve only allows this on loopback or with --insecure
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("no bearer token")
    await verifier.verify(token.strip(), _audience(request, request.app.state.settings))


Authenticated = Annotated[None, Depends(_authenticate)]


def _invalid(exc: ValidationError) -> InputError:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return InputError("invalid request: " + "; ".join(parts))


async def _cds_request(request: Request, _: Authenticated) -> CdsRequest:
    # Parsed here rather than by FastAPI: one pass from bytes (pydantic's JSON parser, about half
    # the cost of json.loads + validation), after authentication, so an unauthenticated caller
    # learns nothing about the body it sent.
    try:
        return CdsRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _invalid(exc) from None


async def _feedback_request(request: Request, _: Authenticated) -> FeedbackRequest:
    try:
        return FeedbackRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _invalid(exc) from None


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _store(request: Request) -> FeedbackStore:
    store: FeedbackStore = request.app.state.feedback
    return store


DepsDep = Annotated[Deps, Depends(_deps)]
StoreDep = Annotated[FeedbackStore, Depends(_store)]
CdsBody = Annotated[CdsRequest, Depends(_cds_request)]
FeedbackBody = Annotated[FeedbackRequest, Depends(_feedback_request)]


class _ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` (benchmarks only: it discloses timing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "Malformed request",
        401: "Not authenticated (no detail)",
        404: "Unknown service",
        412: "Required data unobtainable",
    }
    return {
        s: {"description": words[s], "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}}}
        for s in statuses
    }


def _body(model: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{model}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": ref}}}}


_DOCS = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>spinemets CDS Hooks service</title></head><body>
<h1>spinemets CDS Hooks 2.0 service</h1>
<p>Machine-readable API description: <a href="openapi.json">openapi.json</a>.
Discovery: <a href="cds-services">cds-services</a>.</p>
<ul><li><code>GET /cds-services</code>: discovery</li>
<li><code>POST /cds-services/spinemets-scores</code>: patient-view</li>
<li><code>POST /cds-services/spinemets-procedure-check</code>: order-select, order-sign</li>
<li><code>POST /cds-services/{id}/feedback</code>: card feedback</li></ul>
</body></html>"""


class Extension(Protocol):
    """A feature mounted beside the CDS services (FHIR notifications): routes and a lifetime."""

    router: APIRouter

    def lifespan(self) -> AbstractAsyncContextManager[None]: ...


def create_app(
    settings: Settings | None = None,
    *,
    terminology: Terminology | None = None,
    extensions: Sequence[Extension] = (),
) -> FastAPI:
    """The service, configured from ``settings`` (default: the environment)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        term = terminology or default_terminology()
        store = FeedbackStore(settings.feedback_db)
        await asyncio.to_thread(store.initialise)
        async with httpx.AsyncClient(follow_redirects=False) as http, AsyncExitStack() as stack:
            app.state.deps = Deps(term, http, settings)
            app.state.verifier = Verifier(settings.issuers, http, timeout=settings.jwks_timeout)
            app.state.feedback = store
            for extension in extensions:
                await stack.enter_async_context(extension.lifespan())
            # Start-up objects (modules, terminology) live for ever: frozen, the collections
            # that each request's many small objects trigger no longer walk them.
            gc.freeze()
            yield

    # Swagger UI and ReDoc load their assets from a CDN: both are off; /docs is a local page.
    app = FastAPI(
        title="spinemets CDS Hooks service",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.add_exception_handler(SpinemetsError, _spinemets_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    if settings.bench:
        app.add_middleware(_ServerTiming)

    for extension in extensions:
        app.include_router(extension.router)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS)

    @app.get(
        "/cds-services",
        response_model=Discovery,
        response_model_exclude_none=True,
        responses=_responses(401),
    )
    async def get_discovery(_: Authenticated) -> Discovery:
        """CDS Hooks discovery."""
        return discovery()

    @app.post(
        "/cds-services/{service_id}",
        response_model=CdsResponse,
        responses=_responses(400, 401, 404, 412),
        openapi_extra=_body("CdsRequest"),
    )
    async def post_service(service_id: str, body: CdsBody, deps: DepsDep) -> Response:
        """Call a CDS service."""
        response = await call_service(service_id, body, deps)
        # Serialised directly: FastAPI would validate the model again and encode it twice.
        return Response(response.model_dump_json(exclude_none=True), media_type="application/json")

    @app.post(
        "/cds-services/{service_id}/feedback",
        responses=_responses(400, 401, 404),
        openapi_extra=_body("FeedbackRequest"),
    )
    async def post_feedback(service_id: str, body: FeedbackBody, store: StoreDep) -> dict[str, int]:
        """Store card feedback (accepted or overridden)."""
        service(service_id)
        await store.add(service_id, body.feedback)
        return {"stored": len(body.feedback)}

    def openapi() -> dict[str, Any]:
        # FastAPI documents 422 for body errors; this service answers 400 (CDS Hooks practice).
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (CdsRequest, FeedbackRequest):
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    operation.get("responses", {}).pop("422", None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
