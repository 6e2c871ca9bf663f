"""Checking output resources against the FHIR R4 models of ``fhir.resources.R4B``.

R4B is structurally identical to R4 for the resources spinemets writes; the package's default
(R5) would accept R4 JSON silently and is banned project-wide.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.fhirresourcemodel import FHIRResourceModel
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.riskassessment import RiskAssessment
from pydantic import ValidationError

from adapter.errors import OutputError

__all__ = ["validate_output", "validate_r4"]

_MODELS: dict[str, type[FHIRResourceModel]] = {
    "Observation": Observation,
    "RiskAssessment": RiskAssessment,
    "Provenance": Provenance,
    "OperationOutcome": OperationOutcome,
    "Bundle": Bundle,
    "AuditEvent": AuditEvent,
}


def validate_r4(resource: dict[str, Any]) -> None:
    """Raise pydantic's ValidationError if the resource is not valid R4 (structure and types)."""
    _MODELS[resource["resourceType"]].model_validate(resource)


def validate_output(resource: dict[str, Any]) -> None:
    """:func:`validate_r4` for an output about to be written: an OutputError naming the
    resource type and the failing elements (never their values, which may be patient data)."""
    try:
        validate_r4(resource)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['type']}"
            for e in exc.errors()[:3]
        )
        raise OutputError(
            f"an output {resource.get('resourceType')} is not valid R4 ({where})"
        ) from None
