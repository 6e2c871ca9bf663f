"""Where a batch's tasks run: this process, a pool of local processes, or a Dask cluster.

Each engine maps a picklable function over a list of items and yields the results as they
complete. Neither schedules anything itself: the local pool is :mod:`concurrent.futures`, the
cluster is Dask distributed (imported only when asked for, so the command line stays fast),
which re-runs the tasks of a worker that dies; the tasks are idempotent (see partition.py and
output.py), so a re-run task leaves the same files.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from adapter import __version__
from adapter.errors import ClusterError, ConfigurationError
from adapter.extras import require
from adapter.heap import settle

__all__ = ["DaskEngine", "Engine", "LocalEngine", "local_cores"]

_TIMEOUT = 30.0  # seconds to reach the scheduler, and for a first worker to be there
T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    description: str

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, stage: str) -> Iterator[R]:
        """``fn`` over ``items``; the results in the order they complete."""
        ...

    def close(self) -> None: ...


def local_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class LocalEngine:
    """``workers`` processes on this machine; one runs everything in this process."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ConfigurationError("--workers must be at least 1")
        self.workers = workers
        self.description = f"{workers} local process{'es' if workers > 1 else ''}"
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, stage: str) -> Iterator[R]:
        if self.workers == 1 or len(items) <= 1:
            for item in items:
                yield fn(item)
            return
        if self._pool is None:
            # spawn: a fresh interpreter per worker, whatever threads this process holds
            context = multiprocessing.get_context("spawn")
            # settle: the collector set for many short-lived objects (adapter/heap.py)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=settle)
        futures = [self._pool.submit(fn, item) for item in items]
        try:
            yield from _as_completed(futures)
        except BrokenProcessPool:
            raise ClusterError(f"a worker process died during the {stage} pass") from None
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _as_completed(futures: list[Future[R]]) -> Iterator[R]:
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
        for future in done:
            yield future.result()


def _worker_version() -> str:
    return __version__


def _distributed(name: str = "distributed") -> Any:
    """Dask distributed, imported on first use (seconds): most runs never need it. Its API is
    only partly typed, so it is used as ``Any`` here."""
    return importlib.import_module(name)


class DaskEngine:
    """The workers of a running Dask distributed scheduler (``tcp://host:port``)."""

    def __init__(self, address: str, *, timeout: float | None = None) -> None:
        require("batch", "batch --scheduler (a Dask cluster)")
        timeout = timeout or _TIMEOUT
        self.description = f"the Dask cluster at {address}"
        self._run = uuid.uuid4().hex[:12]
        try:
            self._client = _distributed().Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
        try:
            self._check_workers(timeout)
        except BaseException:
            self._client.close()
            raise

    def _check_workers(self, timeout: float) -> None:
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(f"no Dask worker joined within {timeout:.0f} s") from None
        versions = set(self._client.run(_worker_version).values())
        if versions != {__version__}:
            found = ", ".join(sorted(versions))
            raise ConfigurationError(
                f"the Dask workers run spinemets {found}, this command {__version__}"
            )

    def map(self, fn: Callable[[T], R], items: Sequence[T], *, stage: str) -> Iterator[R]:
        distributed = _distributed()
        killed = _distributed("distributed.scheduler").KilledWorker
        cancelled = _distributed("distributed.client").FutureCancelledError
        keys = [f"spinemets-{stage}-{self._run}-{i}" for i in range(len(items))]
        futures = self._client.map(fn, items, key=keys, pure=False)
        try:
            for future in distributed.as_completed(futures, loop=self._client.loop):
                yield future.result()
        except killed:
            raise ClusterError(
                f"a {stage} task was lost with every worker that ran it (see the worker logs)"
            ) from None
        except (OSError, cancelled) as exc:
            raise ClusterError(f"the Dask cluster stopped the {stage} pass ({exc})") from None
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
