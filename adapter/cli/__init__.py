"""The command line: ``spinemets score FILE|-`` and the other commands.

Every failure ends in one line on stderr and an exit status from
:func:`adapter.errors.exit_status` (0 done; 1 the work failed part-way, such as an output that
could not be written; 2 unusable input, arguments or configuration), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from adapter import __version__
from adapter.cli import score, server
from adapter.cli.score import add_arguments as add_score_arguments
from adapter.errors import InputError, OutputError, SpinemetsError, exit_status

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"spinemets: {message} (see spinemets --help)\n")


def _parser() -> argparse.ArgumentParser:
    from adapter.fhir.client import add_server_arguments

    parser = _Parser(prog="spinemets", description=__doc__)
    parser.add_argument("--version", action="version", version=f"spinemets {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add_score_arguments(
        sub.add_parser("score", help="score a FHIR Bundle or NDJSON file ('-' for stdin)")
    )
    from adapter.sync.cohort import add_arguments as add_cohort_arguments

    add_cohort_arguments(
        sub.add_parser("cohort", help="the cohort report: Table 4, survival, pain and Barthel")
    )
    conformance = sub.add_parser("conformance", help="publish spinemets' conformance resources")
    conformance_sub = conformance.add_subparsers(dest="action", required=True, parser_class=_Parser)
    upload = conformance_sub.add_parser(
        "upload", help="create or update every CodeSystem, ValueSet, ConceptMap and profile"
    )
    add_server_arguments(upload)
    from adapter.cli.batch import add_arguments as add_batch_arguments

    add_batch_arguments(
        sub.add_parser("batch", help="score a whole Bulk Data export, in partitions by patient")
    )
    from adapter.sync.command import add_arguments as add_sync_arguments

    sync = sub.add_parser("sync", help="score patients on a FHIR server and write the results back")
    add_sync_arguments(sync)
    subs = sub.add_parser("subscriptions", help="FHIR Subscriptions that re-score on new data")
    subs_sub = subs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = subs_sub.add_parser("create", help="create the rest-hook Subscriptions (idempotent)")
    add_server_arguments(create)
    create.add_argument(
        "--endpoint", required=True, help="notification URL of spinemets serve: {base}/fhir-notify"
    )
    create.add_argument(
        "--secret-env",
        default="SPINEMETS_NOTIFY_SECRET",
        help="environment variable holding the notification secret",
    )
    serve = sub.add_parser("serve", help="run the CDS Hooks 2.0 service (settings: SPINEMETS_*)")
    serve.add_argument("--host", help="address to bind (default SPINEMETS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default SPINEMETS_PORT or 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes (default SPINEMETS_WORKERS or 1); they share the replay cache",
    )
    serve.add_argument(
        "--insecure",
        action="store_true",
        help="serve without client JWT checks on a non-loopback address (development only)",
    )
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "score":
        return score.run(args)
    if args.command == "serve":
        return server.serve(args)
    if args.command == "conformance":
        return server.conformance(args)
    if args.command == "subscriptions":
        return server.subscriptions(args)
    if args.command == "batch":
        from adapter.cli.batch import run as run_batch

        return run_batch(args)
    if args.command == "cohort":
        from adapter.sync.cohort import run as run_cohort

        return run_cohort(args)
    import asyncio

    from adapter.sync.command import run as run_sync

    return asyncio.run(run_sync(args))


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spinemets`` console script."""
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
    if isinstance(error, OutputError):
        _silence_stdout()
    status, line = exit_status(error)
    print(f"spinemets: {line}", file=sys.stderr)
    return status


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"cannot write standard output ({exc.strerror or exc})") from None
