"""``spinemets batch SOURCE --output DIR``: a whole Bulk Data export scored, partition by
partition, in local processes or on a Dask cluster (docs/batch.md)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

from adapter.batch.engines import DaskEngine, Engine, LocalEngine, local_cores
from adapter.batch.export import base_of, download_export, is_url
from adapter.batch.run import Options, Summary, run_batch
from adapter.cli import output as stdout
from adapter.cli.options import computation_time
from adapter.errors import InputError
from adapter.fhir.client import add_server_arguments, server_settings
from adapter.pipeline import Scoring
from adapter.settings import load

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``spinemets batch``."""
    parser.add_argument(
        "source",
        help="a Bulk Data export: a directory of NDJSON files, or a $export status "
        "or kick-off URL on a FHIR server",
    )
    parser.add_argument("--output", required=True, metavar="DIR", help="directory of the results")
    parser.add_argument(
        "--now",
        help="computation time (FHIR dateTime with zone, or a day: its end in UTC); default: now",
    )
    parser.add_argument(
        "--original", action="store_true", help="also compute the original 1990 Tokuhashi score"
    )
    parser.add_argument(
        "--validate", action="store_true", help="check every output against the FHIR R4 models"
    )
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument(
        "--workers", type=int, metavar="N", help="local worker processes (default: every core)"
    )
    engine.add_argument(
        "--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://HOST:PORT) to run on"
    )
    parser.add_argument(
        "--partitions",
        type=int,
        metavar="N",
        help="patient partitions (default: one per 16 MiB of export, at least 16)",
    )
    parser.add_argument(
        "--export-timeout",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="how long to wait for a server's export to complete (default 3600)",
    )
    add_server_arguments(
        parser, server_help="FHIR base URL for a SOURCE URL's authentication (default: from it)"
    )


def _engine(args: argparse.Namespace) -> Engine:
    if args.scheduler:
        return DaskEngine(args.scheduler)
    return LocalEngine(args.workers if args.workers is not None else local_cores())


def _source(args: argparse.Namespace, output: Path) -> Path:
    """The export directory: SOURCE itself, or the files of a server's export under DIR."""
    if not is_url(args.source):
        return Path(args.source)
    args.fhir_server = args.fhir_server or base_of(args.source)
    settings = server_settings(args)
    got = asyncio.run(
        download_export(args.source, settings, output / "_export", timeout=args.export_timeout)
    )
    if got.errors:
        print(f"spinemets: the server listed {got.errors} export error file(s)", file=sys.stderr)
    return got.directory


def _report(summary: Summary, output: Path, engine: Engine) -> str:
    made = summary.resources()
    outcomes = made.pop("OperationOutcome", 0)
    listed = ", ".join(f"{n} {rtype}" for rtype, n in sorted(made.items()))
    issues = f"{summary.issues} issues in {outcomes} OperationOutcome" if outcomes else "no issues"
    return (
        f"{summary.patients} patients in {summary.partitions} partitions on "
        f"{engine.description}: {listed or 'no results'}; {issues}\n"
        f"{summary.lines} resources read: {summary.kept} about a patient, "
        f"{summary.unassigned} about none, {sum(summary.not_read.values())} of no use to a score; "
        f"{summary.shuffled / 1e6:.1f} MB through {summary.chunks} shards\n"
        f"{output / 'manifest.json'}\n"
    )


def run(args: argparse.Namespace) -> int:
    """Run ``spinemets batch``; the summary on standard output."""
    if args.partitions is not None and args.partitions < 1:
        raise InputError("--partitions must be at least 1")
    output = Path(args.output)
    options = Options(
        now=computation_time(args.now),
        scoring=Scoring.of(load(), original=args.original),
        validate=args.validate,
        partitions=args.partitions,
    )
    engine = _engine(args)  # first: an unreachable cluster fails before a long export
    try:
        source = _source(args, output)
        summary = run_batch(source, output, engine=engine, options=options)
    finally:
        engine.close()
    if is_url(args.source):
        shutil.rmtree(source, ignore_errors=True)
    stdout.write(_report(summary, output, engine))
    return 0
