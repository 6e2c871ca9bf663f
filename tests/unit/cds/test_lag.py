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


async def _late_sample() -> None:
    """Hold the loop for 100 ms, then let the sample that came due meanwhile be taken."""
    time.sleep(0.1)
    await asyncio.sleep(0.001)


async def test_a_loop_behind_at_two_samples_shows_as_lag_and_recovers():
    lag = LoopLag()
    assert lag.seconds() == 0.0  # sampling starts with the first question
    await asyncio.sleep(5 * PERIOD)
    await _late_sample()
    assert lag.seconds() < 0.05  # one long piece of work: one late sample, no queue behind it
    await _late_sample()
    assert lag.seconds() >= 0.08  # still behind at the next sample: work is waiting
    assert await _caught_up(lag)


async def test_a_queue_of_work_shows_as_lag_before_the_next_sample_is_taken():
    # An overloaded worker reads a batch of requests at once and works on them one after the
    # other, inline: no sample can be taken until the batch is done, so the samples alone never
    # saw it, and every call of the batch was admitted however long it had waited.
    lag = LoopLag()
    lag.seconds()
    await asyncio.sleep(5 * PERIOD)
    seen: list[float] = []

    async def call() -> None:
        time.sleep(0.03)  # a call worked on inline
        seen.append(lag.seconds())

    await asyncio.gather(*(call() for _ in range(6)))
    assert seen[0] < 0.05  # the first of the batch has not waited
    assert seen[-1] >= 0.1  # five calls were worked on ahead of the last one
    assert await _caught_up(lag)


async def _caught_up(lag: LoopLag, within: float = 2.0) -> bool:
    """Whether the lag falls back under 50 ms: at once on an idle machine, and within ``within``
    on a busy one, whose scheduler may itself hold the loop back for a sample or two."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(5 * PERIOD)
        if lag.seconds() < 0.05:
            return True
    return False


async def test_a_worker_running_behind_sheds_new_calls_until_it_catches_up(settings, monkeypatch):
    arrived: dict[str, httpx.Response] = {}

    async def holding(*args):
        if not arrived:  # the first call keeps the loop behind at two samples; two calls arrive
            await _late_sample()
            await _late_sample()
            arrived["call"] = await client.post(SCORES, json=patient_view())
            arrived["health"] = await client.get("/healthz")
        return await call_service(*args)

    monkeypatch.setattr(routes, "call_service", holding)
    async with client_for(settings.model_copy(update={"max_queue_ms": 50})) as client:
        assert (await client.post(SCORES, json=patient_view())).status_code == 200
        behind, health = arrived["call"], arrived["health"]
        await asyncio.sleep(10 * PERIOD)
        caught_up = await client.post(SCORES, json=patient_view())
        shed = 1
        for _ in range(20):  # a busy machine may hold the loop back a little longer
            if caught_up.status_code != 503:
                break
            shed += 1
            await asyncio.sleep(10 * PERIOD)
            caught_up = await client.post(SCORES, json=patient_view())
        metrics = (await client.get("/metrics")).text
    assert behind.status_code == 503 and behind.headers["retry-after"] == "1"
    issue = behind.json()["issue"][0]
    assert issue["code"] == "throttled" and "behind" in issue["diagnostics"]
    assert health.status_code == 200  # health is never shed
    assert caught_up.status_code == 200
    assert f"spinemets_calls_shed_total {shed}.0" in metrics


@pytest.fixture
def anyio_backend():
    return "asyncio"
