"""Where a tumour is recorded, for criterion 2 (contract §5) and the concerns: every level a
metastasis is recorded at, and what to say at a level where none is.

A bone-metastasis Condition without a bodySite may be at any level (contract §2, spinal levels),
and so may one whose bodySite names a spinal region ("lumbar vertebra", "lumbar spine") but no
vertebra (the mappings name no vertebrae for a region): at a level without its own metastasis the
criterion is then unknown, and the order's summary asks for that metastasis's level rather than
saying that no spinal metastasis is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapter.mapping.context import condition_evidence
from adapter.mapping.staging import Staged
from adapter.pipeline import PatientResult
from adapter.scoring import LEVELS, level_order

__all__ = ["Absent", "absent_metastasis", "metastasis_levels"]

_UNSITED = "a bone metastasis is recorded without a level"
_REGION = "a bone metastasis is recorded by spinal region, not vertebra"


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


def _cited(lesions: tuple[Staged, ...], *, region: bool = False) -> str:
    """The metastases as evidence; by region, each with the region its bodySite names."""
    out = []
    for lesion in lesions:
        said = condition_evidence(lesion.condition, "bone metastasis").said
        regions = [s.label for s in lesion.sites if s.kind == "spinal"] if region else []
        out.append(f"{said} ({'; '.join(regions)})" if regions else said)
    return "; ".join(out)


def absent_metastasis(level: str, result: PatientResult) -> Absent:
    """What criterion 2 says at a level where no metastasis is recorded."""
    levels = metastasis_levels(result)
    safety = result.assessment.safety
    unsited, regional = safety.unsited_lesions, safety.regional_lesions
    named = [f"metastases: {', '.join(levels)}"] if levels else []
    basis = f"no metastasis is recorded at {level}"
    if not unsited and not regional:
        where = named[0] if named else "no spinal metastasis recorded"
        finding = f"No metastasis recorded at {level} ({where}) — check the level"
        return Absent(False, basis, "check the level ordered", finding)
    # A metastasis without a level, or known only by its spinal region (the mappings name no
    # vertebrae for a region), may be the one at this level: unknown, never met nor unmet.
    why = [f"{_UNSITED}: {_cited(unsited)}"] if unsited else []
    why += [f"{_REGION}: {_cited(regional, region=True)}"] if regional else []
    others = ["one without a level"] if unsited else []
    others += ["one recorded by region only"] if regional else []
    alone = _UNSITED if unsited else _REGION
    where = f"{named[0]}, and {' and '.join(others)}" if named else alone
    return Absent(
        True,
        f"{basis}; {'; '.join(why)}",
        "record the bone metastasis's level (bodySite), then check the level",
        f"No metastasis recorded at {level} ({where}) — record its level (bodySite)",
    )
