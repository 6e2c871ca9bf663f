"""A scored level with no SINS finding of its own used, only its location (contract §4 v3):
"SINS not assessed at T8", info, with what would settle it. Findings recorded without a level are
named as such (their level is what to record), and findings only in a preliminary report as a
report to confirm (§2: never scored), never as absent.
"""

from __future__ import annotations

from adapter.fhir.read.evidence import Basis
from adapter.mapping.compression import PRELIMINARY
from adapter.mapping.placement import PLACE_IT, preliminary, unplaced
from adapter.pipeline import LevelResult
from adapter.vocabulary import SINS, SINS_LOCATION, SINS_SCOPE

__all__ = ["not_assessed", "not_assessed_text", "unplaced_findings"]

_NONE = Basis()


def unplaced_findings(lv: LevelResult) -> bool:
    """Whether findings exist that do not say which level they belong to (contract §2): the
    level is unassessed for want of a bodySite, not of findings."""
    return any(unplaced(basis) for basis in lv.bases.values())


def _reported(lv: LevelResult) -> list[Basis]:
    return [b for c in SINS.components if preliminary(b := lv.bases.get(c.code, _NONE))]


def _days(lv: LevelResult) -> str:
    """ " (30 May 2024)": the days of the preliminary reports that stand in for a finding."""
    codes = [c.code for c in SINS.components if preliminary(lv.bases.get(c.code, _NONE))]
    early = [lv.assessment.preliminary[code] for code in codes if code in lv.assessment.preliminary]
    times = sorted(ev.time for chosen in early for ev in chosen.evidence if ev.time)
    return f" ({', '.join(dict.fromkeys(t.day for t in times))})" if times else ""


def not_assessed(lv: LevelResult) -> str:
    """The headline: "SINS not assessed at T12", and why, when something was recorded."""
    why = ["findings recorded without a level"] if unplaced_findings(lv) else []
    reported = [c.short for c in SINS.components if preliminary(lv.bases.get(c.code, _NONE))]
    if reported:
        why.append(f"{PRELIMINARY} {', '.join(reported)}{_days(lv)}")
    return f"SINS not assessed at {lv.level}" + (f": {'; '.join(why)}" if why else "")


def not_assessed_text(lv: LevelResult) -> str:
    """The detail's recommendation: what is recorded, and what would score the level."""
    name = lv.level
    reported = [(b.settle or "").removeprefix(f"{PRELIMINARY}: ") for b in _reported(lv)]
    confirm = (
        f"{PRELIMINARY.capitalize()}: {'; '.join(reported)} — not scored until a final finding "
        "confirms it. "
        if reported
        else ""
    )
    if unplaced_findings(lv):
        return (
            f"SINS findings are recorded without a level, and {name} is one of several scored "
            f"levels: they do not say which level they belong to. To score {name}, "
            f"{PLACE_IT} (the components below name them). {confirm}{SINS_SCOPE}."
        )
    rest = [
        c.short
        for c in SINS.components
        if c is not SINS_LOCATION and not preliminary(lv.bases.get(c.code, _NONE))
    ]
    if not reported:
        return (
            f"No SINS finding is recorded at {name}, only its location: record {', '.join(rest)} "
            f"to score it. {SINS_SCOPE}."
        )
    record = f"Record {', '.join(rest)} to score the rest. " if rest else ""
    return (
        f"No final SINS finding is recorded at {name}, only its location. {confirm}{record}"
        f"{SINS_SCOPE}."
    )
