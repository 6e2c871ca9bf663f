"""A real Dask distributed cluster on loopback: a ``dask scheduler`` and a ``dask worker``
with two worker processes (each restarted by its nanny when killed), in subprocesses of this
test run, on ports of 57000–57999; stopped, and waited for, on exit."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports in 57000–57999."""
    for _ in range(200):
        base = random.randrange(57000, 58000 - count)
        if all(_free(p) for p in range(base, base + count)):
            return base
    raise RuntimeError("no free ports in 57000-57999")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the worker's children too
            process.wait()


@contextmanager
def dask_cluster(directory: Path, workers: int = 2) -> Iterator[str]:
    """The scheduler's address, once ``workers`` workers have joined."""
    from distributed import Client

    base = free_ports(1 + 2 * workers)
    address = f"tcp://127.0.0.1:{base}"
    log = (directory / "dask.log").open("wb")
    started = []
    try:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(base), "--no-dashboard"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        started.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
             "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard",
             "--worker-port", f"{base + 1}:{base + workers}",
             "--nanny-port", f"{base + workers + 1}:{base + 2 * workers}",
             "--local-directory", str(directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        ))  # fmt: skip
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            _stop(process)
        log.close()
