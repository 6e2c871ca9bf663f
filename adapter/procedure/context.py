"""What the surgeon needs beside the criteria (contract §5 v3): recent radiotherapy at the ordered
level, the timing of postoperative radiotherapy after a fixation, and a palsy grade to repeat
before the procedure. Information only: none of it changes a criterion or the indicator."""

from __future__ import annotations

from datetime import timedelta

from adapter.procedure.ask import Ask
from adapter.scoring import Frankel

__all__ = ["order_context"]

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
            stereotactic = any("stereotactic" in d.lower() for d in t.displays)
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


def order_context(ask: Ask, levels: list[str]) -> tuple[str, ...]:
    """Context lines for an order at these levels (treated and instrumented)."""
    lines = _radiotherapy(ask, levels) + _reexamine(ask)
    if ask.order.kind == "fixation":
        lines.append(POSTOPERATIVE_RADIOTHERAPY)
    return tuple(lines)
