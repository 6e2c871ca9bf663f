"""A test server's ASGI application on a loopback port, in a thread of the test process."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

__all__ = ["Running"]


class Running:
    """``server.app`` on a free loopback ``port``; ``server.base`` becomes its URL."""

    def __init__(self, server: Any, port: int) -> None:
        config = uvicorn.Config(server.app, host="127.0.0.1", port=port, log_level="warning",
                                lifespan="off")  # fmt: skip
        self.uvicorn = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.uvicorn.run, daemon=True)
        server.base = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.uvicorn.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(10)
