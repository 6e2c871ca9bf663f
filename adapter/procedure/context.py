"""What the surgeon needs beside the criteria (contract §5 v3): recent radiotherapy at the ordered
level, the timing of postoperative radiotherapy after a fixation, a palsy grade to repeat
before the procedure, and findings recorded next to the ordered level where no metastasis is
(contract §2: not used; perhaps recorded at the wrong level). Information only: none of it
changes a criterion or the indicator."""

from __future__ import annotations

import re
from datetime import timedelta

from adapter.procedure.ask import Ask
from adapter.scoring import LEVELS, Frankel, level_order

__all__ = ["order_context"]

# Stereotactic body radiotherapy by its name or its two abbreviations, in a display or the record.
_STEREOTACTIC = re.compile(r"stereotactic|\bSBRT\b|\bSABR\b", re.IGNORECASE)
RADIOTHERAPY_WINDOW = timedelta(days=90)
REEXAMINE_AFTER = timedelta(hours=72)
POSTOPERATIVE_RADIOTHERAPY = (
    "Plan postoperative radiotherapy once the wound has healed (usually 1–3 weeks)."
)


def _radiotherapy(ask: Ask, levels: list[str]) -> list[str]:
    now = ask.result.now.instant
    out = []
    for t in ask.result.assessment.treatments:
        here = [lv for lv in t.levels if lv in levels]
        if "radiotherapy" not in t.kinds or not here:
            continue
        if timedelta(0) <= now - t.time.instant <= RADIOTHERAPY_WINDOW:
            stereotactic = any(_STEREOTACTIC.search(d) for d in t.displays)
            name = "SBRT" if stereotactic else "Radiotherapy"
            out.append(f"{name} {', '.join(here)} on {t.time.day} — wound and fracture risk.")
    return out


def _reexamine(ask: Ask) -> list[str]:
    palsy = ask.result.assessment.safety.palsy
    if palsy is None or palsy.values != {Frankel.E}:
        return []
    times = [ev.time for ev in palsy.evidence if ev.time is not None]
    latest = max(times, key=lambda t: t.instant) if times else None
    if latest is None or ask.result.now.instant - latest.instant <= REEXAMINE_AFTER:
        return []
    return [f"Frankel/AIS E on {latest.day}: re-examine before the procedure."]


def _adjacent(a: str, b: str) -> bool:
    return a in LEVELS and b in LEVELS and abs(LEVELS.index(a) - LEVELS.index(b)) == 1


def _next_door(ask: Ask, levels: list[str]) -> list[str]:
    """ "Recorded at L1, next to T12, where no metastasis is recorded (not used): … — check the
    level." for each level at or next to an ordered one with findings it did not use."""
    out = []
    stray = ask.result.assessment.stray
    for where in sorted({lv for lv, _ in stray}, key=level_order):
        near = [lv for lv in levels if _adjacent(lv, where)]
        if where not in levels and not near:
            continue
        beside = f", next to {', '.join(near)}" if where not in levels else ""
        said = "; ".join(dict.fromkeys(ev.said for lv, ev in stray if lv == where))
        out.append(
            f"Recorded at {where}{beside}, where no metastasis is recorded (not used): {said} "
            "— check the level."
        )
    return out


def order_context(ask: Ask, levels: list[str]) -> tuple[str, ...]:
    """Context lines for an order at these levels (treated and instrumented)."""
    lines = _radiotherapy(ask, levels) + _reexamine(ask) + _next_door(ask, levels)
    if ask.order.kind == "fixation":
        lines.append(POSTOPERATIVE_RADIOTHERAPY)
    return tuple(lines)
