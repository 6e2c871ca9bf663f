"""Reading input a line at a time within ``SPINEMETS_MAX_LINE_BYTES``: no line is ever held whole
beyond the limit, and standard input that cannot be JSON is refused before it is spooled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import orjson

from adapter.errors import InputError
from adapter.fhir.read.issues import Issue

__all__ = ["BOM", "bounded_lines", "skip_bom", "sniff", "spool_input", "too_long"]

# UTF-8's byte order mark, which Windows tools write first: RFC 8259 §8.1 lets a parser ignore it.
BOM = b"\xef\xbb\xbf"


def skip_bom(stream: IO[bytes]) -> int:
    """Where the input starts: past a leading byte order mark, the stream left there."""
    origin = len(BOM) if stream.read(len(BOM)) == BOM else 0
    stream.seek(origin)
    return origin


def bounded_lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines, each at most ``limit`` bytes; None for a longer one (never held whole)."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            rest = line
            while rest and not rest.endswith(b"\n"):  # skipped, a limit's worth at a time
                rest = stream.readline(limit)
            yield number, None
        else:
            yield number, line
        number += 1


def too_long(number: int, limit: int) -> Issue:
    message = f"NDJSON line {number + 1} is longer than {limit} bytes (SPINEMETS_MAX_LINE_BYTES)"
    return Issue("error", "structure", message + "; ignored.")


def spool_input(source: IO[bytes], spool: IO[bytes], limit: int) -> None:
    """Copy standard input, refusing at once what cannot be JSON or has a line over ``limit``
    (an endless stream such as /dev/zero would otherwise fill the disk first)."""
    started = False
    run = 0  # bytes since the last newline
    chunk = source.read(1024 * 1024).removeprefix(BOM)  # the spool starts past it
    while chunk:
        if not started:
            text = chunk.lstrip()
            if text and not text.startswith(b"{"):
                raise InputError(
                    "the input is not JSON: expected a FHIR Bundle or NDJSON of resources"
                )
            started = bool(text)
        newline = chunk.rfind(b"\n")
        run = run + len(chunk) if newline < 0 else len(chunk) - newline - 1
        if run > limit:
            raise InputError(f"a line is longer than {limit} bytes (SPINEMETS_MAX_LINE_BYTES)")
        spool.write(chunk)
        chunk = source.read(1024 * 1024)


def sniff(stream: IO[bytes], limit: int, origin: int = 0) -> str:
    """'json' for one JSON document (a Bundle or a resource), 'ndjson' for one resource a line;
    the stream is read from ``origin`` and left there."""
    start = stream.read(64 * 1024).lstrip()
    stream.seek(origin)
    if not start:
        raise InputError("the input is empty")
    if not start.startswith(b"{"):  # /dev/zero, a binary file: refused without reading on
        raise InputError("the input is not JSON: expected a FHIR Bundle or NDJSON of resources")
    first = b""
    for number, line in bounded_lines(stream, limit):
        if line is None:
            raise InputError(
                f"line {number + 1} is longer than {limit} bytes (SPINEMETS_MAX_LINE_BYTES)"
            )
        if line.strip():
            first = line
            break
    stream.seek(origin)
    try:
        orjson.loads(first)
    except orjson.JSONDecodeError:
        return "json"  # a pretty-printed document spans lines
    return "ndjson"
