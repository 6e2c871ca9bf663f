"""The worker loops (adapter.cds.offload): what admission control relies on, and why an
executor of the standard library would not do (it runs one job per thread to its end)."""

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest

from adapter.cds.offload import LoopPool

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"  # the pool's loops are asyncio loops


def _runaway() -> tuple[threading.Event, threading.Event, Callable[[str], Awaitable[None]]]:
    """A job that blocks its worker's loop, as a long computation does, until ``release``;
    ``started`` once it runs."""
    release, started = threading.Event(), threading.Event()

    async def stuck(context: str) -> None:
        started.set()
        release.wait(30)

    return release, started, stuck


async def test_more_calls_than_threads_are_worked_on_at_once():
    """Calls waiting on I/O do not hold a thread: with one thread, three waiting calls are all
    in progress together, none queued behind another (admission control's limit is the queue)."""
    pool: LoopPool[str] = LoopPool(1, lambda http: "context")
    await asyncio.to_thread(pool.start)
    started = 0

    async def job(context: str) -> str:
        nonlocal started
        started += 1
        while started < 3:
            await asyncio.sleep(0.01)
        return context

    try:
        results = await asyncio.wait_for(asyncio.gather(*(pool.run(job) for _ in range(3))), 10)
    finally:
        await asyncio.to_thread(pool.stop)
    assert results == ["context"] * 3


async def test_a_withdrawn_call_is_cancelled_on_its_worker_loop():
    pool: LoopPool[str] = LoopPool(1, lambda http: "context")
    await asyncio.to_thread(pool.start)
    running, cancelled = asyncio.Event(), []
    here = asyncio.get_running_loop()

    async def job(context: str) -> None:
        here.call_soon_threadsafe(running.set)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    try:
        call = asyncio.ensure_future(pool.run(job))
        await asyncio.wait_for(running.wait(), 10)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        for _ in range(100):
            if cancelled:
                break
            await asyncio.sleep(0.01)
    finally:
        await asyncio.to_thread(pool.stop)
    assert cancelled == [True]


async def test_the_workers_client_keeps_no_cookie_from_one_users_read_for_another():
    """One client serves every EHR user's fhirServer reads: a session cookie a FHIR server sets
    on one user's read must never ride along on the next user's (each call has its own token)."""
    import httpx
    import respx

    pool: LoopPool[httpx.AsyncClient] = LoopPool(1, lambda http: http)
    await asyncio.to_thread(pool.start)

    async def two_reads(http: httpx.AsyncClient) -> list[httpx.Request]:
        with respx.mock:
            route = respx.get("https://fhir.example/Patient/p").mock(
                return_value=httpx.Response(200, json={}, headers={"Set-Cookie": "sid=user-1"})
            )
            await http.get("https://fhir.example/Patient/p")
            await http.get("https://fhir.example/Patient/p")
            return [call.request for call in route.calls]

    try:
        first, second = await asyncio.wait_for(pool.run(two_reads), 10)
    finally:
        await asyncio.to_thread(pool.stop)
    assert "cookie" not in first.headers and "cookie" not in second.headers


async def test_a_call_still_computing_after_its_client_left_keeps_its_worker_counted_busy():
    """CPU-bound work cannot be cancelled: a withdrawn call that keeps computing holds its loop.
    Its worker read as idle the moment the caller left, so every later call went to the stuck
    loop and waited; now the next call goes to a free worker."""
    pool: LoopPool[str] = LoopPool(2, lambda http: "context")
    await asyncio.to_thread(pool.start)
    release, started, stuck = _runaway()

    async def quick(context: str) -> str:
        return threading.current_thread().name

    try:
        call = asyncio.ensure_future(pool.run(stuck))
        await asyncio.to_thread(started.wait, 10)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        served_by = await asyncio.wait_for(pool.run(quick), 5)
        assert served_by.endswith("-1")  # the other worker
    finally:
        release.set()
        await asyncio.to_thread(pool.stop)


async def test_a_worker_loop_held_by_one_step_past_the_limit_is_not_alive_and_gets_no_call():
    """/readyz reads ``alive``: a worker loop that one computation step (no await) has held for
    ``stall`` seconds keeps the instance out of rotation until it turns again, and a call that
    would need it is refused at once (contract §8: readyz checks the workers; a fast 503, never
    a queue). A large call takes seconds: a step of 30 s is a runaway, whoever waits for it."""
    from adapter.errors import OverloadedError

    pool: LoopPool[str] = LoopPool(1, lambda http: "context", stall=0.3)
    await asyncio.to_thread(pool.start)
    release, started, stuck = _runaway()

    try:
        assert pool.alive()
        call = asyncio.ensure_future(pool.run(stuck))
        await asyncio.to_thread(started.wait, 10)
        await asyncio.sleep(0.6)
        assert not pool.alive()
        with pytest.raises(OverloadedError):  # refused at once, never queued behind it
            await asyncio.wait_for(pool.run(stuck), 5)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        release.set()
        for _ in range(300):
            if pool.alive():
                break
            await asyncio.sleep(0.01)
        assert pool.alive()
    finally:
        release.set()
        await asyncio.to_thread(pool.stop)


async def test_calls_queued_on_busy_loops_never_make_them_stuck():
    """Many calls whose clients wait, each a while of CPU, keep the loops from turning for
    longer than ``stall`` in all: that is load, which admission control bounds, not a stuck loop;
    the instance stays ready and takes the next call."""
    import time

    pool: LoopPool[str] = LoopPool(2, lambda http: "context", stall=0.2)
    await asyncio.to_thread(pool.start)

    async def busy(context: str) -> str:
        end = time.monotonic() + 0.15
        while time.monotonic() < end:  # CPU, no await
            pass
        return context

    async def watch() -> bool:
        seen = True
        for _ in range(40):
            seen = seen and pool.alive()
            await asyncio.sleep(0.02)
        return seen

    try:
        calls = asyncio.gather(*(pool.run(busy) for _ in range(8)))
        always_alive = await watch()
        await asyncio.wait_for(calls, 20)
        assert always_alive
        assert await asyncio.wait_for(pool.run(busy), 5) == "context"
    finally:
        await asyncio.to_thread(pool.stop)


async def test_stopping_with_a_worker_still_computing_is_bounded_and_says_so_in_one_line(caplog):
    """At shutdown a loop still computing cannot close its client: stopping raised TimeoutError
    out of the lifespan (a traceback, "Application shutdown failed"); it now gives up on that
    worker after its timeout and logs one line."""
    import logging

    pool: LoopPool[str] = LoopPool(3, lambda http: "context")
    await asyncio.to_thread(pool.start)
    release, started, stuck = _runaway()

    call = asyncio.ensure_future(pool.run(stuck))
    try:
        await asyncio.to_thread(started.wait, 10)
        with caplog.at_level(logging.WARNING):
            await asyncio.wait_for(asyncio.to_thread(pool.stop, 0.2), 10)
        said = [r.getMessage() for r in caplog.records if "worker" in r.getMessage()]
        assert len(said) == 1 and "still busy" in said[0], said
        assert all(r.exc_info is None for r in caplog.records)
        idle = [t for t in threading.enumerate() if t.name.endswith(("-1", "-2"))]
        assert not [t for t in idle if t.name.startswith("spinemets-cds")]  # stopped
    finally:
        release.set()
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)


async def test_calls_queued_behind_a_stuck_loop_never_hide_it():
    """A call that tied onto the loop of a runaway computation waits behind it; once that
    computation's client has gone, the loop is stuck whatever is queued on it, and the next call
    goes to the other loop at once."""
    pool: LoopPool[str] = LoopPool(2, lambda http: "context", stall=0.3)
    await asyncio.to_thread(pool.start)
    release, started, stuck = _runaway()

    async def waiting(context: str) -> None:
        await asyncio.sleep(2)

    async def quick(context: str) -> str:
        return threading.current_thread().name

    try:
        hung = asyncio.ensure_future(pool.run(stuck))
        await asyncio.to_thread(started.wait, 10)
        other = asyncio.ensure_future(pool.run(waiting))  # the other loop, waiting on I/O
        await asyncio.sleep(0.05)
        queued = asyncio.ensure_future(pool.run(quick))  # ties: may queue behind the hung one
        await asyncio.sleep(0.05)
        hung.cancel()
        await asyncio.gather(hung, return_exceptions=True)
        await asyncio.sleep(0.6)
        served_by = await asyncio.wait_for(pool.run(quick), 1.5)
        assert served_by.endswith("-1"), served_by
    finally:
        release.set()
        await asyncio.gather(other, queued, return_exceptions=True)
        await asyncio.to_thread(pool.stop)


async def test_an_abandoned_call_waiting_on_io_never_makes_a_busy_loop_stuck():
    """Calls whose clients wait hold the loop; a call abandoned while it waits on I/O is not
    what holds it: the loop is busy, not stuck, and the next call is served."""
    import time

    pool: LoopPool[str] = LoopPool(1, lambda http: "context", stall=0.3)
    await asyncio.to_thread(pool.start)

    async def waiting(context: str) -> None:
        await asyncio.sleep(5)

    async def busy(context: str) -> str:
        end = time.monotonic() + 0.15
        while time.monotonic() < end:
            pass
        return context

    try:
        io = asyncio.ensure_future(pool.run(waiting))
        await asyncio.sleep(0.4)
        load = asyncio.gather(*(pool.run(busy) for _ in range(6)))
        await asyncio.sleep(0.05)
        io.cancel()
        seen = []
        for _ in range(30):
            seen.append(pool.alive())
            await asyncio.sleep(0.03)
        await asyncio.wait_for(load, 20)
        assert all(seen), seen
    finally:
        await asyncio.to_thread(pool.stop)


async def test_a_call_abandoned_before_its_job_starts_never_runs():
    pool: LoopPool[str] = LoopPool(1, lambda http: "context")
    await asyncio.to_thread(pool.start)
    release, started, stuck = _runaway()
    ran = []

    async def job(context: str) -> None:
        ran.append(1)

    try:
        hung = asyncio.ensure_future(pool.run(stuck))
        await asyncio.to_thread(started.wait, 10)
        queued = [asyncio.ensure_future(pool.run(job)) for _ in range(5)]
        await asyncio.sleep(0.05)
        for call in queued:
            call.cancel()
        await asyncio.gather(*queued, return_exceptions=True)
        release.set()
        await asyncio.wait_for(hung, 10)
        await asyncio.wait_for(pool.run(job), 5)
        assert ran == [1]  # only the call whose client waited
    finally:
        release.set()
        await asyncio.to_thread(pool.stop)


async def test_a_short_abandoned_job_amid_load_never_makes_the_loop_stuck():
    """Calls that read (I/O) and then compute 0.3 s each, queued together: one whose client
    times out holds the loop for 0.3 s when its turn comes, never past the limit, so the loop
    is busy, not stuck."""
    import time

    pool: LoopPool[str] = LoopPool(1, lambda http: "context", stall=1.0)
    await asyncio.to_thread(pool.start)

    async def call(context: str) -> str:
        await asyncio.sleep(0.05)  # the prefetch read
        end = time.monotonic() + 0.3
        while time.monotonic() < end:  # scoring
            pass
        return context

    try:
        calls = [asyncio.ensure_future(pool.run(call)) for _ in range(8)]
        await asyncio.sleep(1.5)
        calls[-1].cancel()
        seen = []
        for _ in range(50):
            seen.append(pool.alive())
            await asyncio.sleep(0.03)
        await asyncio.gather(*calls, return_exceptions=True)
        assert all(seen), seen
    finally:
        await asyncio.to_thread(pool.stop)
