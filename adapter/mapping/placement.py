"""Findings at a level: a level's own finding wins; one recorded without a level applies only
where that is safe (contract §2, findings without a level).

With one scored level, a finding without a level applies to it. With several, it applies to
every level only when its answer states an absence that holds for the whole spine (pain-free,
normal alignment, collapse none, posterolateral none); any other answer does not say which level
it belongs to, so it is not used at a level without a finding of its own. The Bilsky grade is
safety-first instead: without a level, grades 2–3 count at every level, 0–1c only with one level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

from adapter.fhir.read.evidence import Basis
from adapter.mapping.compression import PRELIMINARY
from adapter.mapping.findings import Bilsky, Chosen, Finding, choose_latest
from adapter.mapping.observations import Findings
from adapter.scoring import Alignment, Collapse, Pain, Posterolateral
from adapter.vocabulary.findings import (
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    POSTEROLATERAL_INVOLVEMENT,
    SPINAL_ALIGNMENT,
    SPINAL_PAIN,
    VERTEBRAL_BODY_COLLAPSE,
)

__all__ = [
    "FRACTURED_SINCE",
    "FRACTURE_SETTLES",
    "PLACE_IT",
    "Placed",
    "bilsky_at",
    "finding_at",
    "fracture_after",
    "fracture_unplaced",
    "fractured_since",
    "preliminary",
    "to_confirm",
    "unplaced",
]

PLACE_IT = "record the level (bodySite) of the finding"
# What settles a finding older than a vertebral fracture coded at its level, or at none: by
# whether the fracture is known to be after the finding, and whether it has a level.
FRACTURE_SETTLES: dict[tuple[bool, bool], str] = {
    (True, False): "re-image the level: a vertebral fracture is coded since the finding",
    (False, False): (
        "re-image the level: a vertebral fracture is coded, not known to be older than the finding"
    ),
    (True, True): (
        "re-image the level, or record the fracture's level: a vertebral fracture with no level "
        "is coded since the finding"
    ),
    (False, True): (
        "re-image the level, or record the fracture's level: a vertebral fracture with no level "
        "is coded, not known to be older than the finding"
    ),
}
FRACTURED_SINCE = FRACTURE_SETTLES[True, False]


def to_confirm(chosen: Chosen[object]) -> str:
    """What settles a component that only a preliminary report records: "preliminary report —
    confirm: Vertebral body collapse: More than 50% collapse (30 May 2024)"."""
    return f"{PRELIMINARY}: {'; '.join(ev.said for ev in chosen.evidence)}"


def preliminary(basis: Basis) -> bool:
    """Whether a component is missing though a preliminary report records it (contract §2: not
    scored): the report is what to confirm, not a finding to record."""
    return basis.settle is not None and basis.settle.startswith(PRELIMINARY)


def fractured_since(basis: Basis) -> bool:
    """Whether a component was widened because a vertebral fracture is coded since its finding
    (or not known to be older): imaging is what settles it, not a conflict between findings."""
    return basis.settle in _SETTLES


def fracture_unplaced(basis: Basis) -> bool:
    """With :func:`fractured_since`: every such fracture has no level (recording it may settle)."""
    return basis.settle in (FRACTURE_SETTLES[True, True], FRACTURE_SETTLES[False, True])


def fracture_after(basis: Basis) -> bool:
    """With :func:`fractured_since`: every such fracture is known to follow the finding."""
    return basis.settle in (FRACTURE_SETTLES[True, True], FRACTURE_SETTLES[True, False])


_SETTLES = frozenset(FRACTURE_SETTLES.values())


def unplaced(basis: Basis) -> bool:
    """Whether a component is missing only because its finding has no level that says it is
    this one (contract §2): it was recorded, and its level is what to record."""
    return basis.settle == PLACE_IT


_WHOLE_SPINE_ABSENCE: Mapping[str, frozenset[Enum]] = {
    SPINAL_PAIN: frozenset({Pain.PAIN_FREE}),
    SPINAL_ALIGNMENT: frozenset({Alignment.NORMAL}),
    VERTEBRAL_BODY_COLLAPSE: frozenset({Collapse.NONE}),
    POSTEROLATERAL_INVOLVEMENT: frozenset({Posterolateral.NONE}),
}


@dataclass(frozen=True, slots=True)
class Placed:
    """What counts at a level: the chosen finding(s), or why a level-less one does not apply."""

    chosen: Chosen[Enum | int] | None
    not_applied: str | None = None


def _own_or_loose(found: Findings, code: str, level: str) -> tuple[Chosen[Enum | int] | None, bool]:
    """The latest of the level's own findings (True), else of those without a level (False),
    whose evidence then says "level not recorded" wherever it is shown (contract §4 v3)."""
    items: list[Finding[Enum | int]] = found.coded.get(code, [])
    own = [f for f in items if f.levels and level in f.levels]
    if own:
        return choose_latest(own, code), True
    loose = choose_latest([f for f in items if f.levels is None], code)
    if loose is None:
        return None, False
    marked = tuple(
        replace(ev, shown=f"{ev.shown or ev.summary}, level not recorded") for ev in loose.evidence
    )
    return Chosen(loose.values, marked, loose.conflict), False


def finding_at(found: Findings, code: str, level: str, levels: int) -> Placed:
    """The SINS finding that counts at ``level`` of a patient with ``levels`` scored levels."""
    chosen, own = _own_or_loose(found, code, level)
    if chosen is None or own or levels == 1:
        return Placed(chosen)
    if chosen.values <= _WHOLE_SPINE_ABSENCE.get(code, frozenset()):
        return Placed(chosen)
    cited = "; ".join(ev.cited for ev in chosen.evidence)
    return Placed(
        None,
        f"{cited}: without a level, it does not say which of the {levels} levels it belongs "
        f"to: not used at {level}.",
    )


def bilsky_at(found: Findings, level: str, levels: int) -> Chosen[Bilsky] | None:
    """The Bilsky grade at a level: its own latest, else a level-less high grade (or any
    level-less grade when the patient has one scored level)."""
    chosen, own = _own_or_loose(found, EPIDURAL_SPINAL_CORD_COMPRESSION, level)
    if chosen is None:
        return None
    grades = Chosen(
        frozenset(v for v in chosen.values if isinstance(v, Bilsky)),
        chosen.evidence,
        chosen.conflict,
    )
    if own or levels == 1 or any(g.high_grade for g in grades.values):
        return grades
    return None
