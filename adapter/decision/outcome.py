"""The outcome after the index procedure as the surfaces show it (contract §6 v3).

Pain and Barthel at baseline and at each time point, with the change from baseline. A window is
shown by what can be known at the computation time: not opened yet ("due from 4 May 2027", its
first day), open with nothing yet ("no measurement yet (window until …)"), or closed and empty
("no measurement"); of a patient who has died, one still to come or open says so ("not reached:
died 10 Sep 2024"), never "due" or awaited. A baseline taken more than 14 days before the
procedure is a dated baseline; a later spinal procedure or radiotherapy inside a window is named
beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from adapter.decision.wording import without_ids
from adapter.fhir.read.evidence import on_day
from adapter.fhir.read.timing import day_text
from adapter.mapping.measures import calendar_day, last_day
from adapter.mapping.treatments import Treatment, spanned
from adapter.outcomes import (
    WINDOWS,
    Measurement,
    PatientOutcome,
    Trajectory,
    Window,
    days_after,
)
from adapter.pipeline import PatientResult
from adapter.scoring import level_runs
from adapter.vocabulary.cards import SUMMARY_MAX
from adapter.vocabulary.outcomes import treated_words

__all__ = [
    "DATED_BASELINE_DAYS",
    "OutcomeCell",
    "OutcomePoint",
    "OutcomeView",
    "day_text",
    "follow_up_words",
    "outcome_view",
]

DATED_BASELINE_DAYS = 14  # a baseline older than this before the procedure is "dated"
WindowState = Literal["due", "open", "closed", "ended"]  # ended: by the patient's death
_LABEL = {"baseline": "Baseline", "7d": "7 days", "3mo": "3 months", "6mo": "6 months"}
_MEASURES = (("pain", "pain"), ("barthel", "Barthel"))


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


@dataclass(frozen=True, slots=True)
class OutcomeCell:
    """One measure at one time point: the value (or why there is none) and the change."""

    text: str
    change: str | None = None


@dataclass(frozen=True, slots=True)
class OutcomePoint:
    time_point: str
    label: str
    first: date
    last: date
    state: WindowState
    pain: OutcomeCell
    barthel: OutcomeCell
    beside: tuple[str, ...]  # later spinal procedures or radiotherapy inside the window


@dataclass(frozen=True, slots=True)
class OutcomeView:
    outcome: PatientOutcome
    headline: str
    procedure: str  # "vertebroplasty/kyphoplasty at T12 on 22 May 2024"
    points: tuple[OutcomePoint, ...]
    # What the record holds for the outcome that was not used, and why (its issues, without ids):
    # on the card itself, not only beside the scores.
    notes: tuple[str, ...] = ()


def _state(window: Window, first: date, last: date, today: date) -> WindowState:
    if window.name == "baseline" or today > last:
        return "closed"
    return "due" if today < first else "open"


def _cell(
    trajectory: Trajectory,
    window: Window,
    state: WindowState,
    index_day: date,
    last: date,
    ended: str = "no measurement",
) -> OutcomeCell:
    chosen: Measurement | None = trajectory.at(window.name)
    if chosen is None:
        if window.name in trajectory.conflicts:
            return OutcomeCell("conflicting measurements")
        if state == "ended":
            return OutcomeCell(ended)
        if state == "open":
            return OutcomeCell(f"no measurement yet (window until {day_text(last)})")
        return OutcomeCell("no measurement")
    text = f"{_number(chosen.value)} ({day_text(chosen.day)})"
    if window.name == "baseline" and -days_after(index_day, chosen.day) > DATED_BASELINE_DAYS:
        text += ", dated baseline"
    change = trajectory.change(window.name) if window.name != "baseline" else None
    shown = None if change is None else f"{change:+g}".replace("-", "−")
    return OutcomeCell(text, shown)


_PERHAPS = ", perhaps before the procedure"


def _where(t: Treatment) -> str:
    """ " outside the spine", " at T12, L1", " at Entire bony pelvis" (a coded site the maps
    place at no vertebra, by its name), or nothing: where a course was, as recorded."""
    if t.outside_spine:
        return " outside the spine"
    if t.sited_elsewhere:
        first, *more = t.sited_elsewhere
        if len(more) == 1:  # both said: the second may be one the maps do not understand
            return f" at {first} and {more[0]}"
        n = len(more)
        counted = f", {t.sites_not_read} not read" if t.sites_not_read else ""
        return f" at {first}" + (f" and {n} other sites{counted}" if more else "")
    return f" at {', '.join(t.levels)}" if t.levels else ""


def _later(
    treatments: Sequence[Treatment],
    since: date,
    last: date,
    index_day: date,
    outside: bool = True,
) -> list[str]:
    """The spinal procedures and radiotherapy that may fall after ``since``, up to ``last``, each
    in its day (or its month or year, as recorded: one whose period holds the index day is
    "perhaps before the procedure"); ``outside``: with the courses outside the spine (a pain
    score is the whole patient's), named as such."""
    out = []
    for t in treatments:
        start, end = calendar_day(t.time), last_day(t.time)
        if end > since and start <= last and end > index_day and (outside or not t.outside_spine):
            perhaps = _PERHAPS if start <= index_day else ""
            out.append(f"{t.name}{_where(t)}{on_day(t.time.day)}{perhaps}")
    return out


def _beside(treatments: Sequence[Treatment], index_day: date, first: date, last: date) -> list[str]:
    """What else was done before a window's values: inside the window "fixation … on …", before
    it (between windows) "after fixation … on …": a value after it is not the index
    procedure's alone."""
    inside = set(_later(treatments, first - timedelta(days=1), last, index_day))
    every = _later(treatments, index_day, last, index_day)
    return [t if t in inside else f"after {t}" for t in every]


def _ended_by_death(outcome: PatientOutcome, state: WindowState, last: date) -> bool:
    """A window the death ended: any still to come or open; once closed, one the death came
    before the end of, or any when the death's date is unknown (it may have)."""
    if not outcome.died:
        return False
    if state != "closed" or outcome.death is None:
        return True
    return outcome.death.day <= last


def follow_up_words(outcome: PatientOutcome) -> str:
    """How long the patient was followed, as every surface says it: "died at 3.6 months"."""
    months = outcome.follow_up_months
    if outcome.died:
        if outcome.death_recorded is not None:  # a month or a year alone: never a day
            at = f", at {months:.1f} months or later" if months is not None else ""
            return f"died {outcome.death_recorded}{at}"
        unknown = " (date unknown)" if outcome.death is None else " (dated before the procedure)"
        return "died" + (f" at {months:.1f} months" if months is not None else unknown)
    return f"followed for {months:.1f} months" if months is not None else "no follow-up"


def _after_death(outcome: PatientOutcome, first: date, last: date, today: date) -> str:
    """What a window the death ended says: no value will come. A death dated by a month or a
    year that may fall before, in or after the window says which of these it may be (never
    after ``today``: a death recorded by then came by then)."""
    if outcome.death is None:
        said = outcome.death_recorded or "date unknown"
        return f"no measurement: died ({said})"
    died = outcome.death_recorded or day_text(outcome.death.day)
    earliest = outcome.death.day
    latest = max(earliest, min(outcome.death_latest or earliest, today))
    may = [
        word
        for word, holds in (
            ("before", earliest < first),
            ("in", earliest <= last and latest >= first),
            ("after", latest > last),
        )
        if holds
    ]
    if may == ["before"]:
        return f"not reached: died {died}"
    if may == ["in"]:
        return f"no measurement: died {died}"
    said = f"{', '.join(may[:-1])} or {may[-1]}" if len(may) > 1 else may[0]
    return f"no measurement: died {died}, {said} this window"


def _point(window: Window, outcome: PatientOutcome, result: PatientResult) -> OutcomePoint:
    index_day = outcome.index_day
    first = index_day + timedelta(days=window.first)
    last = index_day + timedelta(days=window.last)
    state = _state(window, first, last, calendar_day(result.now))
    if window.name != "baseline" and _ended_by_death(outcome, state, last):
        # Nothing is due, awaited or missed of a patient who has died: the window ended with
        # (or before) the death, whenever it is looked at.
        today = calendar_day(result.now)
        state, ended = "ended", _after_death(outcome, first, last, today)
        pain = _cell(outcome.pain, window, state, index_day, last, ended)
        barthel = _cell(outcome.barthel, window, state, index_day, last, ended)
    elif state == "due":
        pain = barthel = OutcomeCell(f"due from {day_text(first)}")
    else:
        pain = _cell(outcome.pain, window, state, index_day, last)
        barthel = _cell(outcome.barthel, window, state, index_day, last)
    beside: tuple[str, ...] = ()
    if window.name != "baseline" and calendar_day(result.now) >= first:  # opened by T
        beside = tuple(_beside(result.assessment.treatments, index_day, first, last))
    return OutcomePoint(window.name, _LABEL[window.name], first, last, state, pain, barthel, beside)


def _measure_words(trajectory: Trajectory, name: str, unread: bool = False) -> str:
    before = trajectory.value("baseline")
    after = [(w.name, v) for w in WINDOWS[1:] if (v := trajectory.value(w.name)) is not None]
    if after:
        tp, value = after[-1]
        start = f"{_number(before)} → " if before is not None else ""
        return f"{name} {start}{_number(value)} at {_LABEL[tp]}"
    if before is not None:
        return f"{name} {_number(before)} before"
    return f"{name} recorded, not used" if unread else f"{name} not recorded"


def _procedure(outcome: PatientOutcome, treatments: Sequence[Treatment]) -> tuple[str, list[str]]:
    """The index procedure's name, and the other courses of its day, named where they were.

    Every cement augmentation and fixation of the day is an index procedure (contract §6),
    wherever its screws are; radiotherapy, ablation or decompression joins it at its levels, or
    with no level recorded (most likely the metastasis's). One elsewhere that day (another
    level, outside the spine) is no part of it, yet never hidden: a pain score after it is not
    the index procedure's alone. A course dated by its month or year alone is never part of it.
    """
    that_day = [
        t for t in treatments if len(t.time.text) > 7 and calendar_day(t.time) == outcome.index_day
    ]
    # The index's levels: those it treated, else its own, and those its screws span.
    here = set(outcome.treated_levels or outcome.procedure_levels)
    for t in that_day:
        if "fixation" in t.kinds:
            here |= spanned(t.levels)
    names, also = [], []
    for t in that_day:
        unsited = not t.levels and not t.outside_spine and not t.sited_elsewhere
        part = t.stabilises or unsited or any(t.at(lv) for lv in here)
        if part:
            names.append(t.name)
        else:
            also.append(f"{t.name}{_where(t)}")
    what = " and ".join(dict.fromkeys(names)) or "index procedure"
    levels = treated_words(outcome.treated_levels, outcome.procedure_levels)
    if not outcome.treated_levels:  # said, never a level taken for the treated one
        return f"{what} on {day_text(outcome.index_day)}, {levels}", also
    return f"{what} at {levels} on {day_text(outcome.index_day)}", also


def outcome_view(result: PatientResult) -> OutcomeView | None:
    """The outcome so far after the index procedure; None without one."""
    outcome = result.outcome
    if outcome is None:
        return None
    points = tuple(_point(window, outcome, result) for window in WINDOWS)
    name, also = _procedure(outcome, result.assessment.treatments)
    that_day = f" (also that day: {'; '.join(dict.fromkeys(also))})" if also else ""
    procedure = name + that_day
    measures = "; ".join(
        _measure_words(outcome.trajectory(m), name, m in outcome.unread) for m, name in _MEASURES
    )
    # What was done after the index procedure and before the latest value said: named first,
    # so that a summary cut short never credits the index procedure with it.
    reported = [
        outcome.index_day + timedelta(days=w.last)
        for w in WINDOWS[1:]
        if any(outcome.trajectory(m).value(w.name) is not None for m, _ in _MEASURES)
    ]
    done = result.assessment.treatments
    last = max(reported) if reported else outcome.index_day
    # Only what certainly followed the procedure is "then"; one that may precede it stands
    # beside the windows. Courses outside the spine are counted here and named beside their
    # windows: the summary keeps the spinal ones and the measures within its length.
    every = _later(done, outcome.index_day, last, outcome.index_day)
    spinal = _later(done, outcome.index_day, last, outcome.index_day, outside=False)
    then = [t for t in spinal if not t.endswith(_PERHAPS)]
    elsewhere = len([t for t in every if t not in spinal and not t.endswith(_PERHAPS)])
    if elsewhere:
        then.append(f"{elsewhere} course{'s' if elsewhere > 1 else ''} outside the spine")
    # The first result must stay on the card (its summary is cut at SUMMARY_MAX): the levels
    # give way to runs, then the courses to a count.
    first = measures.split("; ")[0]
    runs = _in_runs(procedure, outcome.treated_levels)
    counted = f" (then {len(then)} later course{'s' if len(then) > 1 else ''})" if then else ""
    listed = f" (then {'; '.join(then)})" if then else ""
    # The index day's other courses give way to their count, then the whole name to its day:
    # never dropped, and never the first result.
    n = len(also)
    fewer = _in_runs(name, outcome.treated_levels)
    fewer += f" (also that day: {n} course{'s' if n > 1 else ''})" if also else ""
    more = [f"+{n} that day" if n else "", f"+{len(then)} later" if then else ""]
    short = ", ".join(filter(None, more))
    at = f" at {level_runs(list(outcome.treated_levels))}" if outcome.treated_levels else ""
    fewest = f"index procedure{at} on {day_text(outcome.index_day)}"
    fewest += f" ({short})" if short else ""
    tries = [(procedure, listed), (runs, listed), (runs, counted), (fewer, counted), (fewest, "")]
    name, later = next(
        ((n, lt) for n, lt in tries if len(f"After {n}{lt}: {first}") < SUMMARY_MAX), tries[-1]
    )
    headline = f"After {name}{later}: {measures}"
    notes = tuple(dict.fromkeys(without_ids(i.diagnostics) for i in result.outcome_issues))
    return OutcomeView(outcome, headline, procedure, points, notes)


def _in_runs(procedure: str, levels: Sequence[str]) -> str:
    """The procedure's name with its levels as runs ("T9–L3"), for a summary short of room."""
    listed = ", ".join(levels)
    return procedure.replace(listed, level_runs(list(levels)), 1) if len(levels) > 2 else procedure
