"""Schemathesis over the service's own OpenAPI schema: nothing a client sends gives a 5xx."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
import respx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from adapter.cds.app import create_app
from adapter.cds.settings import Settings


class _Running:
    """Runs the app's lifespan on a private event loop for the whole module."""

    def __init__(self, app) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def _serve(self) -> None:
        self.stop = asyncio.Event()
        async with self.app.router.lifespan_context(self.app):
            self.ready.set()
            await self.stop.wait()

    def __enter__(self):
        self.thread.start()
        self.future = asyncio.run_coroutine_threadsafe(self._serve(), self.loop)
        self.ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.future.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


APP = create_app(Settings(feedback_db="/tmp/spinemets-schemathesis.sqlite3"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def running():
    with _Running(APP) as running:
        yield running


@pytest.fixture(autouse=True)
def no_network():
    # A generated fhirServer must never be called for real: every outbound request gets a 404.
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(404)
        yield


@schema.parametrize()
@settings(max_examples=40, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors(case, caplog):
    caplog.clear()
    response = case.call(app=APP)
    assert response.status_code < 500, response.text
    # Nor an internal error hidden behind a 4xx: nothing logged at error level, no traceback.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    # Model validators (fhirAuthorization needs fhirServer, accepted feedback needs suggestions,
    # a hook must match its service) are beyond JSON Schema: their 400s are expected, so the
    # "schema-valid data must be accepted" check is off; every other check runs.
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
