"""Issues found in the input, reported in an OperationOutcome beside the outputs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Issue", "operation_outcome"]

Severity = Literal["fatal", "error", "warning", "information"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome issue. ``resource`` is the offending resource's reference, if any."""

    severity: Severity
    code: str  # http://hl7.org/fhir/issue-type
    diagnostics: str
    resource: str | None = None
    expression: str | None = None

    def to_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        expressions = [e for e in (self.resource, self.expression) if e]
        if self.resource and self.expression:
            expressions = [f"{self.resource.split('/')[0]}.{self.expression}"]
        if expressions:
            issue["expression"] = expressions[:1]
        if self.resource:
            issue["details"] = {"text": self.resource}
        return issue


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An R4 OperationOutcome; one informational issue when there is nothing to report."""
    listed = [i.to_fhir() for i in issues]
    if not listed:
        listed = [{"severity": "information", "code": "informational", "diagnostics": "No issues."}]
    return {"resourceType": "OperationOutcome", "issue": listed}
