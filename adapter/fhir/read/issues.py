"""Problems found in the input: each becomes one OperationOutcome issue beside the outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Issue", "IssueType", "Severity"]

Severity = Literal["fatal", "error", "warning", "information"]
# The codes of http://hl7.org/fhir/issue-type that spinemets reports.
IssueType = Literal[
    "structure", "required", "invalid", "not-supported", "business-rule", "informational",
    "duplicate",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem. ``resource`` is the offending resource's reference, if any; ``expression``
    the element inside it (FHIRPath without the type)."""

    severity: Severity
    code: IssueType
    diagnostics: str
    resource: str | None = None
    expression: str | None = None
