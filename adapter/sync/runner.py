"""Sync: for each patient, read → score → write one idempotent transaction; go on past failures.

Each patient is independent: a failure (after bounded retries) is recorded with its reason and
the run continues; running sync again completes what failed, and writes nothing for the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from adapter.errors import FhirServerError
from adapter.fhir.client import FhirClient
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.source import patients_from_resources
from adapter.fhir.read.timing import ClinicalTime
from adapter.fhir.write.transaction import transaction_bundle
from adapter.mapping.extract import read_observation
from adapter.mapping.terminology import Terminology
from adapter.pipeline import score_patient
from adapter.sync.reader import patient_inputs
from adapter.sync.retry import RetryPolicy, with_retries

__all__ = ["Outcome", "Summary", "sync_patient", "sync_patients"]

Status = Literal["written", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class Outcome:
    patient: str
    status: Status
    reason: str | None = None
    created: int = 0
    issues: int = 0


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


def _created(response: dict[str, Any]) -> int:
    statuses = [str((e.get("response") or {}).get("status", "")) for e in response.get("entry", [])]
    bad = [s for s in statuses if not s.startswith("2")]
    if bad:
        raise FhirServerError(f"transaction entry answered {bad[0]}")
    return sum(1 for s in statuses if s.startswith("201"))


async def sync_patient(
    client: FhirClient,
    term: Terminology,
    patient: str,
    *,
    now: ClinicalTime,
    policy: RetryPolicy,
    original: bool = False,
    on_retry: Callable[[FhirServerError], None] | None = None,
) -> Outcome:
    """Read, score and write one patient; never raises for server or data problems."""
    try:
        resources = await with_retries(
            lambda: patient_inputs(client, patient), policy, on_retry=on_retry
        )
        loose: list[Issue] = []
        mine = [
            p
            for p in patients_from_resources(resources, loose, read_observation)
            if p.patient == patient
        ]
        if not mine:
            return Outcome(patient, "failed", "no data for this patient")
        result = score_patient(mine[0], term, now=now, original=original)
        bundle = transaction_bundle(result.resources())
        response = await with_retries(lambda: client.transaction(bundle), policy, on_retry=on_retry)
        created = _created(response)
    except FhirServerError as exc:
        return Outcome(patient, "failed", str(exc))
    status: Status = "written" if created else "unchanged"
    return Outcome(patient, status, None, created, len(result.issues))


async def sync_patients(
    make_client: Callable[[], Awaitable[FhirClient]],
    term: Terminology,
    patients: Iterable[str],
    *,
    now: ClinicalTime,
    policy: RetryPolicy | None = None,
    concurrency: int = 4,
    original: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> Summary:
    """Sync many patients, ``concurrency`` at a time, in a stable order of results."""
    summary = Summary()
    policy = policy or RetryPolicy()
    limit = asyncio.Semaphore(concurrency)

    def count_retry(_: FhirServerError) -> None:
        summary.retries += 1

    async def one(patient: str) -> Outcome:
        async with limit:
            try:
                client = await make_client()
            except FhirServerError as exc:
                outcome = Outcome(patient, "failed", f"authentication: {exc}")
            else:
                outcome = await sync_patient(
                    client, term, patient, now=now, policy=policy, original=original,
                    on_retry=count_retry,
                )  # fmt: skip
        if on_done is not None:
            on_done(outcome)
        return outcome

    summary.outcomes = list(await asyncio.gather(*(one(p) for p in dict.fromkeys(patients))))
    return summary
