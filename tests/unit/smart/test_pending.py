"""Launches not yet signed in (pending) against signed-in sessions, and the SMART configuration
cache: anonymous ``GET /smart/launch`` requests neither sign a clinician out nor each make a
request to the EHR (audit8 finding 3)."""

from __future__ import annotations

import logging

import pytest

from adapter.smart.sessions import SessionStore
from tests.support.smart_app import FHIR, app_of, client_of, kept_fhir, launch_server, signed_in

pytestmark = pytest.mark.anyio

DISCOVERY = "/fhir/.well-known/smart-configuration"


async def test_anonymous_launches_do_not_sign_a_clinician_out(monkeypatch):
    smart = launch_server()
    kept_fhir(monkeypatch, smart)
    app = app_of(smart, smart_max_sessions=20)
    clinician, _ = await signed_in(app, smart)
    async with client_of(app) as anonymous:
        for _ in range(25):
            answer = await anonymous.get("/smart/launch", params={"iss": FHIR, "launch": "x"})
            assert answer.status_code == 302
            anonymous.cookies.clear()  # each one a new browser
    page = await clinician.get("/smart/")
    await clinician.aclose()
    assert page.status_code == 200, page.text


async def test_a_full_pending_store_refuses_launches_and_says_so_in_counts(monkeypatch, caplog):
    smart = launch_server()
    kept_fhir(monkeypatch, smart)
    app = app_of(smart, smart_max_pending=3)
    clinician, _ = await signed_in(app, smart)
    statuses = []
    with caplog.at_level(logging.WARNING, logger="spinemets.smart"):
        async with client_of(app) as anonymous:
            for _ in range(5):
                answer = await anonymous.get("/smart/launch", params={"iss": FHIR, "launch": "x"})
                statuses.append(answer.status_code)
                anonymous.cookies.clear()
    page = await clinician.get("/smart/")
    await clinician.aclose()
    assert statuses == [302, 302, 302, 503, 503]
    assert page.status_code == 200
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    # counts only, and at most one line a minute however many are refused
    assert refused == [
        "SMART launches refused: 3 launches pending (the most kept), 1 refused since the last line"
    ]


def test_signed_in_sessions_evict_only_signed_in_ones_and_expired_ones_first():
    now = [1000.0]
    store = SessionStore(3600, 2, pending_seconds=600, pending_capacity=2, clock=lambda: now[0])
    first, second = store.new(), store.new()
    assert first is not None and second is not None
    assert store.new() is None  # pending full: refused, nothing evicted
    a = store.rotate(first)
    b = store.rotate(second)
    now[0] += 10
    third = store.new()
    assert third is not None
    c = store.rotate(third)  # signed-in full: the oldest signed-in goes
    assert store.get(a.id) is None and store.get(b.id) is b and store.get(c.id) is c
    now[0] += 601  # a pending launch lasts 10 minutes, a session its own lifetime
    pending = store.new()
    assert pending is not None and store.get(pending.id) is pending
    now[0] += 601
    assert store.get(pending.id) is None and store.get(b.id) is b


async def test_the_smart_configuration_is_fetched_once_within_its_lifetime(monkeypatch):
    smart = launch_server()
    app = app_of(smart, smart_discovery_seconds=300)
    state = app.state.smart
    now = [1000.0]
    state.discovery.clock = lambda: now[0]
    async with client_of(app) as anonymous:
        for _ in range(10):
            await anonymous.get("/smart/launch", params={"iss": FHIR, "launch": "x"})
            anonymous.cookies.clear()
        assert state.transport.paths.count(DISCOVERY) == 1
        now[0] += 301
        for _ in range(3):
            await anonymous.get("/smart/launch", params={"iss": FHIR, "launch": "x"})
            anonymous.cookies.clear()
    assert state.transport.paths.count(DISCOVERY) == 2


async def test_a_failed_discovery_is_kept_only_briefly(monkeypatch):
    smart = launch_server()
    app = app_of(smart, smart_discovery_seconds=300)
    state = app.state.smart
    now = [1000.0]
    state.discovery.clock = lambda: now[0]
    smart.app.router.routes = [r for r in smart.app.router.routes
                               if getattr(r, "path", "") != DISCOVERY]  # fmt: skip
    async with client_of(app) as anonymous:
        answers = [await anonymous.get("/smart/launch", params={"iss": FHIR}) for _ in range(3)]
        assert [a.status_code for a in answers] == [502, 502, 502]
        assert state.transport.paths.count(DISCOVERY) == 1
        now[0] += 11
        await anonymous.get("/smart/launch", params={"iss": FHIR})
    assert state.transport.paths.count(DISCOVERY) == 2
