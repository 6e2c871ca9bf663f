"""Observations → findings: status filter, validation, level attachment, the latest that counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeVar

from adapter.fhir.read.issues import Issue
from adapter.fhir.read.records import Coding, ObservationRecord
from adapter.mapping.context import Context
from adapter.mapping.evidence import Basis
from adapter.mapping.findings import (
    COUNT_FINDINGS,
    FINDING,
    FINDING_ANSWERS,
    SINS_FINDINGS,
    Chosen,
    choose_latest,
    read_answer,
)
from adapter.mapping.outcomes import OUTCOME_LOINC
from adapter.mapping.sites import resolve_site
from adapter.mapping.terminology import LOINC
from adapter.scoring import (
    KPS_VALUES,
    Frankel,
    Possible,
)

__all__ = [
    "CURRENT_OBSERVATION",
    "ECOG",
    "ECOG_KPS",
    "KARNOFSKY",
    "Findings",
    "describe",
    "enum_input",
    "finding_key",
    "pick",
    "pick_enum",
    "read_findings",
    "read_observation",
]

KARNOFSKY = "89243-0"
ECOG = "89247-1"
# LOINC answer list LL529-9 (ECOG performance status).
_ECOG_ANSWERS = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4}
# ECOG → KPS (Oken et al. 1982 / common oncology practice), as scores.md gives it.
ECOG_KPS = {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20)}
# Karnofsky and ECOG feed the scores; pain and Barthel the outcomes (contract §6).
_READ_LOINC = frozenset({KARNOFSKY, ECOG, *OUTCOME_LOINC})
CURRENT_OBSERVATION = frozenset({"final", "amended", "corrected"})
_EXCLUDED_VERIFICATION = frozenset({"entered-in-error", "refuted"})
_CURRENT_CLINICAL = frozenset({"active", "recurrence", "relapse"})

E = TypeVar("E", bound=Enum)


def read_observation(codes: tuple[Coding, ...]) -> bool:
    """Whether an Observation with these codes feeds a score or an outcome (the rest are not
    parsed)."""
    return any(c.system == FINDING or (c.system == LOINC and c.code in _READ_LOINC) for c in codes)


@dataclass(slots=True)
class Findings:
    """Valid current findings by finding code, with the levels each applies to."""

    values: dict[str, list[tuple[ObservationRecord, Enum | int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    levels: dict[str, frozenset[str] | None] = field(default_factory=dict)  # obs ref → levels
    kps: list[tuple[ObservationRecord, int]] = field(default_factory=list)
    ecog: list[tuple[ObservationRecord, int]] = field(default_factory=list)


def _finding_code(obs: ObservationRecord) -> str | None:
    for coding in obs.codes:
        if coding.system == FINDING and (
            coding.code in FINDING_ANSWERS or coding.code in COUNT_FINDINGS
        ):
            return coding.code
    return None


def _loinc(obs: ObservationRecord) -> str | None:
    for coding in obs.codes:
        if coding.system == LOINC and coding.code in (KARNOFSKY, ECOG):
            return coding.code
    return None


def _performance(ctx: Context, obs: ObservationRecord, code: str, found: Findings) -> None:
    value = obs.value_number
    ref = obs.ref.reference
    if code == KARNOFSKY:
        if value is None or value != int(value) or int(value) not in KPS_VALUES:
            shown = "no value" if value is None else f"{value:g}"
            ctx.invalid(ref, f"{ref}: Karnofsky {shown} is not 10–100 in steps of 10")
            return
        found.kps.append((obs, int(value)))
        return
    if value is None:
        value = next(
            (_ECOG_ANSWERS[c.code] for c in obs.value_codes if c.code in _ECOG_ANSWERS), None
        )
    if value is None or value != int(value) or int(value) not in ECOG_KPS:
        shown = "no value" if value is None else f"{value:g}"
        ctx.invalid(ref, f"{ref}: ECOG {shown} is not a performance grade 0–4")
        return
    found.ecog.append((obs, int(value)))


def _finding_levels(
    ctx: Context, obs: ObservationRecord, lesion_levels: dict[str, frozenset[str]]
) -> frozenset[str] | str | None:
    """Levels a finding belongs to; None for "every level"; a string when it is invalid."""
    if obs.body_sites:
        sites = [resolve_site(c, ctx.term) for c in obs.body_sites]
        bad = [s for s in sites if s.kind == "invalid"]
        if bad:
            return bad[0].label
        return frozenset(s.level for s in sites if s.level is not None)
    levels: set[str] = set()
    for focus in obs.focus:
        levels |= lesion_levels.get(focus, frozenset())
    return frozenset(levels) if obs.focus else None


def read_findings(
    ctx: Context,
    observations: Iterable[ObservationRecord],
    lesion_levels: dict[str, frozenset[str]],
) -> Findings:
    found = Findings()
    for obs in observations:
        if obs.status not in CURRENT_OBSERVATION:
            continue
        performance = _loinc(obs)
        if performance is not None:
            _performance(ctx, obs, performance, found)
            continue
        code = _finding_code(obs)
        if code is None:
            continue
        ref = obs.ref.reference
        answer = read_answer(code, obs)
        if isinstance(answer, str):
            ctx.invalid(ref, f"{ref}: {answer}")
            continue
        levels = _finding_levels(ctx, obs, lesion_levels)
        if isinstance(levels, str):
            ctx.invalid(ref, f"{ref}: {levels}")
            continue
        if code in SINS_FINDINGS and levels is not None and not levels:
            ctx.issues.append(
                Issue("warning", "not-supported",
                      f"{ref}: its body site names no spinal level, so it applies to none.", ref)
            )  # fmt: skip
        found.values[code].append((obs, answer))
        found.levels[finding_key(obs)] = levels
    return found


def finding_key(obs: ObservationRecord) -> str:
    return obs.ref.reference or str(id(obs))


def describe(value: object) -> str:
    if isinstance(value, Frankel):
        return f"Frankel {value.value}"
    return value.value if isinstance(value, Enum) else str(value)


def enum_input(
    chosen: Chosen[Enum] | None, enum: type[E], settle: str | None
) -> tuple[Possible[E], Basis]:

    if chosen is None:
        return Possible.unknown(enum), Basis(settle=settle)
    values = frozenset(v for v in chosen.values if isinstance(v, enum))
    caveats = (chosen.conflict,) if chosen.conflict else ()
    settles = settle if chosen.conflict else None
    return Possible(values), Basis(chosen.evidence, (), settles, caveats)


def pick(found: Findings, code: str, at: str | None = None) -> Chosen[Enum | int] | None:
    """Latest finding of a code; at a level, that level's own findings beat level-less ones."""
    items = found.values.get(code, [])
    if at is not None and items:
        levels = found.levels
        own = [it for it in items if at in (levels[finding_key(it[0])] or ())]
        items = own or [it for it in items if levels[finding_key(it[0])] is None]
    return choose_latest(items, code, describe)


def pick_enum(found: Findings, code: str, at: str | None = None) -> Chosen[Enum] | None:
    chosen = pick(found, code, at)
    if chosen is None:
        return None
    values = frozenset(v for v in chosen.values if isinstance(v, Enum))
    return Chosen(values, chosen.evidence, chosen.conflict)
