"""Standard output for every command, in one place: a write that fails (a full disk, /dev/full,
an I/O error) is an :class:`OutputError` (exit 1, "output: cannot write standard output …"),
never mistaken for unusable input; a reader that went away (``| head``) stays a BrokenPipeError,
which ends the run quietly (adapter/cli/__init__.py)."""

from __future__ import annotations

import sys
from typing import IO

from adapter.errors import OutputError

__all__ = ["NO_PATIENT", "Output", "line", "write"]

# Input that names no patient has nothing to score: refused alike whatever the output format
# (an empty Bundle is JSON, yet "No issues." and exit 0 would say it was read and found fine).
NO_PATIENT = "the input holds no patient to score"


def _failed(exc: OSError) -> OutputError:
    return OutputError(f"cannot write standard output ({exc.strerror or exc})")


class Output:
    """A byte stream (standard output's buffer by default) whose write failures are an
    OutputError."""

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _failed(exc) from None


def write(data: str | bytes) -> None:
    """``data`` on standard output: text through its text layer, bytes through its buffer."""
    try:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise _failed(exc) from None


def line(text: str) -> None:
    """One line on standard output, as ``print`` would write it."""
    write(text + "\n")
