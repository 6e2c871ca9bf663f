"""Sync: read → score → bring the server up to date, patient by patient; go on past failures.

Patients are read in groups: every search of up to ``read_group`` patients (their inputs and the
outputs already on the server) as the entries of one batch request, retried as a whole; a
patient whose own part failed is read again alone. A group is scored in one hop off the event
loop, then written: the patients whose results are all new in transactions of several
(:mod:`adapter.sync.together`), any other patient in a transaction of its own; each patient's
writes are atomic either way. Each patient is independent: a failure (after bounded retries)
is recorded with its reason and the run continues; running sync again completes what failed,
and writes nothing for the rest. The write unit (:mod:`adapter.sync.write`) repeats from a
fresh read of the record, scored again, after a conflict with a concurrent writer. A copy of an
output beside its series' resource (an EHR that accepted a CDS suggestion, a concurrent writer)
is withdrawn by that write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from adapter.errors import FhirServerError, StorageError
from adapter.fhir.client import FhirClient, is_fhir_id
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.audit import Output
from adapter.mapping.terminology import Terminology
from adapter.pipeline import (
    DEFAULT_SCORING,
    NOT_METASTATIC,
    PatientResult,
    Scoring,
    patient_records,
    score_patient,
)
from adapter.sync.reader import Snapshot, group_snapshots, patient_snapshot
from adapter.sync.retry import RetryPolicy, delay, is_transient, with_retries
from adapter.sync.together import MOST_ENTRIES, chunks, creates_only, merged, split
from adapter.sync.write import MAY_HAVE_BEEN_APPLIED, Rescore, Write
from adapter.vocabulary import TOKUHASHI_ORIGINAL
from adapter.vocabulary.systems import SCORE

log = logging.getLogger("spinemets.sync")

__all__ = ["Audit", "Outcome", "Summary", "sync_patient", "sync_patients"]

Status = Literal["written", "unchanged", "skipped", "failed"]
# Why a patient is skipped, whichever way sync came to it (--all, --since, --patient, a
# notification): these scores are about bone metastases, and a patient without one gets nothing.


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
        skipped = self.count("skipped")
        scored = len(self.outcomes) - self.count("failed") - skipped
        said = f" · skipped {skipped} ({NOT_METASTATIC})" if skipped else ""
        out = [
            f"patients: {len(self.outcomes)} · scored {scored} · written {self.count('written')} "
            f"· unchanged {self.count('unchanged')}{said} · failed {self.count('failed')} "
            f"· retried requests {self.retries}"
        ]
        out += [f"  failed Patient/{o.patient}: {o.reason}" for o in self.failed]
        return out


def _score(
    resources: list[Any], patient: str, term: Terminology, now: ClinicalTime, scoring: Scoring
) -> PatientResult | None:
    records = patient_records(resources, patient)
    if not records:
        return None
    return score_patient(records, term, now=now, scoring=scoring)


Scored = PatientResult | None | Exception
_INTERNAL = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def _score_all(
    read: list[tuple[str, list[Any]]], term: Terminology, now: ClinicalTime, scoring: Scoring
) -> list[Scored]:
    """Score several patients in one hop off the event loop; what one patient raises is handed
    back in its place, to that patient's accounting (:meth:`_Run.unit`)."""
    out: list[Scored] = []
    for patient, resources in read:
        try:
            result = _score(resources, patient, term, now, scoring)
            if result is not None:
                # Built here, in the thread: the writes that read them run on the event loop.
                for output in result.resources():
                    output.build()
            out.append(result)
        except Exception as exc:  # noqa: BLE001  # that patient's failure (_Run.unit, settle)
            out.append(exc)
    return out


def _reason(exc: Exception, patient: str) -> str:
    if isinstance(exc, FhirServerError):
        # Our own words only: the server's error text (exc.diagnostics) is never printed or
        # logged, it may hold anything (an internal URL, a password).
        return str(exc)
    # What the server holds has a shape nothing expected: this patient fails, the run goes on.
    log.error("Patient/%s: internal error (%s)", patient, type(exc).__name__)
    return f"internal error ({type(exc).__name__})"


def _internal(exc: Exception, patients: int) -> FhirServerError:
    """An error of spinemets' own around a transaction of several, as one with no answer: it
    may have come after the server applied it, so each patient is read again."""
    log.error("a transaction of %d patients: internal error (%s)", patients, type(exc).__name__)
    return FhirServerError(f"internal error ({type(exc).__name__})")


Audit = Callable[[Outcome], Awaitable[None]]


def _is_original(resource: Any) -> bool:
    """A stored 1990 Tokuhashi result that is current (not withdrawn)."""
    if not isinstance(resource, dict) or resource.get("status") == "entered-in-error":
        return False
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return isinstance(codings, list) and any(
        isinstance(c, dict)
        and c.get("system") == SCORE
        and c.get("code") == TOKUHASHI_ORIGINAL.code
        for c in codings
    )


@dataclass(frozen=True, slots=True)
class _Run:
    """What every patient of a run shares."""

    client: FhirClient
    term: Terminology
    now: ClinicalTime
    policy: RetryPolicy
    scoring: Scoring
    on_retry: Callable[[FhirServerError], None] | None = None
    audit: Audit | None = None
    transaction_entries: int = MOST_ENTRIES  # shared by patients whose results are all new

    async def score(
        self, read: list[tuple[str, list[Any]]], scoring: Scoring | None = None
    ) -> list[Scored]:
        if not read:
            return []
        # Scoring is CPU work: off the event loop, so a running service stays responsive.
        how = scoring or self.scoring
        return await asyncio.to_thread(_score_all, read, self.term, self.now, how)

    def scoring_for(self, stored: list[Any]) -> Scoring:
        """The run's scoring; with the 1990 Tokuhashi score when the server holds one for the
        patient (written by a run with --original): left uncomputed, it would stay final with
        the inputs of its day, whatever the record says now."""
        if self.scoring.original or not any(_is_original(r) for r in stored):
            return self.scoring
        return replace(self.scoring, original=True)

    def rescore(self, patient: str, scoring: Scoring | None = None) -> Rescore:
        """Score the patient's record as a repeated write reads it again."""

        async def again(resources: list[Any]) -> PatientResult | None:
            (scored,) = await self.score([(patient, resources)], scoring)
            if isinstance(scored, Exception):
                raise scored
            return scored

        return again

    def unit(
        self, patient: str, scored: Scored, stored: list[Any], scoring: Scoring
    ) -> Write | Outcome:
        """The write that brings the server up to date with one patient's result, or the
        patient's outcome when there is nothing to write."""
        if isinstance(scored, Exception):
            # Whatever scoring raised is this patient's failure: the run goes on.
            return Outcome(patient, "failed", _reason(scored, patient))
        if scored is None:
            return Outcome(patient, "failed", "no data for this patient")
        # Nothing is written for a patient with no bone metastasis; but scores written
        # before (the only metastasis since entered in error, refuted or deleted) are
        # withdrawn (PatientResult.written), never left current nor updated.
        if not scored.metastatic and not stored:
            return Outcome(patient, "skipped", NOT_METASTATIC, issues=len(scored.issues))
        return Write(self.client, scored, self.rescore(patient, scoring), first_look=stored)

    async def settle(self, write: Write, written: tuple[Output, ...] | None) -> Outcome:
        """The patient's outcome: what was ``written`` with others, else its own transaction
        (retried as a whole)."""
        patient = write.result.patient
        try:
            if written is None:
                written = await with_retries(write, self.policy, on_retry=self.on_retry)
        # Whatever a repeat's scoring raised too (Write.rescore): this patient's failure.
        except Exception as exc:  # noqa: BLE001
            said = f"; {MAY_HAVE_BEEN_APPLIED} — check the server" if write.unanswered else ""
            return Outcome(patient, "failed", _reason(exc, patient) + said)
        status: Status = "written" if write.found_work else "unchanged"
        issues = len(write.result.issues)  # of the record the write was computed from
        return Outcome(patient, status, None, len(written), issues, written)

    def planned(self, unit: Write | Outcome) -> Write | Outcome:
        """The write with its first attempt planned; a patient whose write cannot be planned
        (what the server holds has a shape nothing expected) fails alone, the run goes on."""
        if isinstance(unit, Outcome):
            return unit
        try:
            unit.plan()
        except (FhirServerError, *_INTERNAL) as exc:
            return Outcome(unit.result.patient, "failed", _reason(exc, unit.result.patient))
        return unit

    def shared(self, units: list[Write | Outcome]) -> dict[int, list[tuple[Write, dict[str, Any]]]]:
        """The transactions of several (adapter.sync.together) of the planned writes that only
        create, by the ``id`` of each one's first write."""
        creates = [
            (u, u.planned.bundle)
            for u in units
            if isinstance(u, Write)
            and u.planned is not None
            and u.planned.bundle is not None
            and creates_only(u.planned.bundle)
        ]
        return {
            id(chunk[0][0]): chunk
            for chunk in chunks(creates, self.transaction_entries)
            if len(chunk) > 1
        }

    async def send_shared(
        self, chunk: list[tuple[Write, dict[str, Any]]]
    ) -> dict[int, tuple[Output, ...]]:
        """Send one transaction of several; what each write so wrote, by ``id``. The writes of
        one that failed are left to :meth:`settle`, each alone: as planned after a refusal, read
        again where it may have been applied."""
        bundles = [bundle for _, bundle in chunk]
        try:
            answer = await self.client.transaction(merged(bundles))
        except (FhirServerError, *_INTERNAL) as exc:
            failed = exc if isinstance(exc, FhirServerError) else _internal(exc, len(chunk))
            for write, _ in chunk:
                write.lost(failed)  # after a refusal, each is sent alone as planned
            await self.pause(failed)
            return {}
        answers = split(answer, bundles)
        parts: list[dict[str, Any] | None] = [*answers] if answers else [None] * len(chunk)
        done: dict[int, tuple[Output, ...]] = {}
        unclear = False
        for (write, bundle), part in zip(chunk, parts, strict=True):
            try:
                if part is None:
                    raise FhirServerError("a transaction's answer did not answer every entry")
                done[id(write)] = write.answered(bundle, part)
            except (FhirServerError, *_INTERNAL):
                # Applied, by its status, but what it wrote is not known.
                write.unknown()
                unclear = True
        if unclear:
            await self.pause(FhirServerError("a transaction's answer was not understood"))
        return done

    async def pause(self, exc: FhirServerError) -> None:
        """Before a transaction of several that failed is sent again patient by patient: counted
        as a retry, after the backoff of one when a repeat may succeed."""
        if self.on_retry is not None:
            self.on_retry(exc)
        if is_transient(exc):
            await asyncio.sleep(delay(self.policy, 1, exc))

    async def recorded(self, outcome: Outcome) -> Outcome:
        """The outcome, once the audit trail holds it; one it cannot record fails the patient."""
        if self.audit is not None:
            try:
                await self.audit(outcome)
            except StorageError as exc:
                return replace(outcome, status="failed", reason=str(exc))
        return outcome

    async def read(self, patient: str) -> Snapshot | Exception:
        try:
            return await with_retries(
                lambda: patient_snapshot(self.client, patient), self.policy, on_retry=self.on_retry
            )
        except (FhirServerError, *_INTERNAL) as exc:
            return exc

    async def alone(self, patient: str, part: Snapshot | Exception) -> Snapshot | Exception:
        """A patient's part of a group read; one that failed for a reason a repeat may fix
        (a 5xx entry, a further page) is read again on its own, with the retries of one."""
        if not isinstance(part, FhirServerError) or not is_transient(part):
            return part
        if self.on_retry is not None:
            self.on_retry(part)
        return await self.read(patient)

    async def read_group(self, patients: list[str]) -> tuple[list[Snapshot | Exception], str]:
        """Each patient's snapshot or why it could not be read; what a failed reason adds."""
        try:
            parts = await with_retries(
                lambda: group_snapshots(self.client, patients), self.policy, on_retry=self.on_retry
            )
        except (FhirServerError, *_INTERNAL) as exc:
            # The request for all of them failed, every repeat too: each fails with that.
            note = f" (reading its group of {len(patients)} patients)" if len(patients) > 1 else ""
            return [exc] * len(patients), note
        alone = (self.alone(p, part) for p, part in zip(patients, parts, strict=True))
        return list(await asyncio.gather(*alone)), ""

    async def finish(
        self,
        patients: list[str],
        snapshots: list[Snapshot | Exception],
        note: str = "",
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """Score the patients read in one hop, write them (the new results of several in one
        transaction, any other patient's in its own: atomic per patient either way) and record
        each outcome."""
        read = [(p, s[0]) for p, s in zip(patients, snapshots, strict=True) if isinstance(s, tuple)]
        how = {p: self.scoring_for(s[1]) for p, s in zip(patients, snapshots, strict=True)
               if isinstance(s, tuple)}  # fmt: skip
        # Scored together when scored alike (one hop off the loop), else one by one.
        scored = iter(
            await self.score(read)
            if all(h is self.scoring for h in how.values())
            else [s for p, r in read for s in await self.score([(p, r)], how[p])]
        )
        units = [
            self.planned(self.unit(patient, next(scored), snapshot[1], how[patient]))
            if isinstance(snapshot, tuple)
            else Outcome(patient, "failed", _reason(snapshot, patient) + note)
            for patient, snapshot in zip(patients, snapshots, strict=True)
        ]
        # A transaction of several is sent when its first patient's turn comes, and all its
        # patients are audited before anything else is sent: what an interrupted run leaves
        # written but unaudited is at most one transaction's patients a group.
        shared = self.shared(units)
        outcomes: dict[int, Outcome] = {}
        for unit in units:
            if id(unit) in outcomes:
                continue  # a patient of a transaction of several, recorded with it
            writes: list[tuple[Write | Outcome, tuple[Output, ...] | None]] = [(unit, None)]
            if id(unit) in shared:
                done = await self.send_shared(shared[id(unit)])
                writes = [(write, done.get(id(write))) for write, _ in shared[id(unit)]]
            for each, written in writes:
                outcome = each if isinstance(each, Outcome) else await self.settle(each, written)
                outcome = await self.recorded(outcome)
                if on_done is not None:
                    on_done(outcome)
                outcomes[id(each)] = outcome
        return [outcomes[id(unit)] for unit in units]


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
    run = _Run(client, term, now, policy, scoring, on_retry, audit)
    (outcome,) = await run.finish([patient], [await run.read(patient)])
    return outcome


def _groups(patients: list[str], concurrency: int, size: int) -> list[list[str]]:
    """Groups of at most ``size`` patients, smaller when that keeps ``concurrency`` groups busy
    (a short list still runs its patients side by side)."""
    size = max(1, min(size, -(-len(patients) // concurrency)))
    return [patients[at : at + size] for at in range(0, len(patients), size)]


async def sync_patients(
    client: FhirClient,
    term: Terminology,
    patients: Iterable[str],
    *,
    now: ClinicalTime,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    read_group: int = 20,
    transaction_entries: int = MOST_ENTRIES,
    scoring: Scoring = DEFAULT_SCORING,
    on_done: Callable[[Outcome], None] | None = None,
    audit: Audit | None = None,
) -> Summary:
    """Sync many patients in a stable order of results: groups of up to ``read_group`` read in
    one request each, ``concurrency`` groups at a time; within a group, the patients whose
    results are all new share transactions of at most ``transaction_entries`` entries (0: each
    its own), the others are written one at a time."""
    summary = Summary()

    def count_retry(_: FhirServerError) -> None:
        summary.retries += 1

    run = _Run(
        client, term, now, policy or RetryPolicy(), scoring, count_retry, audit, transaction_entries
    )
    limit = asyncio.Semaphore(concurrency)
    unique = list(dict.fromkeys(patients))
    outcomes: dict[str, Outcome] = {}
    for patient in unique:
        if not is_fhir_id(patient):  # e.g. a subject found by --all: skip it, go on
            outcomes[patient] = Outcome(patient, "failed", "not a FHIR id")
            if on_done is not None:
                on_done(outcomes[patient])

    async def one(group: list[str]) -> list[Outcome]:
        async with limit:
            snapshots, note = await run.read_group(group)
            return await run.finish(group, snapshots, note, on_done)

    valid = [p for p in unique if p not in outcomes]
    for done in await asyncio.gather(*(one(g) for g in _groups(valid, concurrency, read_group))):
        outcomes |= {o.patient: o for o in done}
    summary.outcomes = [outcomes[p] for p in unique]
    return summary
