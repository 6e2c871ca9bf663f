"""The FastAPI application factory: state, middleware, exception handlers, routers.

:func:`create_app` builds an app from :class:`~adapter.cds.settings.Settings`; its lifespan opens
the typed :class:`~adapter.cds.state.AppState` that the routes reach through
:mod:`adapter.cds.deps`, and the lifetime of each :class:`Extension` (a feature mounted beside the
CDS services, such as FHIR notifications, which lives in :mod:`adapter.sync`: cds never imports
it). The worker processes of ``spinemets serve --workers N`` call the factory the command line
names, which adds the same extensions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adapter import __version__
from adapter.cds.admission import Admission, Observed
from adapter.cds.hangups import HangUps
from adapter.cds.metrics import Metrics
from adapter.cds.middleware import BodyLimits, ServerTiming
from adapter.cds.openapi import install_openapi
from adapter.cds.responses import install_handlers
from adapter.cds.routes import discovery, docs, feedback, health, questionnaire, services
from adapter.cds.services import SERVICES
from adapter.cds.settings import Settings, load_settings
from adapter.cds.state import open_state
from adapter.heap import settle
from adapter.mapping.terminology import Terminology, default_terminology
from adapter.smart.routes import router as smart_router

__all__ = ["Extension", "app_from_environment", "create_app"]


class Extension(Protocol):
    """A feature mounted beside the CDS services: its routes and its lifetime."""

    router: APIRouter

    def lifespan(self) -> AbstractAsyncContextManager[None]: ...

    def alive(self) -> bool:
        """Its workers are running (``/readyz``)."""
        ...

    def stats(self) -> Mapping[str, float]:
        """Its counters for ``/metrics`` (``spinemets_notifications_total{event=…}``)."""
        ...


def _lifespan(
    settings: Settings, terminology: Terminology | None, extensions: Sequence[Extension]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        term = terminology or default_terminology()
        metrics = app.state.metrics
        async with open_state(settings, term, metrics) as state, AsyncExitStack() as stack:
            app.state.spinemets = state
            app.state.audit_trail = state.audit  # the SMART app's events go to the same trail
            for extension in extensions:
                await stack.enter_async_context(extension.lifespan())
            settle()  # start-up objects out of the collector's walks (adapter/heap.py)
            yield

    return lifespan


def create_app(
    settings: Settings | None = None,
    *,
    terminology: Terminology | None = None,
    extensions: Sequence[Extension] = (),
) -> FastAPI:
    """The service, configured from ``settings`` (default: the environment)."""
    settings = settings or load_settings()
    # Swagger UI and ReDoc load their assets from a CDN: both are off; /docs is a local page.
    app = FastAPI(
        title="spinemets CDS Hooks service",
        version=__version__,
        lifespan=_lifespan(settings, terminology, extensions),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    # A trailing slash is answered 404, not redirected: the redirect's Location would be built
    # from the Host header, which the caller chooses.
    app.router.redirect_slashes = False
    install_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    if settings.bench:
        app.add_middleware(ServerTiming)
    metrics = app.state.metrics = Metrics()
    app.state.extensions = tuple(extensions)
    # Inside admission control: a call cancelled for a client gone frees its place on the way out.
    app.add_middleware(HangUps)
    app.add_middleware(
        Admission,
        limit=settings.max_in_flight,
        metrics=metrics,
        max_queue=settings.max_queue_ms / 1000,
    )
    # Outermost: every request, shed or not, has its id, its count and its one access line.
    app.add_middleware(
        Observed, metrics=metrics, services=tuple(SERVICES), access_log=settings.access_log
    )
    for module in (health, docs, discovery, services, feedback, questionnaire):
        app.include_router(module.router)
    app.include_router(smart_router)  # the patient page as a SMART app (contract §7)
    for extension in extensions:
        app.include_router(extension.router)
        metrics.add_source("spinemets_notifications", extension.stats)
    install_openapi(app)
    return app


def app_from_environment() -> FastAPI:
    """The CDS service alone from ``SPINEMETS_*`` settings (``uvicorn --factory``)."""
    return create_app(load_settings())
