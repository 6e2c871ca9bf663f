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
    "complex_transition",
    "conditional",
    "delay",
    "distributed",
    "encounter",
    "encounter_end",
    "on_or_after",
    "onset",
    "procedure",
    "set_attribute",
]

State = dict[str, Any]
Weighted = Sequence[tuple[str, float]]  # (next state, probability)

# Synthea maps these names to FHIR system URLs; any other system string is exported unchanged.
ICD10CM = "ICD10-CM"
SNOMED = "SNOMED-CT"
LOINC = "LOINC"


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


def delay(low: float, high: float, unit: str, then: str) -> State:
    """Wait a time drawn uniformly from [low, high] ``unit``."""
    return {
        "type": "Delay",
        "range": {"low": low, "high": high, "unit": unit},
        "direct_transition": then,
    }


def encounter(encounter_class: str, coding: dict[str, str], then: str) -> State:
    return {
        "type": "Encounter",
        "encounter_class": encounter_class,
        "codes": [coding],
        "direct_transition": then,
    }


def encounter_end(then: str) -> State:
    return {"type": "EncounterEnd", "direct_transition": then}


def set_attribute(attribute: str, value: str, then: str) -> State:
    return {
        "type": "SetAttribute",
        "attribute": attribute,
        "value": value,
        "direct_transition": then,
    }


def onset(coding: dict[str, str], then: str, *, assign: str | None = None) -> State:
    """A Condition, diagnosed now (in the current encounter)."""
    state: State = {"type": "ConditionOnset", "codes": [coding], "direct_transition": then}
    if assign:
        state["assign_to_attribute"] = assign
    return state


def procedure(
    coding: dict[str, str],
    then: str,
    *,
    reason: str | None = None,
    minutes: tuple[int, int] | None = None,
) -> State:
    state: State = {"type": "Procedure", "codes": [coding], "direct_transition": then}
    if reason:
        state["reason"] = reason
    if minutes:
        state["duration"] = {"low": minutes[0], "high": minutes[1], "unit": "minutes"}
    return state


def conditional(*branches: tuple[dict[str, Any] | None, str]) -> list[dict[str, Any]]:
    """A conditional transition: the first branch whose condition holds; None always holds."""
    return [
        {"transition": to} if cond is None else {"condition": cond, "transition": to}
        for cond, to in branches
    ]
