"""The clinical rules that are settings rather than definitions: freshness windows (contract §2)
and the bleeding-risk thresholds of the procedure check (contract §5, SIR 2019 consensus).

Defaults are the contract's; every surface (``score``, ``sync``, ``serve``, ``batch``) reads the
same overrides from the environment through :func:`rules_from`, so one deployment applies one set
of rules whichever way a patient is scored. Every value here is a number a local guideline may set
differently; nothing here changes a score, only whether an input counts as current and whether an
order meets the bleeding-risk criterion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta

from adapter.errors import ConfigurationError

__all__ = ["RULE_VARIABLES", "Rules", "Windows", "rules_from"]


@dataclass(frozen=True, slots=True)
class Windows:
    """How old an input may be, in days, before the output names it as dated."""

    performance: int = 14  # Karnofsky, ECOG
    palsy: int = 14  # Frankel grade, AIS
    sins: int = 30  # the five SINS findings
    compression: int = 30  # Bilsky epidural spinal cord compression grade
    labs: int = 30  # INR, platelets, serum albumin
    staging: int = 90  # visceral, major-organ, extent, counts, primary growth and site

    def of(self, kind: str) -> timedelta:
        return timedelta(days=getattr(self, kind))


@dataclass(frozen=True, slots=True)
class Rules:
    windows: Windows = field(default_factory=Windows)
    inr_max: float = 1.5
    platelets_min_augmentation: float = 50.0  # × 10⁹/L, vertebroplasty and kyphoplasty
    platelets_min_fixation: float = 100.0  # × 10⁹/L, pedicle screw fixation


# (variable, attribute of Rules, lowest, highest): the bounds refuse typos such as a window in
# hours or platelets in cells/µL, not local choices.
_PREFIX = "SPINEMETS_"
_WINDOW_BOUNDS = (1, 3650)
_NUMBERS = (
    ("INR_MAX", "inr_max", 1.0, 5.0),
    ("PLATELETS_MIN_AUGMENTATION", "platelets_min_augmentation", 1.0, 1000.0),
    ("PLATELETS_MIN_FIXATION", "platelets_min_fixation", 1.0, 1000.0),
)
RULE_VARIABLES: tuple[str, ...] = (
    *(f"{_PREFIX}WINDOW_{f.name.upper()}_DAYS" for f in fields(Windows)),
    *(f"{_PREFIX}{name}" for name, *_ in _NUMBERS),
)


def _number(env: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # NaN fails too
        raise ConfigurationError(f"{name} must be a number from {low:g} to {high:g}")
    return value


def rules_from(env: Mapping[str, str]) -> Rules:
    """The contract's rules with the overrides set in ``env`` (``SPINEMETS_WINDOW_<KIND>_DAYS``,
    ``SPINEMETS_INR_MAX``, ``SPINEMETS_PLATELETS_MIN_AUGMENTATION``,
    ``SPINEMETS_PLATELETS_MIN_FIXATION``); an unusable value is a :class:`ConfigurationError`
    naming the variable."""
    windows: dict[str, int] = {}
    for f in fields(Windows):
        name = f"{_PREFIX}WINDOW_{f.name.upper()}_DAYS"
        days = _number(env, name, *_WINDOW_BOUNDS)
        if days is not None:
            if days != int(days):
                raise ConfigurationError(f"{name} must be a whole number of days")
            windows[f.name] = int(days)
    numbers: dict[str, float] = {}
    for name, attribute, low, high in _NUMBERS:
        value = _number(env, _PREFIX + name, low, high)
        if value is not None:
            numbers[attribute] = value
    return replace(Rules(), windows=replace(Windows(), **windows), **numbers)
