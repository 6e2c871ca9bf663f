"""``spinemets cohort``: the cohort report of contract §6 from files or from a FHIR server
(adapter.sync.cohort: a Group's members, or every patient with an index procedure).

The statistics (scipy, statsmodels) are imported only here, never on ``spinemets score``'s path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Iterable
from typing import Any

import orjson

from adapter.cli import output
from adapter.cli.options import computation_time
from adapter.cohort.records import cohort_records
from adapter.datadirs import private_opener
from adapter.errors import InputError, OutputPathError
from adapter.extras import require
from adapter.fhir.client import BearerToken, FhirServerSettings
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData, merged_patients, read_input
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.extract import read_observation
from adapter.mapping.terminology import Terminology, default_terminology
from adapter.pipeline import Scoring
from adapter.settings import load
from adapter.sync.cohort import cohort_from_server

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="*", help="FHIR Bundles or NDJSON files ('-' for stdin)")
    parser.add_argument("--fhir-server", metavar="URL", help="read the cohort from a FHIR server")
    parser.add_argument("--group", metavar="ID", help="with --fhir-server: a Group's members")
    parser.add_argument(
        "--now",
        help="computation time (FHIR dateTime, or a day: its end in UTC); later data is not used",
    )
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument("--html", metavar="FILE", help="also write the report as one HTML page")
    parser.add_argument(
        "--token-env",
        default="SPINEMETS_FHIR_TOKEN",
        help="environment variable holding a bearer token, if the server needs one",
    )


def _from_files(files: list[str], loose: list[Issue]) -> Iterable[PatientData]:
    if files.count("-") > 1:
        raise InputError("standard input ('-') can be read once")
    # A patient's records may be spread over the files (a Bulk Data export: one file per
    # resource type), or given twice, in one file or several: read together.
    return merged_patients(read_input(path, loose, read_observation) for path in files)


def _from_server(
    args: argparse.Namespace,
    term: Terminology,
    loose: list[Issue],
    notes: list[str],
    now: ClinicalTime,
) -> list[PatientData]:
    token = os.environ.get(args.token_env) or None
    settings = FhirServerSettings(
        base_url=args.fhir_server, auth=BearerToken(token) if token else None, timeout=60.0
    )
    return asyncio.run(cohort_from_server(settings, term, args.group, loose, notes, now))


def _write_page(
    path: str, summary: dict[str, Any], survival: list[tuple[float, bool]], now: ClinicalTime
) -> None:
    from adapter.render.cohort import cohort_page

    html = cohort_page(summary, survival, computed=now.text)
    try:
        with open(path, "w", encoding="utf-8", opener=private_opener) as out:
            out.write(html)
    except OSError as exc:
        raise OutputPathError(f"cannot write {path}: {exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    """Build, print and optionally render the cohort report; exit status of the command."""
    require("cohort", "spinemets cohort")
    if bool(args.file) == bool(args.fhir_server):
        raise InputError("give input FILEs or --fhir-server URL (one of the two)")
    if args.group and not args.fhir_server:
        raise InputError("--group needs --fhir-server")
    # The deployment's rules, as every other command scores with them.
    scoring = Scoring.of(load())
    now, term = computation_time(args.now), default_terminology()
    loose: list[Issue] = []
    notes: list[str] = []
    if args.fhir_server:
        patients: Any = _from_server(args, term, loose, notes, now)
    else:
        patients = _from_files(args.file, loose)
    found = cohort_records(patients, term, now=now, scoring=scoring)
    from adapter.cohort.summary import cohort_summary, survival_input

    issues = [*notes, *(i.diagnostics for i in loose), *found.issues]
    summary = cohort_summary(found.outcomes, issues)
    if args.html:
        times, died = survival_input(found.outcomes)
        _write_page(args.html, summary, list(zip(times, died, strict=True)), now)
    if args.format == "text":
        from adapter.cohort.text import cohort_text

        output.line(cohort_text(summary))
    else:
        output.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    return 0
