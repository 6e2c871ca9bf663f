"""Admission by the event loop's lag (adapter/cds/lag.py): an overloaded worker's calls wait in
the loop's queue, not among the calls in flight, so a worker running behind sheds new calls at
once (503 throttled, Retry-After) and takes them again once it has caught up."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

import adapter.cds.routes.services as routes
from adapter.cds.lag import PERIOD, LoopLag
from adapter.cds.services import call_service
from tests.unit.cds.conftest import client_for, patient_view

pytestmark = pytest.mark.anyio
SCORES = "/cds-services/spinemets-scores"


async def test_a_loop_held_by_work_shows_as_lag_and_recovers():
    lag = LoopLag()
    assert lag.seconds() == 0.0  # sampling starts with the first question
    await asyncio.sleep(5 * PERIOD)
    idle = lag.seconds()
    time.sleep(0.1)  # work that holds the loop, as an inline call does
    assert lag.seconds() >= 0.08 > idle  # at once, the pending sample overdue
    await asyncio.sleep(0.001)
    assert lag.seconds() >= 0.08  # the sample taken late
    await asyncio.sleep(5 * PERIOD)
    assert lag.seconds() < 0.08  # caught up


async def test_a_worker_running_behind_sheds_new_calls_until_it_catches_up(settings, monkeypatch):
    arrived: dict[str, httpx.Response] = {}

    async def holding(*args):
        if not arrived:  # the first call holds the loop for 150 ms; two requests arrive then
            time.sleep(0.15)
            arrived["call"] = await client.post(SCORES, json=patient_view())
            arrived["health"] = await client.get("/healthz")
        return await call_service(*args)

    monkeypatch.setattr(routes, "call_service", holding)
    async with client_for(settings.model_copy(update={"max_queue_ms": 50})) as client:
        assert (await client.post(SCORES, json=patient_view())).status_code == 200
        behind, health = arrived["call"], arrived["health"]
        await asyncio.sleep(10 * PERIOD)
        caught_up = await client.post(SCORES, json=patient_view())
        metrics = (await client.get("/metrics")).text
    assert behind.status_code == 503 and behind.headers["retry-after"] == "1"
    issue = behind.json()["issue"][0]
    assert issue["code"] == "throttled" and "behind" in issue["diagnostics"]
    assert health.status_code == 200  # health is never shed
    assert caught_up.status_code == 200
    assert "spinemets_calls_shed_total 1.0" in metrics


@pytest.fixture
def anyio_backend():
    return "asyncio"
