"""The write unit of sync: read what the server holds for a patient, plan the transaction and
send it; retried as a whole (adapter.sync.retry). A repeat after a conflict with a concurrent
writer (409/412) reads the patient's record again, not only the stored outputs, and scores it
again: the other writer may have read a newer record, and a result computed from an older read
must never be written over its result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from adapter.errors import FhirServerError
from adapter.fhir.client import FhirClient, status_code
from adapter.fhir.write.audit import Output, reference_in
from adapter.fhir.write.transaction import identifier_of, transaction_bundle
from adapter.pipeline import PatientResult
from adapter.sync.outputs import StoredOutputs, read_stored
from adapter.sync.reader import patient_snapshot
from adapter.vocabulary.systems import ASSESSMENT_SID

__all__ = ["ANSWER_LOST", "MAY_HAVE_BEEN_APPLIED", "Plan", "Rescore", "Write"]

# How the audit trail names outputs a transaction wrote whose answer never came, and how a
# patient that then failed says so: the server may hold a write nobody saw answered.
ANSWER_LOST = "written (answer lost)"
MAY_HAVE_BEEN_APPLIED = "a transaction whose answer was lost may have been applied"

# Scores a patient's record as read again (off the event loop); None: nothing left to score.
Rescore = Callable[[list[Any]], Awaitable[PatientResult | None]]


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


@dataclass(frozen=True, slots=True)
class Plan:
    """An attempt's transaction (None: the server holds the result already) and what the server
    held when it was planned."""

    bundle: dict[str, Any] | None
    stored: StoredOutputs


@dataclass(slots=True)
class Write:
    """The write unit, retried as a whole: read what the server holds, send what differs.
    ``result`` is the result the last attempt wrote or planned (a repeat scores it anew)."""

    client: FhirClient
    result: PatientResult
    rescore: Rescore
    found_work: bool | None = None  # what the first look found: written or unchanged
    # What the server held when the inputs were read (the same batch): the first attempt's
    # look; a repeat reads the record and the stored outputs again, in one batch.
    first_look: list[Any] | None = None
    # A transaction was sent and its answer never came (no answer, or a 5xx): the server may
    # hold its write, which a repeat then finds stored and does not send again.
    unanswered: bool = False
    # What the server held before that transaction: reference → version of each stored output.
    held: dict[str, str | None] | None = None
    # The first attempt, planned from the first look before it is sent (:meth:`plan`).
    planned: Plan | None = None

    async def __call__(self) -> tuple[Output, ...]:
        """What was written."""
        plan, self.planned = self.planned, None
        if plan is None:
            plan = self._plan(await self._look())
        if plan.bundle is None:
            return self._found_stored(plan.stored) if self.unanswered else ()
        try:
            answer = await self.client.transaction(plan.bundle)
        except FhirServerError as exc:
            self.lost(exc)
            raise
        return self.answered(plan.bundle, answer)

    def plan(self) -> None:
        """Plan the first attempt from the first look (:attr:`planned`), kept for the first call:
        for a caller that sends the writes of several patients in one transaction. Without a
        first look there is nothing to plan from: the call reads."""
        if self.first_look is not None:
            self.planned = self._plan(self.first_look)
            self.first_look = None

    def lost(self, exc: FhirServerError) -> None:
        """The transaction failed: with no answer or a 5xx the server may hold it all the same."""
        if exc.status is None or exc.status >= 500:
            self.unknown()

    def unknown(self) -> None:
        """What the transaction sent last did is not known (it may have been applied): the next
        call reads again, and what it wrote is found stored rather than sent twice."""
        self.unanswered = True
        self.planned = None

    def answered(self, bundle: dict[str, Any], answer: dict[str, Any]) -> tuple[Output, ...]:
        """What ``bundle`` wrote, by its answer (the entries of this patient's writes)."""
        self.unanswered = False  # answered: that one was not applied, or this one said so
        return _written(bundle, answer)

    async def _look(self) -> list[Any]:
        """What the server holds for the patient: the first look, else read again (the record
        too, scored anew)."""
        if self.first_look is not None:
            raw, self.first_look = self.first_look, None
            return raw
        inputs, raw = await patient_snapshot(self.client, self.result.patient)
        result = await self.rescore(inputs)
        if result is None:
            # Not transient: the record read again holds nothing of the patient.
            raise FhirServerError("no data for this patient when read again", status=404)
        self.result = result
        return raw

    def _plan(self, raw: list[Any]) -> Plan:
        stored = read_stored(raw)
        if self.held is None:
            self.held = {st.reference: st.version for st in stored.current.values()}
        bundle = transaction_bundle(
            self.result.written(), stored.current, self.result.answers_for, stored.copies
        )
        if self.found_work is None:
            self.found_work = bundle is not None
        return Plan(bundle, stored)

    def _found_stored(self, stored: StoredOutputs) -> tuple[Output, ...]:
        """What a transaction whose answer was lost wrote, as the repeat finds it stored: the
        resources holding this result's identifiers that are new, or at another version, since
        the server was read before it (outputs written on an earlier day are not re-dated)."""
        wanted = {
            (b.resource["resourceType"], identifier_of(b.resource, ASSESSMENT_SID))
            for b in self.result.written()
        }
        held = self.held or {}
        found = [
            s
            for s in stored.current.values()
            if (s.resource_type, s.result) in wanted
            and (s.reference not in held or held[s.reference] != s.version)
        ]
        return tuple(
            Output("resource", f"{s.reference}/_history/{s.version}", ANSWER_LOST)
            if s.version
            else Output("resource", s.reference, ANSWER_LOST)
            for s in found
        )
