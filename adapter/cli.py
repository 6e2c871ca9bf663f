"""The command line: ``spinemets score FILE|-``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any, NoReturn

import orjson

from adapter import __version__
from adapter.errors import ConfigurationError, FhirServerError, InputError, MappingError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import read_input
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.fhir.write.outcome import operation_outcome
from adapter.mapping.extract import read_observation
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, now_time, score_patient
from adapter.report import text_report

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"spinemets: {message} (see spinemets --help)\n")


def _parser() -> argparse.ArgumentParser:
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
    upload.add_argument("--fhir-server", required=True, help="FHIR R4 base URL")
    upload.add_argument(
        "--token-env",
        default="SPINEMETS_FHIR_TOKEN",
        help="environment variable holding a bearer token, if the server needs one",
    )
    from adapter.sync.command import add_arguments as add_sync_arguments

    sync = sub.add_parser("sync", help="score patients on a FHIR server and write the results back")
    add_sync_arguments(sync)
    subs = sub.add_parser("subscriptions", help="FHIR Subscriptions that re-score on new data")
    subs_sub = subs.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = subs_sub.add_parser("create", help="create the rest-hook Subscriptions (idempotent)")
    create.add_argument("--fhir-server", required=True, help="FHIR R4 base URL")
    create.add_argument(
        "--endpoint", required=True, help="notification URL of spinemets serve: {base}/fhir-notify"
    )
    create.add_argument(
        "--secret-env",
        default="SPINEMETS_NOTIFY_SECRET",
        help="environment variable holding the notification secret",
    )
    create.add_argument("--token-env", default="SPINEMETS_FHIR_TOKEN")
    serve = sub.add_parser("serve", help="run the CDS Hooks 2.0 service (settings: SPINEMETS_*)")
    serve.add_argument("--host", help="address to bind (default SPINEMETS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default SPINEMETS_PORT or 8080)")
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
    for data in read_input(args.file, loose, read_observation):
        yield score_patient(data, term, now=now, original=args.original)


def _write_bundle(
    out: IO[bytes], results: Iterator[PatientResult], loose: list[Issue], validate: bool
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
    out = sys.stdout.buffer
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

    import httpx

    from adapter.fhir.client import FhirClient
    from adapter.fhir.conformance import (
        conformance_files,
        default_profiles_dir,
        upload_conformance,
    )
    from adapter.mapping.terminology import default_mappings_dir

    resources = conformance_files([default_mappings_dir(), default_profiles_dir()])

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            token = os.environ.get(args.token_env) or None
            client = FhirClient(http, args.fhir_server, token=token, timeout=60.0)
            for done in await upload_conformance(client, resources):
                version = f" (version {done.version_id})" if done.version_id else ""
                print(f"{done.resource_type}/{done.server_id} {done.url}{version}")

    asyncio.run(run())
    return 0


def _subscriptions(args: argparse.Namespace) -> int:
    import asyncio

    import httpx

    from adapter.fhir.client import FhirClient
    from adapter.sync.subscriptions import create_subscriptions

    async def run() -> None:
        async with httpx.AsyncClient() as http:
            token = os.environ.get(args.token_env) or None
            client = FhirClient(http, args.fhir_server, token=token, timeout=60.0)
            secret = os.environ.get(args.secret_env) or None
            for stored in await create_subscriptions(client, args.endpoint, secret):
                print(f"Subscription/{stored.get('id')} {stored.get('criteria')}")

    asyncio.run(run())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from adapter.cds.serve import run  # imported on demand: fastapi and uvicorn are slow to load

    return run(host=args.host, port=args.port, insecure=args.insecure)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``spinemets`` console script."""
    args = _parser().parse_args(argv)
    try:
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
        if args.command == "sync":
            import asyncio

            from adapter.sync.command import run as run_sync

            return asyncio.run(run_sync(args))
    except InputError as exc:
        print(f"spinemets: unusable input: {exc}", file=sys.stderr)
        return 2
    except ConfigurationError as exc:
        print(f"spinemets: {exc}", file=sys.stderr)
        return 2
    except MappingError as exc:
        print(f"spinemets: mappings: {exc}", file=sys.stderr)
        return 1
    except FhirServerError as exc:
        print(f"spinemets: FHIR server: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
