"""The FastAPI application factory: state, middleware, exception handlers, routers.

:func:`create_app` builds an app from :class:`~adapter.cds.settings.Settings`; its lifespan opens
the typed :class:`~adapter.cds.state.AppState` that the routes reach through
:mod:`adapter.cds.deps`. :func:`app_from_environment` is the factory ``uvicorn --factory`` and
``spinemets serve --workers N`` call in each worker process.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from adapter import __version__
from adapter.cds.middleware import BodyLimits, ServerTiming
from adapter.cds.notify import Resync
from adapter.cds.notify import router as notify_router
from adapter.cds.openapi import install_openapi
from adapter.cds.responses import install_handlers
from adapter.cds.routes import discovery, docs, feedback, services
from adapter.cds.settings import Settings, load_settings
from adapter.cds.state import open_state
from adapter.mapping.terminology import Terminology, default_terminology

__all__ = ["app_from_environment", "create_app"]


def _lifespan(
    settings: Settings, terminology: Terminology | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        term = terminology or default_terminology()
        async with open_state(settings, term) as state:
            app.state.spinemets = state
            resync = Resync(term, state.http, settings) if settings.fhir_server else None
            app.state.resync = resync  # read by the notifications router
            # Start-up objects (modules, terminology) live for ever: frozen, the collections
            # that each request's many small objects trigger no longer walk them.
            gc.freeze()
            yield
            if resync is not None:
                await resync.idle()

    return lifespan


def create_app(
    settings: Settings | None = None, *, terminology: Terminology | None = None
) -> FastAPI:
    """The service, configured from ``settings`` (default: the environment)."""
    settings = settings or load_settings()
    # Swagger UI and ReDoc load their assets from a CDN: both are off; /docs is a local page.
    app = FastAPI(
        title="spinemets CDS Hooks service",
        version=__version__,
        lifespan=_lifespan(settings, terminology),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
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
    for module in (docs, discovery, services, feedback):
        app.include_router(module.router)
    app.include_router(notify_router)
    install_openapi(app)
    return app


def app_from_environment() -> FastAPI:
    """The app from ``SPINEMETS_*`` settings: the factory each worker process calls."""
    return create_app(load_settings())
