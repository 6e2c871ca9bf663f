"""The command line: ``spinemets score FILE|-`` and the other commands.

Every failure ends in one line on stderr and an exit status from
:func:`adapter.errors.exit_status` (0 done; 1 the work failed part-way, such as an output that
could not be written; 2 unusable input, arguments or configuration), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, NoReturn

import orjson

from adapter import __version__
from adapter.errors import InputError, OutputError, SpinemetsError, exit_status
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.fhir.write.outcome import operation_outcome
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, now_time, read_patients, score_patient
from adapter.report import text_report

__all__ = ["main", "worker_app"]

if TYPE_CHECKING:
    from fastapi import FastAPI


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"spinemets: {message} (see spinemets --help)\n")


def _parser() -> argparse.ArgumentParser:
    from adapter.fhir.client import add_server_arguments

    parser = _Parser(prog="spinemets", description=__doc__)
    parser.add_argument("--version", action="version", version=f"spinemets {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    score = sub.add_parser("score", help="score a FHIR Bundle or NDJSON file ('-' for stdin)")
    score.add_argument("file", help="a FHIR Bundle (JSON) or NDJSON of resources, or -")
    score.add_argument(
        "--format",
        choices=("json", "text", "html"),
        default="json",
        help="json: a Bundle; text: a report; html: one self-contained page per patient",
    )
    score.add_argument(
        "--output",
        metavar="PATH",
        help="with --format html: the page's file (one patient) or a directory (one page each)",
    )
    score.add_argument(
        "--original", action="store_true", help="also compute the original 1990 Tokuhashi score"
    )
    score.add_argument(
        "--now",
        help="computation time (FHIR dateTime with zone) for Provenance.recorded and for outputs "
        "whose inputs carry no time; default: the current time",
    )
    score.add_argument(
        "--no-validate",
        action="store_true",
        help="skip checking every output against the FHIR R4 models (faster for bulk runs)",
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


def _results(args: argparse.Namespace, loose: list[Issue]) -> Iterator[PatientResult]:
    term = default_terminology()
    now: ClinicalTime | None = parse_time(args.now) if args.now else now_time()
    if now is None:
        raise InputError(f"--now {args.now!r} is not a FHIR dateTime")
    for data in read_patients(args.file, loose):
        yield score_patient(data, term, now=now, original=args.original)


class _Output:
    """Standard output whose write failures (a full disk, /dev/full) are an OutputError."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        try:
            return self._stream.write(data)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write standard output ({exc.strerror or exc})") from None


def _write_bundle(
    out: _Output, results: Iterator[PatientResult], loose: list[Issue], validate: bool
) -> None:
    if validate:  # imported on demand: the R4B models take ~0.3 s to import
        from adapter.fhir.write.validate import validate_r4
    issues: list[Issue] = []
    first = True
    out.write(b'{"resourceType":"Bundle","type":"collection","entry":[')
    for patient in results:
        issues.extend(Issue(i.severity, i.code, f"Patient/{patient.patient}: {i.diagnostics}",
                            i.resource, i.expression) for i in patient.issues)  # fmt: skip
        chunk = []  # one write per patient, not per resource
        for built in patient.resources():
            if validate:
                validate_r4(built.resource)
            entry: dict[str, Any] = {"fullUrl": built.full_url, "resource": built.resource}
            chunk.append(orjson.dumps(entry))
        if chunk:
            out.write((b"" if first else b",") + b",".join(chunk))
            first = False
    outcome = operation_outcome([*loose, *issues])
    if validate:
        validate_r4(outcome)
    entry = {"fullUrl": "urn:uuid:00000000-0000-5000-8000-000000000000", "resource": outcome}
    out.write((b"" if first else b",") + orjson.dumps(entry) + b"]}\n")


def _score(args: argparse.Namespace) -> int:
    loose: list[Issue] = []
    results = _results(args, loose)
    out = _Output(sys.stdout.buffer)
    if args.format == "html":
        from adapter.render.command import write_pages  # matplotlib: only on this path

        return write_pages(results, args.output, computed=args.now or "now", out=out)
    if args.output:
        raise InputError("--output is for --format html")
    if args.format == "text":
        # Materialise first so unusable input fails before anything is printed.
        reports = [text_report(r) for r in results]
        out.write(("\n\n".join(reports) + "\n").encode())
        for issue in loose:
            out.write(f"{issue.severity}: {issue.diagnostics}\n".encode())
        return 0
    first = next(results, None)

    def chained() -> Iterator[PatientResult]:
        if first is not None:
            yield first
        yield from results

    _write_bundle(out, chained(), loose, validate=not args.no_validate)
    return 0


def _conformance(args: argparse.Namespace) -> int:
    import asyncio

    from adapter.fhir.client import (
        FhirClient,
        conformance_files,
        default_profiles_dir,
        server_settings,
        upload_conformance,
    )
    from adapter.mapping.terminology import default_mappings_dir

    resources = conformance_files([default_mappings_dir(), default_profiles_dir()])
    settings = server_settings(args, timeout=60.0)

    async def run() -> None:
        async with FhirClient.connect(settings) as client:
            for done in await upload_conformance(client, resources):
                version = f" (version {done.version_id})" if done.version_id else ""
                print(f"{done.resource_type}/{done.server_id} {done.url}{version}")

    asyncio.run(run())
    return 0


def _subscriptions(args: argparse.Namespace) -> int:
    import asyncio

    from adapter.fhir.client import FhirClient, server_settings
    from adapter.sync.subscriptions import create_subscriptions

    settings = server_settings(args, timeout=60.0)
    secret = os.environ.get(args.secret_env) or None

    async def run() -> None:
        async with FhirClient.connect(settings) as client:
            for stored in await create_subscriptions(client, args.endpoint, secret):
                print(f"Subscription/{stored.get('id')} {stored.get('criteria')}")

    asyncio.run(run())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from adapter.cds.serve import run  # imported on demand: fastapi and uvicorn are slow to load
    from adapter.sync.notify import Notifications

    notifications = Notifications.from_env()  # unusable settings or storage: exit 2 before binding
    return run(
        host=args.host,
        port=args.port,
        insecure=args.insecure,
        workers=args.workers,
        extensions=[notifications],
        factory="adapter.cli:worker_app",
    )


def worker_app() -> FastAPI:
    """The app each ``serve --workers N`` process builds: the CDS service and the notifications.

    It lives here because the command line is the one layer above both cds and sync.
    """
    from adapter.cds.app import create_app
    from adapter.cds.settings import load_settings
    from adapter.sync.notify import Notifications

    return create_app(load_settings(), extensions=[Notifications.from_env()])


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "score":
        return _score(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "conformance":
        return _conformance(args)
    if args.command == "subscriptions":
        return _subscriptions(args)
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


if __name__ == "__main__":
    sys.exit(main())
