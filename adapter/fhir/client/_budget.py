"""Answers read within a byte budget: what is held in memory, compressed answers included.

httpx decodes a gzip answer one network read at a time, with no bound on what one read expands
to (about 1000:1 for a body of blanks): a 300 KB answer becomes 300 MB before anything could
count it. A client with a budget therefore reads the raw stream and inflates it here, in pieces of
at most :data:`PIECE` bytes, each counted before the next is made. Only the encodings it asks for
(:data:`ENCODINGS`) are accepted; any other is refused, never passed on undecoded.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

from adapter.errors import FhirServerError
from adapter.fhir.client._answers import diagnostics

__all__ = ["ENCODINGS", "PIECE", "ByteBudget", "error_text", "read_within"]

ENCODINGS = "gzip, deflate"
PIECE = 64 * 1024  # decoded bytes made at once: what an answer may pass its budget by, at most


@dataclass(slots=True)
class ByteBudget:
    """Decoded bytes a client may read over all its answers together."""

    limit: int
    used: int = 0

    def take(self, size: int) -> None:
        self.used += size
        if self.used > self.limit:
            raise FhirServerError(f"answers over {self.limit} bytes")

    def next_piece(self) -> int:
        """The most a decoder may make now: one byte past the budget is enough to refuse."""
        return max(1, min(PIECE, self.limit - self.used + 1))  # 0 would mean "no limit"


class _Inflater:
    """One answer's decoder for its Content-Encoding: identity, gzip or deflate."""

    def __init__(self, encoding: str) -> None:
        self.kind = encoding.strip().lower() or "identity"
        if self.kind == "gzip":
            self._z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self.kind == "deflate":  # zlib-wrapped, as RFC 9110 says; raw, as some servers send
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        elif self.kind != "identity":
            raise FhirServerError("an answer in an encoding spinemets did not ask for")
        self._started = False

    def pieces(self, data: bytes, budget: ByteBudget) -> list[bytes]:
        """``data`` decoded, counted piece by piece; FhirServerError past the budget."""
        if self.kind == "identity":
            budget.take(len(data))
            return [data]
        out = []
        while data:
            piece = self._inflate(data, budget.next_piece())
            budget.take(len(piece))
            out.append(piece)
            if self._z.unconsumed_tail == data and not piece:
                break  # no progress: the stream has ended; what follows is not inflated
            data = self._z.unconsumed_tail
        return out

    def rest(self, budget: ByteBudget) -> bytes:
        if self.kind == "identity":
            return b""
        # Input all consumed: what zlib still holds is under a window (32 KiB), never more.
        piece = self._flush()
        budget.take(len(piece))
        return piece

    def _inflate(self, data: bytes, most: int) -> bytes:
        try:
            piece = self._z.decompress(data, most)
        except zlib.error:
            if self.kind != "deflate" or self._started:
                raise FhirServerError("the FHIR server's answer could not be decoded") from None
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._inflate(data, most)
        self._started = True
        return piece

    def _flush(self) -> bytes:
        try:
            return self._z.flush()
        except zlib.error:
            raise FhirServerError("the FHIR server's answer could not be decoded") from None


async def read_within(response: httpx.Response, budget: ByteBudget) -> bytes:
    """The decoded body of a streamed ``response``, counted against ``budget`` as it is made."""
    inflater = _Inflater(response.headers.get("Content-Encoding", ""))
    parts: list[bytes] = []
    try:
        async for raw in response.aiter_raw():
            parts += inflater.pieces(raw, budget)
    except httpx.TimeoutException:
        raise FhirServerError("the FHIR server did not answer in time") from None
    except httpx.HTTPError as exc:
        broke = type(exc).__name__
        raise FhirServerError(f"the FHIR server's answer broke off ({broke})") from None
    parts.append(inflater.rest(budget))
    return b"".join(parts)


async def error_text(response: httpx.Response) -> str | None:
    """A streamed error answer's diagnostics, from at most its first 64 KiB (decoded); the
    response is closed. Never printed or logged (FhirServerError.diagnostics)."""
    try:
        return diagnostics(await read_within(response, ByteBudget(64 * 1024)))
    except FhirServerError:
        return None
    finally:
        await response.aclose()
