"""Shared state of one patient's extraction: terminology, rules, the computation time, issues."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord, ResourceRef
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.rules import Rules
from adapter.mapping.terminology import Terminology
from adapter.scoring import level_order
from adapter.vocabulary.systems import code_label

__all__ = [
    "AFTER_NOW",
    "EARLIEST_ZONE",
    "Context",
    "condition_evidence",
    "condition_label",
    "condition_named",
]

# UTC+14 (Kiribati's Line Islands), the first zone where a day begins: a date with no time of
# day, or a time with no zone, is after the computation time only once its day has begun there.
EARLIEST_ZONE = timedelta(hours=14)
# How an input timed after the computation time is reported: "<name> (<reference>, <time>) is
# after the computation time (…)". The scores and the follow-up may both report one input.
AFTER_NOW = "is after the computation time"


@dataclass(slots=True)
class Context:
    term: Terminology
    rules: Rules
    now: ClinicalTime
    issues: list[Issue] = field(default_factory=list)

    def invalid(self, ref: str | None, message: str) -> None:
        self.issues.append(Issue("error", "invalid", f"{message}; resource ignored.", ref))

    def warn(self, ref: str | None, message: str) -> None:
        self.issues.append(Issue("warning", "business-rule", message, ref))

    def from_future(
        self,
        ref: ResourceRef,
        time: ClinicalTime | None,
        named: str | Callable[[], str | None] | None = None,
    ) -> bool:
        """Whether an input is timed after the computation time: then it is reported, unused,
        ``named`` as a clinician reads it (its display and level), its reference cited beside
        (cards drop it, adapter.decision.wording). A callable ``named`` is asked only then:
        naming an input resolves its codes and sites, work almost every input never needs."""
        if time is None or time <= self.now:
            return False
        if not time.zoned and time.instant - self.now.instant <= EARLIEST_ZONE:
            # A day, or a local time with no zone: already begun east of UTC (a notification's
            # re-sync at 23:30 UTC is 08:30 the next day in Tokyo, where it was recorded today).
            return False
        cited = ref.reference or f"{ref.resource_type} without id"
        name = named() if callable(named) else named
        self.warn(
            ref.reference,
            f"{name or ref.resource_type} ({cited}, {time.text}) {AFTER_NOW} "
            f"({self.now.text}): not used (a data error, or a computation as of an earlier date).",
        )
        return True

    def dated(self, time: ClinicalTime | None, window: str) -> str | None:
        """Why an input is dated at the computation time, or None when it is current."""
        if time is None:
            return "recorded with no time"
        limit = self.rules.windows.of(window)
        age = self.now.instant - time.instant
        if age <= limit:
            return None
        return f"{age.days} days before the computation time (window {limit.days} days)"


def condition_evidence(cond: ConditionRecord, summary: str) -> Evidence:
    """A Condition as evidence: its code in the summary (outputs hash it), its display for cards,
    which says when its status could not be read (and so it counts as unconfirmed)."""
    coded = f"{summary} ({cond.codes[0].code if cond.codes else '?'})"
    shown = f"{summary} ({cond.shown_name})" if cond.name else None
    if cond.status_note is not None:
        shown = f"{shown or coded}, {cond.verification_said}"
    return Evidence(cond.ref, cond.time, coded, shown=shown)


def condition_label(cond: ConditionRecord) -> str:
    """A Condition as a clinician reads it in a caveat: its name (the record's words, else the
    mappings' display) with its code, "Plasmacytoma (SNOMED CT 415112005)"; the code alone when
    nothing names it."""
    if not cond.codes:
        return cond.shown_name or cond.ref.reference or "a Condition without a code"
    first = cond.codes[0]
    code = code_label(first.system, first.code)
    return f"{cond.shown_name} ({code})" if cond.name else code


def condition_named(cond: ConditionRecord, levels: Iterable[str] = ()) -> str:
    """A Condition as a clinician reads it in a note: its name (else its code) and its levels,
    "Secondary malignant neoplasm of bone at T12"; the note cites its reference beside it."""
    first = cond.codes[0] if cond.codes else None
    name = cond.shown_name or (code_label(first.system, first.code) if first else "a Condition")
    where = ", ".join(sorted(set(levels), key=level_order))
    return f"{name} at {where}" if where else name
