"""Observations → findings: status and time filters, validation, levels, age (contract §2).

Only final, amended and corrected Observations count; a preliminary palsy or Bilsky grade is kept
apart, for the neurology card and the procedure check only (contract §2 v3), and a preliminary
SINS finding to be named as a report to confirm, never scored. One timed after the
computation time is reported and not used. One older than its freshness window is used and
marked dated. A value that is not valid (a KPS of 45, a KPS in mg, a count of −1) is reported
and left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Literal

from adapter.fhir.read.records import Coding, ObservationRecord
from adapter.mapping.context import Context
from adapter.mapping.displays import finding_code, finding_displayed, observation_named
from adapter.mapping.findings import (
    SINS_FINDINGS,
    Bound,
    Finding,
    Invalid,
    read_answer,
)
from adapter.mapping.rules import FINDING_WINDOW
from adapter.mapping.sites import Site, disputed_level, resolve_site
from adapter.outcomes import OUTCOME_LOINC
from adapter.scoring import KPS_VALUES, level_order
from adapter.vocabulary.findings import (
    ASIA_IMPAIRMENT_SCALE,
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    FRANKEL_GRADE,
)
from adapter.vocabulary.systems import FINDING, LOINC, UCUM

__all__ = [
    "ALBUMIN_LOINC",
    "CURRENT_OBSERVATION",
    "ECOG",
    "ECOG_KPS",
    "KARNOFSKY",
    "LAB_UNITS",
    "PRELIMINARY_FINDINGS",
    "READ_LOINC",
    "Findings",
    "Performance",
    "read_findings",
    "read_observation",
]

KARNOFSKY = "89243-0"
ECOG = "89247-1"
# LOINC answer list LL529-9 (ECOG performance status).
_ECOG_ANSWERS = {
    "LA9622-7": 0,
    "LA9623-5": 1,
    "LA9624-3": 2,
    "LA9625-0": 3,
    "LA9626-8": 4,
    "LA9627-6": 5,  # dead: read so that it is refused as what it says
}
# ECOG 5 and Karnofsky 0 are no performance status (scores.md) but say the patient died: the
# refusal asks for a check, since the Patient resource may not say so.
_DEAD = " — it records death: check the patient's status"
# ECOG → KPS (Oken et al. 1982 / common oncology practice), as docs/scores.md gives it.
ECOG_KPS = {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20)}
# The contract's INR and platelet codes, and the point-of-care INR (46418-0), the INR of
# plasma or blood (38875-1) and the manual platelet count (778-1) of the NLM VSAC value sets;
# serum albumin (contract §1 v3; mappings/ValueSet-serum-albumin.json), for NESMS.
ALBUMIN_LOINC = {"1751-7": "", "61151-7": "bromocresol green", "61152-5": "bromocresol purple"}
_LABS = {
    **dict.fromkeys(("6301-6", "34714-6", "46418-0", "38875-1"), "inr"),
    **dict.fromkeys(("777-3", "26515-7", "778-1"), "platelets"),
    **dict.fromkeys(ALBUMIN_LOINC, "albumin"),
}
# The UCUM unit each lab is computed in; what converts to it, and by what factor, is the data
# of mappings/ConceptMap-ucum-lab-unit-conversion.json (a value without a unit is UCUM "1").
LAB_UNITS: Mapping[str, str] = {"inr": "1", "platelets": "10*9/L", "albumin": "g/L"}
# How card text names a lab value (contract §4 v3: displays, not the adapter's keys).
_LAB_SHOWN: Mapping[str, str] = {"inr": "INR {:g}", "platelets": "platelets {:g} × 10⁹/L"}
_KPS_UNITS = frozenset({None, "%", "{score}"})
CURRENT_OBSERVATION = frozenset({"final", "amended", "corrected"})
# The findings a preliminary report may alarm with (never score with): palsy and Bilsky grade;
# and the SINS findings, which it names as a report to confirm.
PRELIMINARY_FINDINGS = frozenset(
    {FRANKEL_GRADE, ASIA_IMPAIRMENT_SCALE, EPIDURAL_SPINAL_CORD_COMPRESSION, *SINS_FINDINGS}
)
# The LOINC-coded Observations read: Karnofsky, ECOG and the labs feed the scores and the
# procedure check; pain and Barthel the outcomes (contract §6).
READ_LOINC = frozenset({KARNOFSKY, ECOG, *_LABS, *OUTCOME_LOINC})


def read_observation(codes: tuple[Coding, ...]) -> bool:
    """Whether an Observation with these codes feeds a score, a check or an outcome (the rest
    are not parsed)."""
    return any(c.system == FINDING or (c.system == LOINC and c.code in READ_LOINC) for c in codes)


@dataclass(frozen=True, slots=True)
class Performance:
    """A performance status as recorded: Karnofsky (10–100) or ECOG (0–4)."""

    scale: Literal["Karnofsky", "ECOG"]
    value: int


@dataclass(slots=True)
class Findings:
    """Valid, current findings: coded ones by finding code, performance status, labs."""

    coded: dict[str, list[Finding[Enum | int]]] = field(default_factory=lambda: defaultdict(list))
    performance: list[Finding[Performance]] = field(default_factory=list)
    labs: dict[str, list[Finding[float]]] = field(default_factory=lambda: defaultdict(list))
    # Lab Observations that could not be read (a unit that does not convert), by lab: the
    # value is why, in a few words ("unit 'g' not understood").
    unread: dict[str, list[Finding[str]]] = field(default_factory=lambda: defaultdict(list))
    # Preliminary palsy and Bilsky grades and SINS findings, by finding code: never scored
    # (contract §2 v3).
    preliminary: dict[str, list[Finding[Enum | int]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _loinc(obs: ObservationRecord) -> str | None:
    """The LOINC code of a performance status or a lab (outcome measures are read elsewhere)."""
    for coding in obs.codes:
        if coding.system == LOINC and (coding.code in _LABS or coding.code in (KARNOFSKY, ECOG)):
            return coding.code
    return None


def _unit(obs: ObservationRecord) -> str | None:
    """The unit as written, or None; a non-UCUM unit system makes it unreadable ('?')."""
    quantity = obs.quantity
    if quantity is None or quantity.unit is None:
        return None
    if quantity.system not in (None, UCUM):
        return f"{quantity.unit} ({quantity.system})"
    return quantity.unit


def _performance(obs: ObservationRecord, code: str) -> Performance | Invalid:
    value, ref = obs.value_number, obs.ref.reference
    if obs.quantity is not None and obs.quantity.comparator is not None:
        shown = f"{obs.quantity.comparator} {obs.quantity.value:g}"
        name = "Karnofsky" if code == KARNOFSKY else "ECOG"
        return Invalid(f"{ref}: {name} {shown} is a bound, not a grade")
    if code == KARNOFSKY:
        unit = _unit(obs)
        if unit not in _KPS_UNITS:
            return Invalid(f"{ref}: Karnofsky in {unit!r} is not a performance status (unit %)")
        coded = obs.value_codes[0].code if value is None and obs.value_codes else None
        if coded is not None:  # a LOINC answer (LA29176-7) as the value, not its number
            return Invalid(f"{ref}: Karnofsky given as the code {coded}, not a number 10–100")
        if value is None or value != int(value) or int(value) not in KPS_VALUES:
            shown = "no value" if value is None else f"{value:g}"
            if value == 0:
                return Invalid(f"{ref}: Karnofsky 0 (dead) is not 10–100 in steps of 10{_DEAD}")
            return Invalid(f"{ref}: Karnofsky {shown} is not 10–100 in steps of 10")
        return Performance("Karnofsky", int(value))
    if value is None:
        value = next(
            (_ECOG_ANSWERS[c.code] for c in obs.value_codes if c.code in _ECOG_ANSWERS), None
        )
    if value is None or value != int(value) or int(value) not in ECOG_KPS:
        shown = "no value" if value is None else f"{value:g}"
        if value == 5:
            return Invalid(f"{ref}: ECOG 5 (dead) is not a performance grade 0–4{_DEAD}")
        return Invalid(f"{ref}: ECOG {shown} is not a performance grade 0–4")
    return Performance("ECOG", int(value))


def _lab(ctx: Context, obs: ObservationRecord, lab: str) -> float | tuple[str, str]:
    """The value in the lab's unit (LAB_UNITS), converted by the factor the maps give; else
    (the issue's message, why in a few words for a card)."""
    unit, ref = _unit(obs), obs.ref.reference
    if obs.quantity is None:
        return f"{ref}: {lab} has no valueQuantity", "no value with a unit"
    target = LAB_UNITS[lab]
    factor = ctx.term.factor(UCUM, unit or "1", UCUM, target)
    if factor is None:
        shown = "no unit" if unit is None else f"unit {unit!r}"
        why = "no unit" if unit is None else f"unit {unit!r} not understood"
        return f"{ref}: {lab} in {shown}, which does not convert to {target}", why
    if obs.quantity.value < 0:
        return f"{ref}: {lab} {obs.quantity.value:g} is negative", "a negative value"
    value = float(Decimal(repr(obs.quantity.value)) * factor)
    if obs.quantity.comparator is not None:  # "< 3.5": below it, by how much not said
        comparator = obs.quantity.comparator
        message = f"{ref}: {lab} {comparator} {obs.quantity.value:g} is a bound, not a value"
        return f"{message}: not used", Bound(f"{comparator} {value:g}, a bound", comparator, value)
    return value


def _disputed(
    ctx: Context, obs: ObservationRecord, sites: list[Site]
) -> tuple[str, frozenset[str]] | None:
    """Why the first bodySite that settles no level (:func:`disputed_level`) settles none, and
    the levels it may be at; else None."""
    names = obs.site_names
    for at, (concept, site) in enumerate(zip(obs.body_sites, sites, strict=False)):
        words = names[at] if at < len(names) else None
        if (found := disputed_level(concept, site, words, ctx.term)) is not None:
            coded, levels = found
            if len(coded) > 1:
                return f"the codings of its bodySite name {' and '.join(coded)}", levels
            return f"its bodySite is coded {coded[0]} but its words say {words!r}", levels
    return None


def _levels(
    ctx: Context,
    obs: ObservationRecord,
    lesion_levels: Mapping[str, frozenset[str]],
    code: str | None = None,
) -> frozenset[str] | Invalid | None:
    """The levels a finding belongs to; None when recorded without a level (a focus on a lesion
    at several levels does not say which: contract §2); Invalid when its bodySite does not
    exist or disagrees with its focus."""
    placed: frozenset[str] | None = None
    if obs.body_sites:
        sites = [resolve_site(c, ctx.term) for c in obs.body_sites]
        bad = next((s for s in sites if s.kind == "invalid"), None)
        if bad is not None:
            return Invalid(f"{obs.ref.reference}: {bad.label}")
        disputed = _disputed(ctx, obs, sites)
        if disputed is not None:
            why, levels = disputed
            if code != EPIDURAL_SPINAL_CORD_COMPRESSION:
                return Invalid(f"{obs.ref.reference}: {why}")
            # A compression grade keeps its alarm: at each level it may be, so no older grade
            # there outranks it; said.
            named = " or ".join(sorted(levels, key=level_order))
            ctx.warn(obs.ref.reference, f"{obs.ref.reference}: {why}: read as at {named}.")
            return levels
        placed = frozenset(s.level for s in sites if s.level is not None)
    elif code in SINS_FINDINGS and obs.site_names and obs.site_names[0]:
        # A bodySite in words only places the finding somewhere, never at no level: words are
        # never read as a level ("L2" in free text is not L2), and a SINS finding without a level
        # would count at the only metastatic level (contract §2). It applies to none, and is
        # named (extract.py), unless its focus places it.
        placed = frozenset()
    if not obs.focus:  # most findings name their level by bodySite alone
        return placed
    focused = frozenset(lv for ref in obs.focus for lv in lesion_levels.get(ref, ()))
    if not focused:
        return placed
    if placed and not placed <= focused:
        shown = ", ".join(sorted(focused))
        return Invalid(
            f"{obs.ref.reference}: bodySite {', '.join(sorted(placed))} disagrees with its focus "
            f"({shown})"
        )
    return placed or (focused if len(focused) == 1 else None)


def _file_coded(
    ctx: Context,
    obs: ObservationRecord,
    code: str,
    lesion_levels: Mapping[str, frozenset[str]],
    into: dict[str, list[Finding[Enum | int]]],
) -> Invalid | None:
    """File a coded finding under its code in ``into``; why it is invalid, if it is."""
    answer = read_answer(code, obs)
    if isinstance(answer, Invalid):
        return Invalid(f"{obs.ref.reference}: {answer.reason}")
    levels = _levels(ctx, obs, lesion_levels, code)
    if isinstance(levels, Invalid):
        return levels
    dated = ctx.dated(obs.time, FINDING_WINDOW[code])
    into[code].append(
        Finding(obs, answer, levels, dated, finding_displayed(ctx.term, code, answer))
    )
    return None


def _read(
    ctx: Context,
    obs: ObservationRecord,
    lesion_levels: Mapping[str, frozenset[str]],
    found: Findings,
) -> Invalid | None:
    """File one Observation under what it records; why it is invalid, if it is."""
    loinc = _loinc(obs)
    if loinc in (KARNOFSKY, ECOG):
        status = _performance(obs, loinc)
        if isinstance(status, Invalid):
            return status
        found.performance.append(Finding(obs, status, None, ctx.dated(obs.time, "performance")))
    elif loinc is not None:
        lab = _LABS[loinc]
        value = _lab(ctx, obs, lab)
        window = "albumin" if lab == "albumin" else "labs"
        if isinstance(value, tuple):
            message, why = value
            found.unread[lab].append(Finding(obs, why, None, ctx.dated(obs.time, window)))
            return Invalid(message)
        shown = _LAB_SHOWN[lab].format(value) if lab in _LAB_SHOWN else None
        found.labs[lab].append(Finding(obs, value, None, ctx.dated(obs.time, window), shown))
    elif (code := finding_code(obs)) is not None:
        return _file_coded(ctx, obs, code, lesion_levels, found.coded)
    return None


def _preliminary(
    ctx: Context,
    obs: ObservationRecord,
    lesion_levels: Mapping[str, frozenset[str]],
    found: Findings,
) -> Invalid | None:
    """File a preliminary palsy or Bilsky grade or SINS finding apart; any other preliminary
    report is unused."""
    code = finding_code(obs)
    if (
        code is None
        or code not in PRELIMINARY_FINDINGS
        or ctx.from_future(obs.ref, obs.time, partial(observation_named, ctx.term, obs))
    ):
        return None
    return _file_coded(ctx, obs, code, lesion_levels, found.preliminary)


def read_findings(
    ctx: Context,
    observations: Iterable[ObservationRecord],
    lesion_levels: Mapping[str, frozenset[str]],
) -> Findings:
    """Every usable finding of a patient. ``lesion_levels``: metastasis Condition → its levels
    (for findings placed by ``focus``)."""
    found = Findings()
    for obs in observations:
        if obs.status == "preliminary":
            invalid = _preliminary(ctx, obs, lesion_levels, found)
        elif obs.status not in CURRENT_OBSERVATION or ctx.from_future(
            obs.ref, obs.time, partial(observation_named, ctx.term, obs)
        ):
            continue
        else:
            invalid = _read(ctx, obs, lesion_levels, found)
        if invalid is not None:
            ctx.invalid(obs.ref.reference, invalid.reason)
    return found
