"""Small builders for Synthea Generic Module Framework (GMF 2) JSON.

Only what the spinal-metastasis module uses. Field names are GMF's (snake_case); each builder
returns a plain dict ready for ``json.dumps``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "State",
    "Weighted",
    "attr_in",
    "attr_is",
    "attr_set",
    "code",
    "complex_transition",
    "distributed",
    "on_or_after",
]

State = dict[str, Any]
Weighted = Sequence[tuple[str, float]]  # (next state, probability)

# Synthea maps these names to FHIR system URLs; any other system string is exported unchanged.
ICD10CM = "ICD10-CM"
SNOMED = "SNOMED-CT"
LOINC = "LOINC"


def code(system: str, value: str, display: str) -> dict[str, str]:
    return {"system": system, "code": value, "display": display}


def distributed(options: Weighted) -> list[dict[str, Any]]:
    """A distributed transition; probabilities must sum to 1 (checked: Synthea would not)."""
    total = sum(p for _, p in options)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"probabilities sum to {total}, not 1: {options}")
    return [{"distribution": round(p, 6), "transition": to} for to, p in options]


def complex_transition(
    branches: Iterable[tuple[dict[str, Any] | None, Weighted]],
) -> list[dict[str, Any]]:
    """Conditional branches, each with its own distribution; a None condition is the fallback."""
    out = []
    for condition, options in branches:
        branch: dict[str, Any] = {"distributions": distributed(options)}
        if condition is not None:
            branch["condition"] = condition
        out.append(branch)
    return out


def attr_is(attribute: str, value: str) -> dict[str, Any]:
    return {"condition_type": "Attribute", "attribute": attribute, "operator": "==", "value": value}


def attr_set(attribute: str) -> dict[str, Any]:
    return {"condition_type": "Attribute", "attribute": attribute, "operator": "is not nil"}


def attr_in(attribute: str, values: Iterable[str]) -> dict[str, Any]:
    return {"condition_type": "Or", "conditions": [attr_is(attribute, v) for v in values]}


def on_or_after(year: int, month: int, day: int) -> dict[str, Any]:
    moment = {"year": year, "month": month, "day": day, "hour": 0, "minute": 0, "second": 0}
    return {"condition_type": "Date", "operator": ">=", "date": {**moment, "millisecond": 0}}
