"""Sync: for each patient, read → score → bring the server up to date; go on past failures.

A patient's inputs and the outputs already on the server are read in one batch request. Each
patient is independent: a failure (after bounded retries) is recorded with its reason and
the run continues; running sync again completes what failed, and writes nothing for the rest.
Writing is a unit that reads what the server holds, plans the transaction and sends it; a
conflict with a concurrent writer (409/412) repeats the unit from the read, which then sees the
other writer's result. Duplicates on the server stop the patient at once with a clear reason:
no repeat can fix them (``sync --repair-duplicates`` does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from adapter.errors import DuplicatesError, FhirServerError, StorageError
from adapter.fhir.client import FhirClient, is_fhir_id, status_code
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.audit import Output, reference_in
from adapter.fhir.write.transaction import transaction_bundle
from adapter.mapping.terminology import Terminology
from adapter.pipeline import DEFAULT_SCORING, PatientResult, Scoring, patient_records, score_patient
from adapter.sync.outputs import read_stored
from adapter.sync.reader import patient_snapshot, stored_outputs
from adapter.sync.retry import RetryPolicy, with_retries

log = logging.getLogger("spinemets.sync")

__all__ = ["Audit", "Outcome", "Summary", "sync_patient", "sync_patients"]

Status = Literal["written", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    patient: str
    status: Status
    reason: str | None = None
    created: int = 0  # resources created or updated by this run's transaction
    issues: int = 0
    outputs: tuple[Output, ...] = ()  # what it created or updated, for the audit trail


@dataclass(slots=True)
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    retries: int = 0

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def lines(self) -> list[str]:
        scored = len(self.outcomes) - self.count("failed")
        out = [
            f"patients: {len(self.outcomes)} · scored {scored} · written {self.count('written')} "
            f"· unchanged {self.count('unchanged')} · failed {self.count('failed')} "
            f"· retried requests {self.retries}"
        ]
        out += [f"  failed Patient/{o.patient}: {o.reason}" for o in self.failed]
        return out


def _location(entry: Any, sent: dict[str, Any]) -> str:
    """``Type/id/_history/v`` of an entry written: from the answer's location, else as sent."""
    answer = entry.get("response") if isinstance(entry, dict) else None
    location = answer.get("location") if isinstance(answer, dict) else None
    found = reference_in(location) if isinstance(location, str) else None
    return found or str(sent["request"]["url"])


def _written(bundle: dict[str, Any], response: dict[str, Any]) -> tuple[Output, ...]:
    """Entries this transaction created or changed (a matched conditional create changed none)."""
    answers = response.get("entry")
    entries = answers if isinstance(answers, list) else []
    # Only the status code: the rest of the status line is the server's own words.
    codes = [
        status_code((e.get("response") or {}).get("status")) if isinstance(e, dict) else None
        for e in entries
    ]
    bad = [c or "no status" for c in codes if not (c or "").startswith("2")]
    if bad or len(codes) != len(bundle["entry"]):
        raise FhirServerError(f"transaction entry answered {bad[0] if bad else 'nothing'}")
    return tuple(
        Output("resource", _location(answer, sent), "created" if code == "201" else "updated")
        for sent, answer, code in zip(bundle["entry"], entries, codes, strict=True)
        if code == "201" or sent["request"]["method"] == "PUT"
    )


@dataclass(slots=True)
class _Write:
    """The write unit, retried as a whole: read what the server holds, send what differs."""

    client: FhirClient
    result: PatientResult
    found_work: bool | None = None  # what the first look found: written or unchanged
    # What the server held when the inputs were read (the same batch): the first attempt's
    # look; a repeat after a conflict reads again.
    first_look: list[Any] | None = None

    async def __call__(self) -> tuple[Output, ...]:
        """What was written."""
        patient = self.result.patient
        if self.first_look is not None:
            raw, self.first_look = self.first_look, None
        else:
            raw = await stored_outputs(self.client, patient)
        stored = read_stored(raw)
        if stored.duplicates(series_only=True):
            raise DuplicatesError(
                f"duplicates on the server ({stored.describe_duplicates()}): run spinemets sync "
                f"--repair-duplicates --patient {patient}"
            )
        bundle = transaction_bundle(self.result.resources(), stored.current)
        if self.found_work is None:
            self.found_work = bundle is not None
        if bundle is None:
            return ()
        return _written(bundle, await self.client.transaction(bundle))


def _score(
    resources: list[Any], patient: str, term: Terminology, now: ClinicalTime, scoring: Scoring
) -> PatientResult | None:
    records = patient_records(resources, patient)
    if not records:
        return None
    return score_patient(records, term, now=now, scoring=scoring)


Audit = Callable[[Outcome], Awaitable[None]]


async def sync_patient(
    client: FhirClient,
    term: Terminology,
    patient: str,
    *,
    now: ClinicalTime,
    policy: RetryPolicy,
    scoring: Scoring = DEFAULT_SCORING,
    on_retry: Callable[[FhirServerError], None] | None = None,
    audit: Audit | None = None,
) -> Outcome:
    """Read, score and write one patient; never raises for server or data problems. ``audit``
    records the outcome (adapter.sync.audit); one it cannot record fails the patient."""
    if not is_fhir_id(patient):  # e.g. a subject found by --all: skip it, go on with the rest
        return Outcome(patient, "failed", "not a FHIR id")
    outcome = await _sync_patient(client, term, patient, now, policy, scoring, on_retry)
    if audit is not None:
        try:
            await audit(outcome)
        except StorageError as exc:
            return replace(outcome, status="failed", reason=str(exc))
    return outcome


async def _sync_patient(
    client: FhirClient,
    term: Terminology,
    patient: str,
    now: ClinicalTime,
    policy: RetryPolicy,
    scoring: Scoring,
    on_retry: Callable[[FhirServerError], None] | None,
) -> Outcome:
    try:
        resources, stored = await with_retries(
            lambda: patient_snapshot(client, patient), policy, on_retry=on_retry
        )
        # Scoring is CPU work: off the event loop, so a running service stays responsive.
        result = await asyncio.to_thread(_score, resources, patient, term, now, scoring)
        if result is None:
            return Outcome(patient, "failed", "no data for this patient")
        write = _Write(client, result, first_look=stored)
        written = await with_retries(write, policy, on_retry=on_retry)
    except FhirServerError as exc:
        # Our own words only: the server's error text (exc.diagnostics) is never printed or
        # logged, it may hold anything (an internal URL, a password).
        return Outcome(patient, "failed", str(exc))
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        # What the server holds has a shape nothing expected: this patient fails, the run goes on.
        log.error("Patient/%s: internal error (%s)", patient, type(exc).__name__)
        return Outcome(patient, "failed", f"internal error ({type(exc).__name__})")
    status: Status = "written" if write.found_work else "unchanged"
    return Outcome(patient, status, None, len(written), len(result.issues), written)


async def sync_patients(
    client: FhirClient,
    term: Terminology,
    patients: Iterable[str],
    *,
    now: ClinicalTime,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    scoring: Scoring = DEFAULT_SCORING,
    on_done: Callable[[Outcome], None] | None = None,
    audit: Audit | None = None,
) -> Summary:
    """Sync many patients, ``concurrency`` at a time, in a stable order of results."""
    summary = Summary()
    policy = policy or RetryPolicy()
    limit = asyncio.Semaphore(concurrency)

    def count_retry(_: FhirServerError) -> None:
        summary.retries += 1

    async def one(patient: str) -> Outcome:
        async with limit:
            outcome = await sync_patient(
                client,
                term,
                patient,
                now=now,
                policy=policy,
                scoring=scoring,
                on_retry=count_retry,
                audit=audit,
            )
        if on_done is not None:
            on_done(outcome)
        return outcome

    summary.outcomes = list(await asyncio.gather(*(one(p) for p in dict.fromkeys(patients))))
    return summary
