"""Which spinal levels are scored, and what is known about each (contract §2, spinal levels).

The scored levels are the levels of current bone-metastasis Conditions, unconfirmed ones
included (marked so), and of a primary bone-marrow tumour with a vertebral bodySite. A finding
placed at a level where no metastasis is recorded is reported and not used — unless some
bone-metastasis Condition may be there: it has no bodySite, or a spinal one that names no level
and whose region holds that level (the thoracic spine holds T8, never L2); then the level is
scored and marked as known from findings only. A level whose every metastasis Condition is in
remission or inactive is still scored (a treated lesion is still there) and marked "in
remission" (contract §2 v3). SINS does not score the coccyx or a lesion whose level is not named
(no bodySite, or a spinal one that names no level); those are listed with the reason and what
would settle it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from adapter.fhir.read.evidence import Evidence
from adapter.mapping.context import Context, condition_evidence
from adapter.mapping.findings import SINS_FINDINGS, Finding
from adapter.mapping.staging import Lesion, Staging
from adapter.scoring import LEVELS, level_order, location_of
from adapter.vocabulary.cards import shorten
from adapter.vocabulary.findings import EPIDURAL_SPINAL_CORD_COMPRESSION
from adapter.vocabulary.systems import code_label

__all__ = [
    "PLACED_FINDINGS",
    "UNRECORDED",
    "LevelOrigin",
    "LevelPlan",
    "may_be_at",
    "open_levels",
    "plan_levels",
    "unscored_line",
]

LevelOrigin = Literal["confirmed", "unconfirmed", "findings"]
# Findings that name a level: the SINS findings and the epidural compression grade.
PLACED_FINDINGS = (*SINS_FINDINGS, EPIDURAL_SPINAL_CORD_COMPRESSION)
# How the output names the level of a bone metastasis recorded with no bodySite.
UNRECORDED = "an unrecorded level"
_SETTLE = "record its level (bodySite)"
_RANK: dict[LevelOrigin, int] = {"findings": 0, "unconfirmed": 1, "confirmed": 2}


def unscored_line(label: str, reason: str) -> str:
    """How every surface says that SINS is not scored somewhere, and why."""
    return f"SINS not scored at {label}: {reason}."


@dataclass(slots=True)
class LevelPlan:
    origin: dict[str, LevelOrigin] = field(default_factory=dict)  # scored level → origin
    evidence: dict[str, list[Evidence]] = field(default_factory=dict)
    unscored: list[tuple[str, str]] = field(default_factory=list)  # (label, reason)
    active: set[str] = field(default_factory=set)  # levels with a lesion not in remission
    remission: dict[str, list[str]] = field(default_factory=dict)  # level → Conditions
    # Findings at a level where no metastasis is recorded, not used to score a level (level,
    # finding code, finding): the procedure check names those next to an ordered level
    # (perhaps recorded at the wrong one).
    stray: list[tuple[str, str, Evidence]] = field(default_factory=list)
    # The bone metastases recorded without a level that a level scored from findings may be
    # (set by _unplaced): more of them than such levels, and one may be elsewhere.
    absorbed: int = 0

    def in_remission(self, level: str) -> tuple[str, ...]:
        """The Conditions in remission at a level where no other lesion is current; () else."""
        if level in self.active:
            return ()
        return tuple(self.remission.get(level, ()))

    @property
    def levels(self) -> list[str]:
        return sorted(self.origin, key=level_order)

    def note(self, level: str) -> str | None:
        """What the output says about how the level is known, when it is not for certain or
        its lesion is in remission."""
        known = self._known(level)
        remitted = self.in_remission(level)
        if not remitted:
            return known
        remission = (
            f"Level {level}: bone metastasis in remission ({', '.join(remitted)}): still a "
            "lesion (a treated lesion is still there), so the level is scored."
        )
        return f"{known} {remission}" if known else remission

    def _known(self, level: str) -> str | None:
        if self.origin[level] == "unconfirmed":
            return (
                f"Level {level} is known only from an unconfirmed Condition: the lesion may or "
                "may not be there."
            )
        if self.origin[level] == "findings":
            found = [lv for lv, origin in self.origin.items() if origin == "findings"]
            more = ""
            if self.absorbed > len(found):
                # Never another level offered for want of it (one lesion is not scored twice),
                # but a second lesion elsewhere would go unsaid.
                more = (
                    f" {self.absorbed} bone-metastasis Conditions without a level may be at "
                    f"{', '.join(sorted(found, key=level_order))}: if one is at another level, "
                    "record its level (bodySite) in the EHR."
                )
            return (
                f"Level {level} is known from findings only: no metastasis Condition names it, "
                f"and a bone-metastasis Condition without a level may be this lesion.{more}"
            )
        return None

    def add(self, level: str, origin: LevelOrigin, evidence: Evidence | None) -> None:
        """A level is as certain as the most certain record of it."""
        current = self.origin.get(level)
        if current is None or _RANK[origin] > _RANK[current]:
            self.origin[level] = origin
        listed = self.evidence.setdefault(level, [])
        if evidence is not None:
            listed.append(evidence)


def may_be_at(lesion: Lesion, level: str) -> bool:
    """Whether a lesion (or a fracture) recorded without a level may be at ``level``: it has no
    bodySite, or a spinal one that names no level and whose region (if any) holds it."""
    if not lesion.sites:
        return True
    return any(s.kind == "spinal" and (not s.within or level in s.within) for s in lesion.sites)


def open_levels(staging: Staging, plan: LevelPlan) -> tuple[str, ...]:
    """The levels a finding would place a bone metastasis recorded without a level at (it may be
    there: :func:`plan_levels` then scores the level from findings), in anatomical order; () when
    every bone metastasis has its level, or may be at a level findings already place (one lesion
    is not scored twice for want of its level), so a finding at another level is not used."""
    found = [lv for lv, origin in plan.origin.items() if origin == "findings"]
    unplaced = [
        lesion
        for lesion in staging.lesions
        if not lesion.levels and not any(may_be_at(lesion, lv) for lv in found)
    ]
    return tuple(lv for lv in LEVELS if any(may_be_at(lesion, lv) for lesion in unplaced))


def _from_conditions(staging: Staging, plan: LevelPlan) -> None:
    for lesion in staging.lesions:
        cond = lesion.condition
        origin: LevelOrigin = "confirmed" if lesion.confirmed else "unconfirmed"
        for site in lesion.sites:
            if site.kind == "level" and site.level is not None:
                plan.add(site.level, origin, condition_evidence(cond, f"lesion at {site.level}"))
                if lesion.remission:
                    plan.remission.setdefault(site.level, []).append(str(cond.ref.reference))
                else:
                    plan.active.add(site.level)


def _unplaced(staging: Staging, plan: LevelPlan) -> None:
    """The lesions recorded without a level, unless a level scored from findings may be theirs:
    SINS needs the level, and the output says so (snomed-vertebrae.md)."""
    found = [lv for lv, origin in plan.origin.items() if origin == "findings"]
    for lesion in staging.lesions:
        spinal = [s for s in lesion.sites if s.kind == "spinal"]
        placed = lesion.levels or (lesion.sites and not spinal)  # at a level, or extraspinal
        if not placed and any(may_be_at(lesion, lv) for lv in found):
            plan.absorbed += 1
            continue
        if placed:
            continue
        ref = lesion.condition.ref.reference
        for site in spinal:
            why = f"the bone metastasis's bodySite names no spinal level ({ref}) — {_SETTLE}"
            plan.unscored.append((site.name, why))
        cond = lesion.condition
        if not spinal and not lesion.sites and cond.body_sites:
            # Coded, in codes the mappings do not hold: named, never "no bodySite".
            names = (*cond.site_names, *[None] * len(cond.body_sites))
            shown = [
                shorten(name, 60) if name else code_label(c.system, c.code)
                for name, (c, *_) in zip(names, cond.body_sites, strict=False)
            ]
            quoted = ", ".join(f'"{w}"' for w in shown)
            why = f"the bone metastasis's bodySite is not read as a level ({quoted}, {ref}) — "
            plan.unscored.append((UNRECORDED, why + "record its level as a vertebra code"))
        elif not spinal and (words := lesion.condition.uncoded_sites):
            quoted = ", ".join(f'"{shorten(w, 60)}"' for w in words)
            why = f"the bone metastasis's bodySite is in words only ({quoted}, {ref}) — "
            plan.unscored.append((UNRECORDED, why + "record its level as a code (bodySite)"))
        elif not spinal:
            why = f"a bone metastasis with no bodySite ({ref}) — {_SETTLE}"
            plan.unscored.append((UNRECORDED, why))


def plan_levels(
    ctx: Context, staging: Staging, placed: Iterable[tuple[str, Finding[object]]]
) -> LevelPlan:
    """The scored levels; ``placed`` are (finding code, finding) of the findings with a level."""
    plan = LevelPlan()
    _from_conditions(staging, plan)
    unplaced = [lesion for lesion in staging.lesions if not lesion.levels]
    for code, finding in placed:
        for level in sorted(finding.levels or (), key=level_order):
            if level in plan.origin:
                continue
            if any(may_be_at(lesion, level) for lesion in unplaced):
                plan.add(level, "findings", None)
            else:
                ref = finding.obs.ref.reference
                said = Evidence(
                    finding.obs.ref, finding.obs.time, code, finding.dated, finding.shown
                )
                plan.stray.append((level, code, said))
                ctx.warn(
                    ref,
                    f"{ref}: {finding.shown or code} at {level}, where no metastasis is "
                    "recorded: not used to score a level.",
                )
    _unplaced(staging, plan)
    for level in list(plan.origin):
        if location_of(level) is None:
            del plan.origin[level]
            reason = f"SINS does not define a location score for the {level}"
            plan.unscored.append((level, reason))
    return plan
