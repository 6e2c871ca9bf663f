"""What the surgeon needs beside the criteria (contract §5 v3): recent radiotherapy at the ordered
level (a course in progress too), the timing of postoperative radiotherapy after a fixation (never
a new course to plan where one is under way or was just given there), a palsy grade to repeat
before the procedure, and findings recorded next to the ordered level where no metastasis is
(contract §2: not used; perhaps recorded at the wrong level). Information only: none of it
changes a criterion or the indicator."""

from __future__ import annotations

import re
from datetime import timedelta

from adapter.fhir.read.evidence import on_day
from adapter.mapping.treatments import Treatment
from adapter.procedure.ask import Ask
from adapter.scoring import LEVELS, Frankel, level_order
from adapter.vocabulary.findings import EPIDURAL_SPINAL_CORD_COMPRESSION

__all__ = ["order_context"]

# Stereotactic body radiotherapy by its name or its two abbreviations, in a display or the record.
_STEREOTACTIC = re.compile(r"stereotactic|\bSBRT\b|\bSABR\b", re.IGNORECASE)
RADIOTHERAPY_WINDOW = timedelta(days=90)
REEXAMINE_AFTER = timedelta(hours=72)
POSTOPERATIVE_RADIOTHERAPY = (
    "Plan postoperative radiotherapy once the wound has healed (usually 1–3 weeks)."
)


def _recent(ask: Ask, levels: list[str]) -> list[tuple[Treatment, list[str]]]:
    """The radiotherapy courses at these levels begun within the window, completed or under way,
    each with the levels it shares with them, oldest first."""
    now = ask.result.now.instant
    assessment = ask.result.assessment
    courses = sorted((*assessment.treatments, *assessment.under_way), key=lambda t: t.time.instant)
    out = []
    for t in courses:
        here = [lv for lv in t.levels if lv in levels]
        if (
            "radiotherapy" in t.kinds
            and here
            and timedelta(0) <= now - t.time.instant <= RADIOTHERAPY_WINDOW
        ):
            out.append((t, here))
    return out


def _unplaced(ask: Ask) -> list[Treatment]:
    """The radiotherapy courses begun within the window whose site names no spinal level (none
    recorded, a region, words only): perhaps at the ordered level, perhaps elsewhere."""
    now = ask.result.now.instant
    assessment = ask.result.assessment
    courses = sorted((*assessment.treatments, *assessment.under_way), key=lambda t: t.time.instant)
    return [
        t
        for t in courses
        if "radiotherapy" in t.kinds
        and not t.levels
        and not t.bridged
        and not t.outside_spine
        and timedelta(0) <= now - t.time.instant <= RADIOTHERAPY_WINDOW
    ]


def _course_name(t: Treatment, ask: Ask) -> tuple[str, str]:
    stereotactic = any(_STEREOTACTIC.search(d) for d in t.displays)
    name = "SBRT" if stereotactic else "Radiotherapy"
    when = f"in progress since {t.time.day}" if t in ask.result.assessment.under_way else (
        on_day(t.time.day).strip()
    )  # fmt: skip
    return name, when


def _radiotherapy(ask: Ask, levels: list[str]) -> list[str]:
    out = []
    for t, here in _recent(ask, levels):
        name, when = _course_name(t, ask)
        out.append(f"{name} {', '.join(here)} {when} — wound and fracture risk.")
    for t in _unplaced(ask):
        name, when = _course_name(t, ask)
        out.append(
            f"{name} {when}, site not recorded as a level — if it included "
            f"{', '.join(sorted(levels, key=level_order)) or 'the level ordered'}: wound and "
            "fracture risk; check what was irradiated."
        )
    return out


def _postoperative(ask: Ask, levels: list[str]) -> str:
    """When to irradiate after the fixation: not planned as a new course where one is under way
    or was given at the level (then it is the radiation oncologist's call: remaining fractions,
    or re-irradiation)."""
    recent = _recent(ask, levels)
    under_way = ask.result.assessment.under_way
    running = sorted({lv for t, here in recent if t in under_way for lv in here}, key=level_order)
    if running:
        return (
            f"Radiotherapy at {', '.join(running)} is under way: agree the timing of surgery and "
            "of the remaining fractions with the radiation oncologist."
        )
    if not recent and (unplaced := _unplaced(ask)):
        return (
            f"Radiotherapy {_course_name(unplaced[-1], ask)[1]}, site not recorded as a level: "
            "agree with the radiation oncologist what was irradiated before planning "
            "radiotherapy after surgery."
        )
    if not recent:
        return POSTOPERATIVE_RADIOTHERAPY
    given = sorted({lv for _, here in recent for lv in here}, key=level_order)
    verb = "was" if len(given) == 1 else "were"
    return (
        f"{', '.join(given)} {verb} irradiated{on_day(recent[-1][0].time.day)}: radiotherapy there "
        "after surgery would be re-irradiation — plan it with the radiation oncologist."
    )


def _reexamine(ask: Ask) -> list[str]:
    palsy = ask.result.assessment.safety.palsy
    if palsy is None or palsy.values != {Frankel.E}:
        return []
    times = [ev.time for ev in palsy.evidence if ev.time is not None]
    latest = max(times, key=lambda t: t.instant) if times else None
    if latest is None or ask.result.now.instant - latest.instant <= REEXAMINE_AFTER:
        return []
    return [f"Frankel/AIS E{on_day(latest.day)}: re-examine before the procedure."]


def _adjacent(a: str, b: str) -> bool:
    return a in LEVELS and b in LEVELS and abs(LEVELS.index(a) - LEVELS.index(b)) == 1


def _next_door(ask: Ask, levels: list[str]) -> list[str]:
    """ "Recorded at L1, next to T12, where no metastasis is recorded (not used): … — check the
    level." for each level at or next to an ordered one with findings it did not use. A Bilsky
    grade there is named without "not used": the check reads every level's grade (criterion 8)."""
    out = []
    stray = ask.result.assessment.stray
    for where in sorted({lv for lv, _, _ in stray}, key=level_order):
        near = [lv for lv in levels if _adjacent(lv, where)]
        if where not in levels and not near:
            continue
        beside = f", next to {', '.join(near)}" if where not in levels else ""
        for graded in (False, True):
            found = [
                ev.said
                for lv, code, ev in stray
                if lv == where and (code == EPIDURAL_SPINAL_CORD_COMPRESSION) is graded
            ]
            if found:
                unused = "" if graded else " (not used)"
                out.append(
                    f"Recorded at {where}{beside}, where no metastasis is recorded{unused}: "
                    f"{'; '.join(dict.fromkeys(found))} — check the level."
                )
    return out


def order_context(ask: Ask, levels: list[str]) -> tuple[str, ...]:
    """Context lines for an order at these levels (treated and instrumented)."""
    lines = _radiotherapy(ask, levels) + _reexamine(ask) + _next_door(ask, levels)
    if ask.order.kind == "fixation":
        lines.append(_postoperative(ask, levels))
    return tuple(lines)
