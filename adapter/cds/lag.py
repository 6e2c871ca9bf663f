"""How far behind a worker's event loop runs: the wait a request meets before it is worked on.

A call is worked on inline, a few milliseconds of CPU each, so an overloaded worker's requests
do not wait among the calls in flight (admission control's count stays low) but in the loop's
queue of ready work, and before that in the socket's buffers. A timer due every
:data:`PERIOD` fires that much late when the loop has that much ready work ahead of it:
:class:`LoopLag` keeps the last two samples' lateness; the smaller of the two is what
:class:`adapter.cds.admission.Admission` compares with ``SPINEMETS_MAX_QUEUE_MS`` to shed new
calls at once (503) rather than let every call wait seconds. Two samples, because one long piece
of work (a large record, a slow form) makes one sample late without any queue behind it: only a
loop that is still behind at the next sample has work waiting. A sample overdue now counts too:
a worker that has read a batch of requests works on them one after the other, and no sample can
be taken until the batch is done, so without it every call of the batch would be admitted
however long it had waited; with it, the calls still waiting once the loop is ``max_queue``
behind are shed at once, and the batch drains.
"""

from __future__ import annotations

import asyncio

__all__ = ["PERIOD", "LoopLag"]

PERIOD = 0.01  # seconds between samples: ~100 timer callbacks a second, negligible


class LoopLag:
    """Samples of the running loop's lateness, from the first :meth:`seconds` call on a loop;
    a new loop (tests open many) starts its own samples."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self.samples = (0.0, 0.0)  # the lateness of the two latest samples, seconds

    def seconds(self) -> float:
        """How far behind the loop has run at both of the latest samples, or is running now: a
        sample overdue this long cannot be taken until the work ahead of it is done."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self.samples = loop, (0.0, 0.0)
            self._schedule(loop)
        return max(min(self.samples), loop.time() - self._due)

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        self._due = loop.time() + PERIOD
        loop.call_at(self._due, self._sample, loop)

    def _sample(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop or loop.is_closed():
            return  # a loop this monitor no longer follows
        self.samples = (self.samples[1], max(0.0, loop.time() - self._due))
        self._schedule(loop)
