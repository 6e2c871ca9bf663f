"""Where a tumour is recorded, for criterion 2 (contract §5) and the concerns: every level a
metastasis is recorded at, and what to say at a level where none is.

A bone-metastasis Condition without a bodySite may be at any level (contract §2, spinal levels):
at a level without its own metastasis the criterion is then unknown, and the order's summary asks
for that metastasis's level rather than saying that no spinal metastasis is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.mapping.context import condition_evidence
from adapter.pipeline import PatientResult
from adapter.scoring import LEVELS, level_order

__all__ = ["Absent", "absent_metastasis", "metastasis_levels"]

_UNSITED = "a bone metastasis is recorded without a level"


@dataclass(frozen=True, slots=True)
class Absent:
    """No metastasis at the level: whether one without a level may be there, and the words."""

    unsited: bool  # a bone metastasis without a level may be this one: unknown, not unmet
    basis: str
    action: str
    finding: str


def metastasis_levels(result: PatientResult) -> list[str]:
    """Every level a metastasis is recorded at, scored or not, in anatomical order."""
    levels = {lv.level for lv in result.levels} | {
        lv for lv, _ in result.assessment.unscored if lv in LEVELS
    }
    return sorted(levels, key=level_order)


def absent_metastasis(level: str, result: PatientResult) -> Absent:
    """What criterion 2 says at a level where no metastasis is recorded."""
    levels = metastasis_levels(result)
    unsited = result.assessment.safety.unsited_lesions
    named = [f"metastases: {', '.join(levels)}"] if levels else []
    basis = f"no metastasis is recorded at {level}"
    if not unsited:
        where = named[0] if named else "no spinal metastasis recorded"
        finding = f"No metastasis recorded at {level} ({where}) — check the level"
        return Absent(False, basis, "check the level ordered", finding)
    cited = "; ".join(condition_evidence(s.condition, "bone metastasis").said for s in unsited)
    where = f"{named[0]}, and one without a level" if named else _UNSITED
    return Absent(
        True,
        f"{basis}; {_UNSITED}: {cited}",
        "record the bone metastasis's level (bodySite), then check the level",
        f"No metastasis recorded at {level} ({where}) — record its level (bodySite)",
    )
