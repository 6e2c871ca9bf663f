"""Tools the benchmarks use, installed on first use into a cache (never by CI, never committed).

``vegeta`` (an open-loop HTTP load generator: it sends at a constant rate whatever the server
answers, so queueing shows in the latencies) is built by ``go install`` from the Go module
proxy, pinned, into ``$SPINEMETS_CACHE/bench/bin`` (default ``~/.cache/spinemets``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

VEGETA = "github.com/tsenart/vegeta/v12@v12.12.0"
PORTS = range(56000, 57000)  # the benchmarks' servers listen here, on loopback


def cache_dir() -> Path:
    root = Path(os.environ.get("SPINEMETS_CACHE", Path.home() / ".cache" / "spinemets"))
    return root / "bench"


def vegeta() -> Path:
    """The vegeta binary, built once from the pinned module version."""
    binary = cache_dir() / "bin" / "vegeta"
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise SystemExit("bench: vegeta needs Go (go install); none found")
    binary.parent.mkdir(parents=True, exist_ok=True)
    print(f"bench: installing {VEGETA} into {binary.parent} ...", flush=True)
    env = {**os.environ, "GOBIN": str(binary.parent), "GOFLAGS": "-mod=mod"}
    subprocess.run([go, "install", VEGETA], check=True, env=env, cwd=binary.parent)
    return binary


def free_port(exclude: int | None = None) -> int:
    """A free loopback port in the benchmarks' range."""
    for port in PORTS:
        if port == exclude:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("bench: no free port in 56000-56999")


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    for proc in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own process group: TERM, then KILL after 20 s."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
