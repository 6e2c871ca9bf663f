"""``spinemets cohort``: the cohort report of contract §6 from files or from a FHIR server.

On a server the cohort is a Group's members, or every patient with an index procedure (a
completed vertebroplasty, kyphoplasty or fixation Procedure). The statistics (scipy, statsmodels)
and the page (matplotlib) are imported only here, never on ``spinemets score``'s path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import orjson

from adapter.cohort.records import cohort_records
from adapter.datadirs import private_opener
from adapter.errors import FhirServerError, InputError
from adapter.extras import require
from adapter.fhir.client import BearerToken, FhirClient, FhirServerSettings
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import PatientData, patients_from_resources, read_input
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.mapping.extract import read_observation
from adapter.mapping.followup import AUGMENTATION, FIXATION
from adapter.mapping.terminology import Terminology, default_terminology
from adapter.pipeline import now_time
from adapter.sync.reader import patient_inputs

__all__ = ["add_arguments", "cohort_patients", "run"]


def _subject(resource: Any) -> str | None:
    reference = (resource.get("subject") or {}).get("reference", "")
    if isinstance(reference, str) and reference.startswith("Patient/"):
        return reference.removeprefix("Patient/").split("/")[0]
    return None


async def _members(client: FhirClient, group: str) -> tuple[list[str], list[str]]:
    try:
        found = await client.read("Group", group)
    except FhirServerError as exc:
        if exc.status == 404:
            raise InputError(f"there is no Group/{group} on the server") from None
        raise
    patients, issues = [], []
    for member in found.get("member") or []:
        entity = (member.get("entity") or {}).get("reference", "")
        if isinstance(entity, str) and entity.startswith("Patient/"):
            patients.append(entity.removeprefix("Patient/").split("/")[0])
        else:
            issues.append(f"Group/{group}: member {entity or '(no reference)'} is not a Patient.")
    return patients, issues


async def cohort_patients(
    client: FhirClient, term: Terminology, group: str | None
) -> tuple[list[str], list[str]]:
    """Patient ids in a stable order, and what was left out on the way."""
    if group is not None:
        members, issues = await _members(client, group)
        return list(dict.fromkeys(members)), issues
    codes = [
        f"{system}|{code}"
        for value_set in (AUGMENTATION, FIXATION)
        for system, code in term.value_set_codes(value_set)
    ]
    query = ",".join(quote(c, safe="") for c in codes)
    procedures = await client.search(
        f"Procedure?code={query}&status=completed&_elements=subject&_count=500"
    )
    return sorted({p for r in procedures if (p := _subject(r)) is not None}), []


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="*", help="FHIR Bundles or NDJSON files ('-' for stdin)")
    parser.add_argument("--fhir-server", metavar="URL", help="read the cohort from a FHIR server")
    parser.add_argument("--group", metavar="ID", help="with --fhir-server: a Group's members")
    parser.add_argument("--now", help="computation time (FHIR dateTime); later data is not used")
    parser.add_argument("--format", choices=("json", "text"), default="json")
    parser.add_argument("--html", metavar="FILE", help="also write the report as one HTML page")
    parser.add_argument(
        "--token-env",
        default="SPINEMETS_FHIR_TOKEN",
        help="environment variable holding a bearer token, if the server needs one",
    )


def _from_files(files: list[str], loose: list[Issue]) -> Iterator[PatientData]:
    if files.count("-") > 1:
        raise InputError("standard input ('-') can be read once")
    for path in files:
        yield from read_input(path, loose, read_observation)


async def _from_server(
    args: argparse.Namespace, term: Terminology, loose: list[Issue], notes: list[str]
) -> list[PatientData]:
    token = os.environ.get(args.token_env) or None
    settings = FhirServerSettings(
        base_url=args.fhir_server, auth=BearerToken(token) if token else None, timeout=60.0
    )
    async with FhirClient.connect(settings) as client:
        patients, issues = await cohort_patients(client, term, args.group)
        notes += issues
        limit = asyncio.Semaphore(4)

        async def one(patient: str) -> list[Any]:
            async with limit:
                return await patient_inputs(client, patient)

        found = await asyncio.gather(*(one(p) for p in patients))
    out: list[PatientData] = []
    for resources in found:
        out += patients_from_resources(resources, loose, read_observation)
    return out


def _now(text: str | None) -> ClinicalTime:
    now = parse_time(text) if text else now_time()
    if now is None:
        raise InputError(f"--now {text!r} is not a FHIR dateTime")
    return now


def run(args: argparse.Namespace) -> int:
    """Build, print and optionally render the cohort report; exit status of the command."""
    require("cohort", "spinemets cohort")
    if bool(args.file) == bool(args.fhir_server):
        raise InputError("give input FILEs or --fhir-server URL (one of the two)")
    if args.group and not args.fhir_server:
        raise InputError("--group needs --fhir-server")
    now, term = _now(args.now), default_terminology()
    loose: list[Issue] = []
    notes: list[str] = []
    if args.fhir_server:
        patients: Any = asyncio.run(_from_server(args, term, loose, notes))
    else:
        patients = _from_files(args.file, loose)
    found = cohort_records(patients, term, now=now)
    from adapter.cohort.summary import cohort_summary, survival_input

    issues = [*notes, *(i.diagnostics for i in loose), *found.issues]
    summary = cohort_summary(found.outcomes, issues)
    if args.html:
        from adapter.render.cohort import cohort_page

        times, died = survival_input(found.outcomes)
        html = cohort_page(summary, list(zip(times, died, strict=True)), computed=now.text)
        try:
            with open(args.html, "w", encoding="utf-8", opener=private_opener) as out:
                out.write(html)
        except OSError as exc:
            raise InputError(f"cannot write {args.html}: {exc.strerror}") from None
    if args.format == "text":
        from adapter.cohort.text import cohort_text

        sys.stdout.write(cohort_text(summary) + "\n")
    else:
        sys.stdout.buffer.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    return 0
