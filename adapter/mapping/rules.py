"""The clinical rules that are settings rather than definitions: freshness windows (contract §2),
the bleeding-risk thresholds of the procedure check (contract §5, SIR 2019 consensus) and how long
a Bilsky grade recorded before a decompression is shown as info, then as "re-image due"
(contract §5 v3).

Defaults are the contract's, and with their bounds they are fields of the one settings model
(:class:`adapter.settings.clinical.RuleFields`); every surface (``score``, ``cohort``, ``batch``,
``sync``, ``serve``, the SMART app, ``$populate``) takes them from that model through
:func:`rules_of`, so one deployment applies one set of rules whichever way a patient is scored.
Every value here is a number a local guideline may set differently; nothing here changes a score,
only whether an input counts as current and whether an order meets the bleeding-risk criterion.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import timedelta

from adapter.mapping.findings import COUNT_FINDINGS, SINS_FINDINGS
from adapter.settings import variable
from adapter.settings.clinical import RuleFields
from adapter.vocabulary.findings import (
    AMBULATORY_STATUS,
    ASIA_IMPAIRMENT_SCALE,
    BONE_METASTASIS_EXTENT,
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    FRANKEL_GRADE,
    MAJOR_ORGAN_METASTASES,
    PATHOLOGICAL_FRACTURE,
    RADIOSENSITIVITY,
    SPINAL_STABILITY,
    SURGERY_TOLERANCE,
    TOKUHASHI_PRIMARY_SITE,
    TOMITA_PRIMARY_GROWTH,
    VISCERAL_METASTASES,
    WHOLE_SPINE_ESCC,
)

__all__ = ["DEFAULT_RULES", "FINDING_WINDOW", "RULE_VARIABLES", "Rules", "Windows", "rules_of"]

_DEFAULT = RuleFields()


@dataclass(frozen=True, slots=True)
class Windows:
    """How old an input may be, in days, before the output names it as dated."""

    performance: int = _DEFAULT.window_performance_days  # Karnofsky, ECOG
    palsy: int = _DEFAULT.window_palsy_days  # Frankel grade, AIS
    sins: int = _DEFAULT.window_sins_days  # the five SINS findings
    compression: int = _DEFAULT.window_compression_days  # Bilsky grade
    labs: int = _DEFAULT.window_labs_days  # INR, platelets
    staging: int = _DEFAULT.window_staging_days  # visceral, major-organ, extent, counts, primary
    albumin: int = _DEFAULT.window_albumin_days  # serum albumin for NESMS (UNCONFIRMED)
    # Each window as a timedelta, made once: every input read is dated against one.
    _limits: dict[str, timedelta] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        limits = {f.name: timedelta(days=getattr(self, f.name)) for f in fields(self) if f.init}
        object.__setattr__(self, "_limits", limits)

    def of(self, kind: str) -> timedelta:
        return self._limits[kind]


# The freshness window (a field of Windows) each finding is dated by (contract §2).
FINDING_WINDOW: dict[str, str] = {
    **dict.fromkeys(SINS_FINDINGS, "sins"),
    EPIDURAL_SPINAL_CORD_COMPRESSION: "compression",
    WHOLE_SPINE_ESCC: "compression",
    FRANKEL_GRADE: "palsy",
    ASIA_IMPAIRMENT_SCALE: "palsy",
    # Walking changes with the palsy; fitness for surgery with the performance status;
    # stability with the SINS findings; a fracture and the histology are staging facts.
    AMBULATORY_STATUS: "palsy",
    SURGERY_TOLERANCE: "performance",
    SPINAL_STABILITY: "sins",
    PATHOLOGICAL_FRACTURE: "staging",
    RADIOSENSITIVITY: "staging",
    **dict.fromkeys(
        (
            VISCERAL_METASTASES,
            MAJOR_ORGAN_METASTASES,
            BONE_METASTASIS_EXTENT,
            TOMITA_PRIMARY_GROWTH,
            TOKUHASHI_PRIMARY_SITE,
            *COUNT_FINDINGS,
        ),
        "staging",
    ),
}


@dataclass(frozen=True, slots=True)
class Rules:
    windows: Windows = field(default_factory=Windows)
    inr_max: float = _DEFAULT.inr_max
    platelets_min_augmentation: float = _DEFAULT.platelets_min_augmentation  # × 10⁹/L
    platelets_min_fixation: float = _DEFAULT.platelets_min_fixation  # × 10⁹/L
    # Days after a decompression until a grade recorded before it is "re-image due" (a warning),
    # and until it is only listed.
    reimage_from_days: int = _DEFAULT.reimage_from_days
    reimage_until_days: int = _DEFAULT.reimage_until_days


# The rules when a deployment sets none: the one default every layer falls back to.
DEFAULT_RULES = Rules()

RULE_VARIABLES: tuple[str, ...] = tuple(variable(name) for name in RuleFields.model_fields)


def rules_of(settings: RuleFields) -> Rules:
    """The rules these settings give (already checked: the model holds every bound)."""
    kinds = [f.name for f in fields(Windows) if f.init]
    windows = {kind: getattr(settings, f"window_{kind}_days") for kind in kinds}
    names = [f.name for f in fields(Rules) if f.name != "windows"]
    numbers = {name: getattr(settings, name) for name in names}
    return replace(Rules(), windows=Windows(**windows), **numbers)
