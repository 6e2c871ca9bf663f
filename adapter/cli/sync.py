"""``spinemets sync``: choose patients, authenticate, (repair,) run, report."""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys

from adapter.cli import output
from adapter.errors import FhirServerError, InputError
from adapter.fhir.client import FhirClient, add_server_arguments, is_fhir_id, server_settings
from adapter.fhir.read.timing import parse_time
from adapter.heap import settle
from adapter.mapping.terminology import Terminology, default_terminology
from adapter.pipeline import Scoring, now_time
from adapter.settings import load
from adapter.sync.audit import AuditSettings, SyncAudit
from adapter.sync.reader import all_patients, changed_patients
from adapter.sync.repair import repair_patient
from adapter.sync.retry import RetryPolicy, with_retries
from adapter.sync.runner import Outcome, sync_patients

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_server_arguments(parser)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", action="append", metavar="ID", help="a patient id (repeatable)")
    who.add_argument(
        "--all", action="store_true", help="every patient with a bone-metastasis Condition"
    )
    who.add_argument(
        "--since", metavar="TIME", help="patients whose inputs changed after TIME (FHIR instant)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=4,
        help="groups of patients in flight at once (default 4)",
    )
    parser.add_argument(
        "--read-group",
        type=int,
        metavar="N",
        help="patients read in one batch request (default SPINEMETS_SYNC_READ_GROUP, 20)",
    )
    parser.add_argument(
        "--transaction-entries",
        type=int,
        metavar="N",
        help="most entries of a transaction that patients whose results are all new share; 0: "
        "one transaction a patient (default SPINEMETS_SYNC_TRANSACTION_ENTRIES, 200)",
    )
    parser.add_argument(
        "--original", action="store_true", help="also write the original 1990 Tokuhashi score"
    )
    parser.add_argument(
        "--repair-duplicates",
        action="store_true",
        help="first delete duplicate outputs that overlapping writes left (keeps one of each)",
    )


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise (logs, CI)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.failed = total, 0, 0
        self.live = sys.stderr.isatty()

    def __call__(self, outcome: Outcome) -> None:
        self.done += 1
        self.failed += outcome.status == "failed"
        if self.live:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (width - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} · failed {self.failed}")
            if self.done == self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


async def _patients(
    args: argparse.Namespace, client: FhirClient, term: Terminology, policy: RetryPolicy
) -> list[str]:
    if args.patient:
        bad = next((p for p in args.patient if not is_fhir_id(p)), None)
        if bad is not None:
            raise InputError(f"--patient {bad[:70]!r} is not a FHIR id")
        return list(dict.fromkeys(args.patient))
    if args.all:
        return await with_retries(lambda: all_patients(client, term), policy)
    return await with_retries(lambda: changed_patients(client, args.since), policy)


async def _repair(client: FhirClient, patients: list[str], policy: RetryPolicy) -> list[str]:
    """Repair each patient; the lines to print for those that could not be repaired."""
    failures = []
    for patient in patients:
        try:
            repair = await with_retries(functools.partial(repair_patient, client, patient), policy)
        except FhirServerError as exc:
            failures.append(f"  repair failed Patient/{patient}: {exc}")
        else:
            if repair.removed:
                output.line(repair.line())
    return failures


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every patient synced, 1 when some failed (listed), 2 for unusable arguments."""
    return asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> int:
    if args.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if args.since and parse_time(args.since) is None:
        raise InputError(f"--since {args.since!r} is not a FHIR instant")
    if args.read_group is not None and not 1 <= args.read_group <= 100:
        raise InputError("--read-group must be from 1 to 100")
    if args.transaction_entries is not None and not 0 <= args.transaction_entries <= 10000:
        raise InputError("--transaction-entries must be from 0 to 10000")
    term = default_terminology()
    policy = RetryPolicy()
    # A group's read is one request, but a patient's further pages run in parallel: room.
    settings = server_settings(args, timeout=30.0, max_connections=max(8, 5 * args.concurrency))
    async with FhirClient.connect(settings) as client:
        audited = load(AuditSettings)
        audit = SyncAudit(audited.path, client, send=audited.audit_send)
        audit.check()  # an audit trail that cannot be written stops the run before any write
        settle()  # start-up objects out of the collector's walks (adapter/heap.py)
        patients = await _patients(args, client, term, policy)
        failures = await _repair(client, patients, policy) if args.repair_duplicates else []
        summary = await sync_patients(
            client,
            term,
            patients,
            now=now_time(),
            policy=policy,
            concurrency=args.concurrency,
            read_group=args.read_group or audited.sync_read_group,
            transaction_entries=(
                audited.sync_transaction_entries
                if args.transaction_entries is None
                else args.transaction_entries
            ),
            scoring=Scoring.of(audited, original=args.original),
            on_done=_Progress(len(patients)),
            audit=audit,
        )
    output.line("\n".join(summary.lines() + failures))
    return 1 if summary.failed or failures else 0
