"""Issues found in the input as an R4 OperationOutcome, written beside the outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapter.fhir.read.issues import Issue

__all__ = ["issue_json", "operation_outcome"]


def issue_json(issue: Issue) -> dict[str, Any]:
    """One ``OperationOutcome.issue``: the offending resource in ``details.text``."""
    out: dict[str, Any] = {
        "severity": issue.severity,
        "code": issue.code,
        "diagnostics": issue.diagnostics,
    }
    if issue.resource and issue.expression:
        out["expression"] = [f"{issue.resource.split('/')[0]}.{issue.expression}"]
    elif issue.resource or issue.expression:
        out["expression"] = [issue.resource or issue.expression]
    if issue.resource:
        out["details"] = {"text": issue.resource}
    return out


def operation_outcome(issues: Iterable[Issue]) -> dict[str, Any]:
    """An R4 OperationOutcome; one informational issue when there is nothing to report."""
    listed = [issue_json(i) for i in issues]
    if not listed:
        listed = [{"severity": "information", "code": "informational", "diagnostics": "No issues."}]
    return {"resourceType": "OperationOutcome", "issue": listed}
