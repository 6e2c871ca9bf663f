"""Issues found in the input as an R4 OperationOutcome, written beside the outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapter.fhir.read.issues import Issue
from adapter.fhir.write.narrative import with_narrative

__all__ = ["issue_json", "operation_outcome"]

_SHOWN = 20  # issues repeated in the narrative; the rest are counted


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
    lines = [f"{i['severity']}: {i['diagnostics']}" for i in listed[:_SHOWN]]
    if len(listed) > _SHOWN:
        lines.append(f"and {len(listed) - _SHOWN} more issues")
    return with_narrative({"resourceType": "OperationOutcome", "issue": listed}, lines)
