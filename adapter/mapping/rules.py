"""The clinical rules that are settings rather than definitions: freshness windows (contract §2),
the bleeding-risk thresholds of the procedure check (contract §5, SIR 2019 consensus) and how long
a Bilsky grade recorded before a decompression is shown as info, then as "re-image due"
(contract §5 v3).

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
from typing import Any

from adapter.errors import ConfigurationError

__all__ = ["DEFAULT_RULES", "RULE_VARIABLES", "Rules", "Windows", "rules_from"]


@dataclass(frozen=True, slots=True)
class Windows:
    """How old an input may be, in days, before the output names it as dated."""

    performance: int = 14  # Karnofsky, ECOG
    palsy: int = 14  # Frankel grade, AIS
    sins: int = 30  # the five SINS findings
    compression: int = 30  # Bilsky epidural spinal cord compression grade
    labs: int = 30  # INR, platelets
    staging: int = 90  # visceral, major-organ, extent, counts, primary growth and site
    albumin: int = 30  # serum albumin for NESMS (scores-more.md: 30 days, UNCONFIRMED)

    def of(self, kind: str) -> timedelta:
        return timedelta(days=getattr(self, kind))


@dataclass(frozen=True, slots=True)
class Rules:
    windows: Windows = field(default_factory=Windows)
    inr_max: float = 1.5
    platelets_min_augmentation: float = 50.0  # × 10⁹/L, vertebroplasty and kyphoplasty
    platelets_min_fixation: float = 100.0  # × 10⁹/L, pedicle screw fixation
    # Days after a decompression until a grade recorded before it is "re-image due" (a warning),
    # and until it is only listed.
    reimage_from_days: int = 42
    reimage_until_days: int = 120


# The rules when a deployment sets none: the one default every layer falls back to.
DEFAULT_RULES = Rules()

# (variable, attribute of Rules, lowest, highest): the bounds refuse typos such as a window in
# hours or platelets in cells/µL, not local choices.
_PREFIX = "SPINEMETS_"
_WINDOW_BOUNDS = (1, 3650)
_NUMBERS = (
    ("INR_MAX", "inr_max", 1.0, 5.0),
    ("PLATELETS_MIN_AUGMENTATION", "platelets_min_augmentation", 1.0, 1000.0),
    ("PLATELETS_MIN_FIXATION", "platelets_min_fixation", 1.0, 1000.0),
)
_DAYS = (("REIMAGE_FROM_DAYS", "reimage_from_days"), ("REIMAGE_UNTIL_DAYS", "reimage_until_days"))
RULE_VARIABLES: tuple[str, ...] = (
    *(f"{_PREFIX}WINDOW_{f.name.upper()}_DAYS" for f in fields(Windows)),
    *(f"{_PREFIX}{name}" for name, *_ in _NUMBERS),
    *(f"{_PREFIX}{name}" for name, _ in _DAYS),
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


def _days(env: Mapping[str, str], name: str) -> int | None:
    days = _number(env, name, *_WINDOW_BOUNDS)
    if days is not None and days != int(days):
        raise ConfigurationError(f"{name} must be a whole number of days")
    return None if days is None else int(days)


def rules_from(env: Mapping[str, str]) -> Rules:
    """The contract's rules with the overrides set in ``env`` (``SPINEMETS_WINDOW_<KIND>_DAYS``,
    ``SPINEMETS_INR_MAX``, ``SPINEMETS_PLATELETS_MIN_AUGMENTATION``,
    ``SPINEMETS_PLATELETS_MIN_FIXATION``, ``SPINEMETS_REIMAGE_FROM_DAYS``,
    ``SPINEMETS_REIMAGE_UNTIL_DAYS``); an unusable value is a :class:`ConfigurationError`
    naming the variable."""
    windows: dict[str, int] = {}
    for f in fields(Windows):
        days = _days(env, f"{_PREFIX}WINDOW_{f.name.upper()}_DAYS")
        if days is not None:
            windows[f.name] = days
    numbers: dict[str, Any] = {}
    for name, attribute, low, high in _NUMBERS:
        value = _number(env, _PREFIX + name, low, high)
        if value is not None:
            numbers[attribute] = value
    for name, attribute in _DAYS:
        days = _days(env, _PREFIX + name)
        if days is not None:
            numbers[attribute] = days
    rules = replace(Rules(), windows=replace(Windows(), **windows), **numbers)
    if rules.reimage_until_days < rules.reimage_from_days:
        raise ConfigurationError(
            f"{_PREFIX}REIMAGE_UNTIL_DAYS must not be less than {_PREFIX}REIMAGE_FROM_DAYS"
        )
    return rules
