"""Where a tumour is recorded, for criterion 2 (contract §5) and the concerns: every level a
metastasis is recorded at, and what to say at a level where none is.

A bone-metastasis Condition without a bodySite may be at any level (contract §2, spinal levels):
at a level without its own metastasis the criterion is then unknown, and the order's summary asks
for that metastasis's level rather than saying that no spinal metastasis is recorded. One whose
bodySite names a spinal region ("lumbar spine", "bone structure of lumbar vertebra") but no
vertebra may be at any level of that region — the map's targets for the region code — and so
leaves the criterion unknown there; it cannot be at a level outside its region, where the
criterion is judged as if it were not there, and the summary names it beside the levels recorded.
A spinal site the mappings give no levels (the sacrum, a vertebral body) may be at any level.
"""

from __future__ import annotations

from collections.abc import Sequence
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


def _cited(lesions: Sequence[Staged], *, region: bool = False) -> str:
    """The metastases as evidence; by region, each with the region its bodySite names."""
    out = []
    for lesion in lesions:
        said = condition_evidence(lesion.condition, "bone metastasis").said
        regions = [s.label for s in lesion.sites if s.kind == "spinal"] if region else []
        out.append(f"{said} ({'; '.join(regions)})" if regions else said)
    return "; ".join(out)


def _may_be_at(lesion: Staged, level: str) -> bool:
    """Whether a metastasis known by spinal region may be at ``level``: a region of levels that
    holds it, or a spinal site the mappings give no levels (never guessed)."""
    return any(s.kind == "spinal" and (not s.within or level in s.within) for s in lesion.sites)


def _spans(lesions: Sequence[Staged]) -> str:
    """The regions' levels, "T1–T12", each once."""
    spans = []
    for lesion in lesions:
        for site in lesion.sites:
            if site.kind == "spinal" and site.within:
                levels = sorted(site.within, key=level_order)
                spans.append(f"{levels[0]}–{levels[-1]}")
    return ", ".join(dict.fromkeys(spans))


def _not_here(level: str, named: list[str], beyond: Sequence[Staged]) -> Absent:
    """No metastasis there, and none recorded without a level or by a region that holds it; a
    metastasis known by a region elsewhere is named, never counted here."""
    basis = f"no metastasis is recorded at {level}"
    if not beyond:
        where = named[0] if named else "no spinal metastasis recorded"
    else:
        count = "one" if len(beyond) == 1 else str(len(beyond))
        regional = f"{count} recorded by region only, {_spans(beyond)}"
        where = f"{named[0]}, and {regional}" if named else f"metastases: {regional}"
        basis += f"; a bone metastasis recorded by a spinal region that does not hold {level}: "
        basis += _cited(beyond, region=True)
    basis += f"; {named[0]}" if named else ""  # where they are, as the line says it
    finding = f"No metastasis recorded at {level} ({where}) — check the level"
    return Absent(False, basis, "check the level ordered", finding)


def absent_metastasis(level: str, result: PatientResult) -> Absent:
    """What criterion 2 says at a level where no metastasis is recorded."""
    levels = metastasis_levels(result)
    safety = result.assessment.safety
    unsited = safety.unsited_lesions
    regional = [lesion for lesion in safety.regional_lesions if _may_be_at(lesion, level)]
    beyond = [lesion for lesion in safety.regional_lesions if not _may_be_at(lesion, level)]
    named = [f"metastases: {', '.join(levels)}"] if levels else []
    if not unsited and not regional:
        return _not_here(level, named, beyond)
    # A metastasis without a level, or known only by a spinal region that holds this level, may
    # be the one at this level: unknown, never met nor unmet.
    why = [f"{_UNSITED}: {_cited(unsited)}"] if unsited else []
    why += [f"{_REGION}: {_cited(regional, region=True)}"] if regional else []
    others = ["one without a level"] if unsited else []
    others += ["one recorded by region only"] if regional else []
    alone = _UNSITED if unsited else _REGION
    where = f"{named[0]}, and {' and '.join(others)}" if named else alone
    return Absent(
        True,
        f"no metastasis is recorded at {level}; {'; '.join([*why, *named])}",
        "record the bone metastasis's level (bodySite), then check the level",
        f"No metastasis recorded at {level} ({where}) — record its level (bodySite)",
    )
