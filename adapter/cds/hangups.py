"""A client that hangs up while its call is worked on: the call is cancelled at once (contract §8).

Nothing in the app reads the connection once a call's body has arrived, so a client gone during a
slow fhirServer read was noticed only when the answer was sent, up to ``SPINEMETS_FHIR_DEADLINE``
later: meanwhile the call held its place in flight (admission control refused other clinicians'
calls) and read on for nobody, and its access line said 412, not that the client had gone.

:class:`HangUps` listens for the ASGI ``http.disconnect`` once an interactive call's body is
complete. When it comes before the answer has begun, the call's task is cancelled and Starlette's
``ClientDisconnect`` raised in its place: :class:`~adapter.cds.admission.Admission` frees the place
on the way out, :class:`~adapter.cds.admission.Observed` writes the one 499 line and counts it,
the call's work on a worker loop is cancelled there (:mod:`adapter.cds.offload`), and the audit
trail records the request as withdrawn (routes/services.py).
"""

from __future__ import annotations

import asyncio

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.cds.admission import interactive

__all__ = ["HangUps"]


class _Call:
    """One call's ``receive`` and ``send``, and the listener started once its body is in."""

    def __init__(self, receive: Receive, send: Send, task: asyncio.Task[object]) -> None:
        self._receive, self._send, self.task = receive, send, task
        self.hung_up = self.answered = False
        self._listener: asyncio.Task[Message] | None = None

    async def receive(self) -> Message:
        if self._listener is not None:
            # The app listening too (Request.is_disconnected) gets the same message; shielded,
            # so its own cancel scope does not stop the listener.
            return await asyncio.shield(self._listener)
        message = await self._receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            self._listener = asyncio.create_task(self._listen())
        return message

    async def _listen(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.disconnect" and not self.answered:
            self.hung_up = True
            self.task.cancel()
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.answered = True  # from here on, a disconnect only means the answer was sent
        await self._send(message)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            # The cancelled task keeps its CancelledError, whose traceback holds _listen's
            # frame and so this call: a reference cycle that took the whole request (its
            # cycle, middleware closures, exit stacks) to the garbage collector, ~50 objects
            # a call, collected in pauses of 5–50 ms under load. Without the way back, the
            # listener and the request are freed as soon as they are done.
            self._listener = None


class HangUps:
    """Cancels an interactive call whose client has gone; raises ``ClientDisconnect`` for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        if scope["type"] != "http" or not interactive(scope["path"]) or task is None:
            await self.app(scope, receive, send)
            return
        call = _Call(receive, send, task)
        try:
            await self.app(scope, call.receive, call.send)
        except asyncio.CancelledError:
            # Our cancellation ends here; anyone else's (the server shutting down) goes on.
            if not call.hung_up or task.uncancel() > 0:
                raise
            raise ClientDisconnect() from None
        finally:
            call.stop()
        if call.hung_up:  # the app finished despite the cancellation: withdraw it all the same
            task.uncancel()
