"""``spinemets score``: a Bundle or NDJSON in, a Bundle, a text report or pages out.

The output is streamed patient by patient; only ``--format text`` materialises first so that
unusable input fails before anything is printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import orjson

from adapter.cli.options import computation_time
from adapter.cli.output import NO_PATIENT, Output
from adapter.decision import Decisions, decide
from adapter.errors import InputError
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData
from adapter.fhir.write.outcome import operation_outcome
from adapter.heap import settle
from adapter.mapping.terminology import default_terminology
from adapter.pipeline import PatientResult, Scoring, read_patients, score_patient
from adapter.procedure.orders import decompressed_levels, procedure_orders
from adapter.render.text import text_report
from adapter.settings import load
from adapter.vocabulary.text import terminal_line

__all__ = ["add_arguments", "run"]


def add_arguments(score: argparse.ArgumentParser) -> None:
    """The arguments of ``spinemets score``."""
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
        help="computation time (FHIR dateTime with zone, or a day: its end in UTC) for "
        "Provenance.recorded and for outputs whose inputs carry no time; default: the current time",
    )
    checks = score.add_mutually_exclusive_group()
    checks.add_argument(
        "--validate",
        action="store_true",
        help="also check every output against the FHIR R4 models (fhir.resources R4B); "
        "several times slower, for diagnosis: the builders are proven by the test suite",
    )
    checks.add_argument(
        "--no-validate",
        action="store_true",
        help="deprecated, does nothing: outputs are checked only with --validate",
    )


def _scored(
    args: argparse.Namespace, loose: list[Issue], scoring: Scoring
) -> Iterator[tuple[PatientData, PatientResult]]:
    term = default_terminology()
    now = computation_time(args.now)
    for data in read_patients(args.file, loose):
        yield data, score_patient(data, term, now=now, scoring=scoring)


def _results(
    args: argparse.Namespace, loose: list[Issue], scoring: Scoring
) -> Iterator[PatientResult]:
    return (result for _, result in _scored(args, loose, scoring))


def _decisions(
    args: argparse.Namespace, loose: list[Issue], scoring: Scoring
) -> Iterator[Decisions]:
    """Each patient's decisions, with the verdict on each draft or active spine order
    (ServiceRequest) in the input, as order-sign would check it."""
    term = default_terminology()
    for data, result in _scored(args, loose, scoring):
        orders = procedure_orders(data.orders, None, "order-sign", term)
        yield decide(result, orders, scoring.rules, decompressed_levels(data.orders, term))


def _write_bundle(
    out: Output, results: Iterator[PatientResult], loose: list[Issue], validate: bool
) -> None:
    if validate:  # imported on demand: the R4B models take ~0.3 s to import
        from adapter.fhir.write.validate import validate_output
    issues: list[Issue] = []
    first = True
    out.write(b'{"resourceType":"Bundle","type":"collection","entry":[')
    for patient in results:
        issues.extend(
            Issue(
                i.severity,
                i.code,
                f"Patient/{patient.patient}: {i.diagnostics}",
                i.resource,
                i.expression,
            )
            for i in patient.file_issues
        )
        chunk = []  # one write per patient, not per resource
        for built in patient.on_file():
            if validate:
                validate_output(built.resource)
            entry: dict[str, Any] = {"fullUrl": built.full_url, "resource": built.resource}
            chunk.append(orjson.dumps(entry))
        if chunk:
            out.write((b"" if first else b",") + b",".join(chunk))
            first = False
    outcome = operation_outcome([*loose, *issues])
    if validate:
        validate_output(outcome)
    entry = {"fullUrl": "urn:uuid:00000000-0000-5000-8000-000000000000", "resource": outcome}
    out.write((b"" if first else b",") + orjson.dumps(entry) + b"]}\n")


def _no_patient(loose: list[Issue]) -> InputError:
    """Nothing to score, with the first thing read that named no patient when there was one."""
    if not loose:
        return InputError(NO_PATIENT)
    first = terminal_line(loose[0].diagnostics)
    return InputError(f"{NO_PATIENT} ({len(loose)} issue(s), the first: {first})")


def run(args: argparse.Namespace) -> int:
    """Score the file in ``args`` and write the chosen format to standard output."""
    loose: list[Issue] = []
    # The deployment's settings, read before any input: an unusable value fails first.
    scoring = Scoring.of(load(), original=args.original)
    default_terminology()
    settle()  # start-up done: its objects out of the collector's walks (adapter/heap.py)
    out = Output()
    if args.format == "html":
        from adapter.cli.pages import write_pages  # the page templates: only on this path

        decided = list(_decisions(args, loose, scoring))
        if not decided:
            raise _no_patient(loose)
        return write_pages(decided, args.output, out=out)
    if args.output:
        raise InputError("--output is for --format html")
    if args.format == "text":
        # Materialise first so unusable input fails before anything is printed.
        reports = [text_report(d) for d in _decisions(args, loose, scoring)]
        if not reports:
            raise _no_patient(loose)
        out.write(("\n\n".join(reports) + "\n").encode())
        for issue in loose:
            out.write(f"{terminal_line(f'{issue.severity}: {issue.diagnostics}')}\n".encode())
        return 0
    results = _results(args, loose, scoring)
    first = next(results, None)
    if first is None:
        raise _no_patient(loose)

    def chained() -> Iterator[PatientResult]:
        if first is not None:
            yield first
        yield from results

    _write_bundle(out, chained(), loose, validate=args.validate)
    return 0
