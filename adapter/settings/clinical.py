"""Settings every surface shares (``score``, ``batch``, ``sync``, ``serve``): the clinical rules
that are local choices (freshness windows, bleeding-risk thresholds, re-imaging), the limits on
input and where the data directories are.

A blank value counts as unset, as it always has for these: a deployment template may leave one
empty. The bounds refuse typos (a window in hours, platelets in cells/µL), not local choices.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field
from pydantic_core import PydanticUseDefault

__all__ = ["DataFields", "InputFields", "RuleFields"]

MiB = 1024 * 1024
DAYS = (1, 3650)


def _number(low: float, high: float, *, whole: bool = False) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise PydanticUseDefault()
            try:
                value = float(value)
            except ValueError:
                value = math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            value = math.nan
        if not low <= value <= high:  # NaN fails too
            raise ValueError(f"must be a number from {low:g} to {high:g}")
        if whole and value != int(value):
            raise ValueError("must be a whole number of days")
        return int(value) if whole else value

    return BeforeValidator(check)


def _bounded(low: int, high: int) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise PydanticUseDefault()
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError("not a whole number") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("not a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return BeforeValidator(check)


def _blank_is_unset(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise PydanticUseDefault()
    return value.strip() if isinstance(value, str) else value


Days = Annotated[int, _number(*DAYS, whole=True)]
Blank = BeforeValidator(_blank_is_unset)


def _window(default: int, what: str) -> Any:
    return Field(default=default, description=f"days before {what} counts as dated (1–3650)")


class RuleFields(BaseModel):
    """Freshness windows (contract §2), bleeding-risk thresholds (contract §5), re-imaging."""

    window_performance_days: Days = _window(14, "a Karnofsky or ECOG finding")
    window_palsy_days: Days = _window(14, "a Frankel grade or AIS")
    window_sins_days: Days = _window(30, "a SINS finding")
    window_compression_days: Days = _window(30, "a Bilsky grade")
    window_labs_days: Days = _window(30, "an INR or platelet count")
    window_staging_days: Days = _window(
        90, "a staging finding (visceral and major-organ metastases, extent, counts, primary)"
    )
    window_albumin_days: Days = _window(30, "a serum albumin (NESMS; 30 days is UNCONFIRMED)")
    inr_max: Annotated[float, _number(1.0, 5.0)] = Field(
        default=1.5, description="criterion 7: the latest INR is at most this (1–5)"
    )
    platelets_min_augmentation: Annotated[float, _number(1.0, 1000.0)] = Field(
        default=50.0,
        description="criterion 7 for vertebroplasty and kyphoplasty: platelets ×10⁹/L (1–1000)",
    )
    platelets_min_fixation: Annotated[float, _number(1.0, 1000.0)] = Field(
        default=100.0,
        description="criterion 7 for pedicle screw fixation: platelets ×10⁹/L (1–1000)",
    )
    reimage_from_days: Days = Field(
        default=42,
        description="days after a decompression from which an earlier Bilsky grade is "
        '"re-image due" (1–3650)',
    )
    reimage_until_days: Days = Field(
        default=120,
        description="days after a decompression until which an earlier Bilsky grade is "
        "still named (1–3650, not less than SPINEMETS_REIMAGE_FROM_DAYS)",
    )

    def check_rules(self) -> None:
        """The one rule that relates two settings; ValueError naming the variable."""
        if self.reimage_until_days < self.reimage_from_days:
            raise ValueError(
                "SPINEMETS_REIMAGE_UNTIL_DAYS must not be less than SPINEMETS_REIMAGE_FROM_DAYS"
            )


class InputFields(BaseModel):
    """Limits on what one input may hold, on every surface."""

    max_json_depth: Annotated[int, _bounded(8, 1000)] = Field(
        default=64, description="levels a resource may nest; deeper is invalid (8–1000)"
    )
    max_line_bytes: Annotated[int, _bounded(1024, 2**40)] = Field(
        default=64 * MiB,
        description="bytes of an NDJSON line, or of a JSON document on one line; a longer line "
        "is skipped (1024–2⁴⁰)",
    )


class DataFields(BaseModel):
    """Where the data directories are, and a site's local procedure codes."""

    mappings: Annotated[Path | None, Blank] = Field(
        default=None,
        description="terminology directory; default: the repository's mappings/, else the "
        "copy in the wheel",
    )
    profiles: Annotated[Path | None, Blank] = Field(
        default=None, description="FHIR profiles directory; default as for mappings"
    )
    questionnaires: Annotated[Path | None, Blank] = Field(
        default=None, description="SDC Questionnaire directory; default as for mappings"
    )
    local_procedure_map: Annotated[Path | None, Blank] = Field(
        default=None,
        description="a FHIR ConceptMap from the site's local procedure codes to the "
        "procedure ValueSets (contract §5 v3)",
    )
