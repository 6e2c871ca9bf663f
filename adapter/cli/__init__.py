"""The command line: ``spinemets score FILE|-`` and the other commands.

Every failure ends in one line on stderr and an exit status from
:func:`adapter.errors.exit_status` (0 done; 1 the work failed part-way, such as an output that
could not be written mid-way; 2 unusable input, arguments or configuration, an output file
named on the command line that cannot be written among them), never a traceback.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from adapter import __version__
from adapter.errors import InputError, OutputError, SpinemetsError, exit_status
from adapter.vocabulary.text import terminal_line

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"spinemets: {message} (see spinemets --help)\n")


# Each command, in --help order, and its help: adapter.cli.<command> holds its add_arguments
# and run, imported when the parser is built (every heavy import waits inside run).
_COMMANDS = (
    ("score", "score a FHIR Bundle or NDJSON file ('-' for stdin)"),
    ("cohort", "the cohort report: Table 4, survival, pain and Barthel"),
    ("conformance", "publish spinemets' conformance resources"),
    ("batch", "score a whole Bulk Data export, in partitions by patient"),
    ("sync", "score patients on a FHIR server and write the results back"),
    ("subscriptions", "FHIR Subscriptions that re-score on new data"),
    ("questionnaire", "the SDC forms: populate a response, extract one"),
    ("load", "PUT records (fixtures, exports) into a FHIR server, ids kept"),
    ("serve", "run the CDS Hooks 2.0 service (settings: SPINEMETS_*)"),
)


def _command(name: str) -> ModuleType:
    return importlib.import_module(f"adapter.cli.{name}")


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """Built once a process (~10 ms: every command's options): parsing leaves it as it was, and
    every default is a constant, none read from the environment."""
    parser = _Parser(
        prog="spinemets",
        description="Spinal-metastasis scores (SINS, Tomita, revised Tokuhashi) from FHIR R4: "
        "score files and exports, serve CDS Hooks, sync with a FHIR server. Exit status: 0 done, "
        "1 failed part-way, 2 unusable input, arguments or configuration.",
    )
    parser.add_argument("--version", action="version", version=f"spinemets {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in _COMMANDS:
        _command(name).add_arguments(sub.add_parser(name, help=help_text))
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    status: int = _command(args.command).run(args)
    return status


def _silence_stdout() -> None:
    # Whatever is still buffered would fail again when the interpreter flushes at exit.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _io_error(exc: OSError) -> SpinemetsError:
    """An OSError that escaped a command: reading input (2) or the disk under it."""
    reason = exc.strerror or type(exc).__name__
    where = f": {exc.filename}" if exc.filename else ""
    return InputError(f"cannot read the input ({reason}{where})")


def _standard_streams() -> None:
    """A closed standard stream becomes /dev/null: output goes nowhere, quietly, and no file the
    command opens later can take the descriptor and receive what was meant for the terminal."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115 - for the process


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.setStream(sys.stderr)
        super().emit(record)


def _logging() -> None:
    """Warnings and errors as JSON lines on stderr, redacted (adapter.cds.logs); the HTTP
    client's request lines, which carry full URLs, never. ``serve`` sets its own."""
    root = logging.getLogger()
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if root.handlers:
        return  # configured by the caller (a test, an embedding program)
    from adapter.cds.logs import JsonFormatter

    handler = _Stderr()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _internal(exc: Exception) -> SpinemetsError:
    """A failure nothing expected (a bug, memory exhausted): exit 1, named by its type only."""
    return SpinemetsError(f"internal error ({type(exc).__name__}); the run stopped here")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spinemets`` console script. Whatever a command creates, a library's
    files too (Dask's scratch space), is private: umask 077 while it runs."""
    previous = os.umask(0o077)
    try:
        return _main(argv)
    finally:
        os.umask(previous)


def _main(argv: Sequence[str] | None) -> int:
    _standard_streams()
    _logging()
    args = _parser().parse_args(argv)
    try:
        status = _dispatch(args)
        _flush_stdout()
        return status
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (| head): not a failure
        return 0
    except SpinemetsError as exc:
        error = exc
    except OSError as exc:
        error = _io_error(exc)
    except KeyboardInterrupt:
        print("spinemets: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: one line, never a traceback
        error = _internal(exc)
    if isinstance(error, OutputError):
        _silence_stdout()
    status, line = exit_status(error)
    print(f"spinemets: {terminal_line(line)}", file=sys.stderr)  # it may quote the input
    return status


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write standard output ({exc.strerror or exc})") from None
