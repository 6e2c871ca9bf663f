"""Shared state of one patient's extraction: the terminology and the issues found."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import ConditionRecord
from adapter.mapping.evidence import Evidence
from adapter.mapping.terminology import Terminology

__all__ = ["Context", "condition_evidence"]


@dataclass(slots=True)
class Context:
    term: Terminology
    issues: list[Issue] = field(default_factory=list)
    conditions: dict[str, ConditionRecord] = field(default_factory=dict)

    def invalid(self, ref: str | None, message: str) -> None:
        self.issues.append(Issue("error", "invalid", f"{message}; resource ignored.", ref))


def condition_evidence(cond: ConditionRecord, summary: str) -> Evidence:
    code = cond.codes[0].code if cond.codes else "?"
    return Evidence(cond.ref, cond.time, f"{summary} ({code})")
