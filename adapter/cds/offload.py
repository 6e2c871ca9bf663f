"""Service calls off the event loop: a few worker threads, each running its own event loop.

A CDS call is mostly CPU (reading the prefetch, scoring, building resources) with some I/O (the
fhirServer fallback). Run on the server's event loop, a 10,000-entry prefetch would stall every
other request until it is scored. Here each call runs as a coroutine on one of ``size`` worker
loops, each with its own HTTP connection pool (an ``httpx.AsyncClient`` belongs to one loop), so
the server's loop stays free to accept, authenticate and answer other requests meanwhile.

Why not ``concurrent.futures.ThreadPoolExecutor`` or ``asyncio.to_thread``: they run one job per
thread to its end. A call waiting on a slow fhirServer (up to ``SPINEMETS_FHIR_DEADLINE``) would
hold a thread, so with ``SPINEMETS_WORKER_THREADS`` such calls every other admitted call would
wait in the executor's unbounded queue: admission control (:mod:`adapter.cds.admission`) promises
that up to ``SPINEMETS_MAX_IN_FLIGHT`` calls are worked on at once and the next one is refused,
never queued. Nor can an executor stop a job once it runs, while a call here is cancelled on its
worker loop when the client hangs up. The standard library has no pool of event loops; this
class is that, and nothing more (the threads and loops are the standard library's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from adapter.errors import OverloadedError
from adapter.fhir.client import default_tls, no_cookies

__all__ = ["INLINE_MAX_BYTES", "LoopPool"]

# A request body up to this size is parsed and (when nothing has to be fetched) served on the
# server's own loop: ~60 resources take a few milliseconds, less than the thread hops cost
# under load. A larger one, up to the 10,000-entry prefetch the limits allow, goes to a worker.
INLINE_MAX_BYTES = 64 * 1024

C = TypeVar("C")
T = TypeVar("T")


_log = logging.getLogger(__name__)

# How often each worker loop marks that it turns: a loop that has not for ``stall`` seconds is
# computing without a pause (a call whose client has gone away cannot be cancelled then).
_BEAT = 0.25


@dataclass(slots=True, eq=False)  # each job is itself: hashed by identity
class _Job:
    """One call on a worker loop: whether its caller has gone, and since when its current step
    has held the loop."""

    orphaned: bool = False  # set by the caller's side when its client went away
    step: float | None = None  # when its current step on the loop began; None between steps


@dataclass(slots=True)
class _Worker(Generic[C]):
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    http: httpx.AsyncClient | None = None
    context: C | None = None
    busy: int = 0  # calls waiting for it (the server's loop counts them)
    running: int = 0  # jobs being worked on (its own loop counts them): one outlives its caller
    beat: float = field(default_factory=time.monotonic)  # when its loop last turned
    jobs: set[_Job] = field(default_factory=set)  # the jobs on it, kept by its own loop
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def load(self) -> int:
        return max(self.busy, self.running)

    def stuck(self, limit: float) -> bool:
        """One job's step — a computation with no await — has held the loop past ``limit``: a
        runaway (a large call takes seconds), which no client waits out. Calls queued behind it,
        however many, are load, which admission control bounds: never taken for this."""
        now = time.monotonic()
        with self.lock:
            return any(j.step is not None and now - j.step > limit for j in self.jobs)

    def turning(self) -> bool:
        """Its loop turned within the last second: a call sent there starts soon."""
        return time.monotonic() - self.beat <= 1.0


def _beat(worker: _Worker[C]) -> None:
    worker.beat = time.monotonic()
    worker.loop.call_later(_BEAT, _beat, worker)


class LoopPool(Generic[C]):
    """``size`` threads with an event loop and an HTTP client each; jobs go to the least busy."""

    def __init__(
        self,
        size: int,
        make_context: Callable[[httpx.AsyncClient], C],
        *,
        name: str = "cds",
        stall: float = 30.0,
    ) -> None:
        self._size = size
        self._stall = stall  # seconds a loop may go without turning before it counts as stuck
        self._make_context = make_context
        self._name = name
        self._workers: list[_Worker[C]] = []

    def start(self) -> None:
        for n in range(self._size):
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=_run, args=(loop,), name=f"spinemets-{self._name}-{n}", daemon=True
            )
            worker: _Worker[C] = _Worker(loop, thread)
            thread.start()
            asyncio.run_coroutine_threadsafe(self._open(worker), loop).result(timeout=30)
            loop.call_soon_threadsafe(_beat, worker)
            self._workers.append(worker)

    async def _open(self, worker: _Worker[C]) -> None:
        worker.http = httpx.AsyncClient(
            follow_redirects=False, cookies=no_cookies(), verify=default_tls()
        )
        worker.context = self._make_context(worker.http)

    async def run(self, job: Callable[[C], Awaitable[T]]) -> T:
        """Run ``job(context)`` on the least busy worker loop and wait for its result; a loop
        still computing a call whose client left counts as busy, and one stalled past the limit
        gets none (OverloadedError, 503, when every one is: never a queue behind it)."""
        usable = [w for w in self._workers if not w.stuck(self._stall)]
        if not usable:
            raise OverloadedError("every worker is busy with a long computation")
        # A loop that is turning first, then the least loaded.
        worker = min(usable, key=lambda w: (not w.turning(), w.load))
        assert worker.context is not None
        state = _Job()
        worker.busy += 1
        try:
            coroutine = _as_coroutine(job, worker, state)
            future = asyncio.run_coroutine_threadsafe(coroutine, worker.loop)
            try:
                return await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                state.orphaned = True  # a computation cannot be stopped mid-way: it is marked
                future.cancel()  # the client went away: stop its work too
                raise
        finally:
            worker.busy -= 1

    def alive(self) -> bool:
        """Every worker thread is running (a dead one would take its share of calls down), and
        not every loop is stuck on a call whose client has gone (none could take a call)."""
        workers = self._workers
        return (
            bool(workers)
            and all(w.thread.is_alive() for w in workers)
            and not all(w.stuck(self._stall) for w in workers)
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Close the workers' clients and stop their loops, within ``timeout`` seconds in all.
        A loop still computing (a call whose client left) cannot be stopped: it is left to end
        with the process (its thread is a daemon), and the busy ones are said in one line."""
        deadline = time.monotonic() + timeout
        # A loop computing now would not run its client's close before the process ends (a
        # task destroyed pending): only the others close theirs, all at once.
        closing = [
            asyncio.run_coroutine_threadsafe(w.http.aclose(), w.loop)
            for w in self._workers
            if w.http is not None and w.running == 0
        ]
        for done in closing:  # all asked at once: an idle loop closes while a busy one computes
            with contextlib.suppress(TimeoutError):
                done.result(timeout=max(deadline - time.monotonic(), 0))
        for worker in self._workers:
            worker.loop.call_soon_threadsafe(worker.loop.stop)
        busy = []
        for worker in self._workers:
            # An idle loop stops at once: it is given a second whatever the busy ones took.
            grace = 1.0 if worker.running == 0 else 0.0
            worker.thread.join(timeout=max(deadline - time.monotonic(), grace))
            if worker.thread.is_alive():
                busy.append(worker.thread.name)
        if busy:
            _log.warning(
                "worker loops still busy at shutdown, left to end with the process: %s",
                ", ".join(busy),
            )
        self._workers.clear()


def _run(loop: asyncio.AbstractEventLoop) -> None:
    """A worker thread: its loop until stopped, then closed by the thread itself — at once when
    idle, or once the computation that held it at shutdown ends."""
    try:
        loop.run_forever()
    finally:
        loop.close()


async def _as_coroutine(job: Callable[[C], Awaitable[T]], worker: _Worker[C], state: _Job) -> T:
    # Counted on the worker's own loop, from its first step to its end, however long after its
    # caller gave up; a job whose caller left before it started does not run.
    assert worker.context is not None
    if state.orphaned:  # its client left before it started: nothing to do for nobody
        raise asyncio.CancelledError
    with worker.lock:
        worker.jobs.add(state)
    worker.running += 1
    try:
        return await _Timed(job(worker.context), state)
    finally:
        worker.running -= 1
        with worker.lock:
            worker.jobs.discard(state)


class _Timed(Generator[Any, Any, T]):
    """A job's coroutine, each step timed: when the loop runs it until its next await, ``step``
    says since when (:meth:`_Worker.stuck`)."""

    __slots__ = ("_coro", "_state")

    def __init__(self, coro: Awaitable[T], state: _Job) -> None:
        self._coro = coro.__await__()
        self._state = state

    def __await__(self) -> Generator[Any, Any, T]:
        return self

    def send(self, value: Any) -> Any:
        self._state.step = time.monotonic()
        try:
            return self._coro.send(value)
        finally:
            self._state.step = None

    def throw(self, *error: Any) -> Any:
        self._state.step = time.monotonic()
        try:
            return self._coro.throw(*error)
        finally:
            self._state.step = None

    def close(self) -> None:
        self._coro.close()
