"""The clinical rules that are settings rather than definitions: freshness windows (contract §2)
and the bleeding-risk thresholds of the procedure check (contract §5, SIR 2019 consensus).

Defaults are the contract's; the surfaces may override them (environment or options). Every
value here is a number a local guideline may set differently; nothing here changes a score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

__all__ = ["Rules", "Windows"]


@dataclass(frozen=True, slots=True)
class Windows:
    """How old an input may be, in days, before the output names it as dated."""

    performance: int = 14  # Karnofsky, ECOG
    palsy: int = 14  # Frankel grade, AIS
    sins: int = 30  # the five SINS findings
    compression: int = 30  # Bilsky epidural spinal cord compression grade
    labs: int = 30  # INR, platelets
    staging: int = 90  # visceral, major-organ, extent, counts, primary growth and site

    def of(self, kind: str) -> timedelta:
        return timedelta(days=getattr(self, kind))


@dataclass(frozen=True, slots=True)
class Rules:
    windows: Windows = field(default_factory=Windows)
    inr_max: float = 1.5
    platelets_min_augmentation: float = 50.0  # × 10⁹/L, vertebroplasty and kyphoplasty
    platelets_min_fixation: float = 100.0  # × 10⁹/L, pedicle screw fixation
