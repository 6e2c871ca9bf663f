"""Outcomes after the index procedure (contract §6): per-patient records and the time points.

Pure: the FHIR reading that fills these records lives beside the other extraction. Times are
instants (UTC) for ordering and durations; a measurement's calendar day is the date as it was
recorded, counted from the index date as recorded, so a 23:30 visit stays on its own day. Day
arithmetic is :func:`days_after` and :func:`elapsed_days`, nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "BARTHEL",
    "DAYS_PER_MONTH",
    "MEASURES",
    "OUTCOME_LOINC",
    "PAIN_RANK",
    "TIME_POINTS",
    "WINDOWS",
    "Complication",
    "Measurement",
    "Moment",
    "PatientOutcome",
    "ScoreAtIndex",
    "Trajectory",
    "Window",
    "age_at",
    "days_after",
    "elapsed_days",
    "months_between",
    "select_time_points",
]

DAYS_PER_MONTH = 30.4375  # the contract's month: 365.25 / 12 days
MEASURES = ("pain", "barthel")
# Pain (0–10 numeric rating, pain severity, visual analogue scale) and Barthel Index (LOINC).
PAIN_RANK = {"72514-3": 0, "38208-5": 1, "38214-3": 2}
BARTHEL = "96761-2"
OUTCOME_LOINC = frozenset({*PAIN_RANK, BARTHEL})


@dataclass(frozen=True, slots=True)
class Window:
    """A time point: calendar days from the index date, both ends inclusive."""

    name: str
    first: int
    last: int
    nominal: int


WINDOWS = (
    Window("baseline", -30, 0, 0),
    Window("7d", 3, 14, 7),
    Window("3mo", 60, 120, 91),
    Window("6mo", 150, 240, 182),
)
TIME_POINTS = tuple(w.name for w in WINDOWS)


@dataclass(frozen=True, slots=True)
class Moment:
    """A clinical time as the outcomes count it: the instant, the date as recorded and whether
    a time of day was recorded (a date alone counts in whole days)."""

    instant: datetime
    day: date
    timed: bool = True

    @classmethod
    def at(cls, instant: datetime) -> Moment:
        """A time of day, its date the instant's own."""
        return cls(instant, instant.date(), True)


def days_after(index_day: date, day: date) -> int:
    """Calendar days from the index date (the index day is day 0; before it, negative)."""
    return (day - index_day).days


def elapsed_days(index: Moment, end: Moment) -> float | None:
    """The end minus the index date in days (contract §6); None when the end is dated before
    the index date.

    Both timed: the time elapsed since the procedure's start, to the second (the seed's months
    are whole months from it); a time on the index day before the start is day 0, never less.
    Either a date alone: whole calendar days between the two dates as recorded.
    """
    if index.timed and end.timed:
        seconds = (end.instant - index.instant).total_seconds()
        if seconds >= 0:
            return seconds / 86400
        return 0.0 if days_after(index.day, end.day) >= 0 else None
    days = days_after(index.day, end.day)
    return float(days) if days >= 0 else None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One valid pain or Barthel reading, already on its scale (pain 0–10, Barthel 0–100)."""

    value: float
    instant: datetime
    day: date
    timed: bool  # False for a date without a time of day
    rank: int  # encoding preference at equal distance: 0 wins (pain: 72514-3, 38208-5, 38214-3)
    source: str | None
    text: str  # the time as recorded


@dataclass(frozen=True, slots=True)
class Trajectory:
    """The measurement chosen at each time point (None: the window is empty or in conflict)."""

    points: tuple[Measurement | None, ...] = (None, None, None, None)
    conflicts: tuple[str, ...] = ()  # time points left empty because equal candidates disagree

    def at(self, time_point: str) -> Measurement | None:
        return self.points[TIME_POINTS.index(time_point)]

    def value(self, time_point: str) -> float | None:
        chosen = self.at(time_point)
        return None if chosen is None else chosen.value

    def change(self, time_point: str) -> float | None:
        """The value at a time point minus the baseline; None unless both are known."""
        now, before = self.value(time_point), self.value("baseline")
        return None if now is None or before is None else now - before

    @property
    def complete(self) -> bool:
        return all(p is not None for p in self.points)


@dataclass(frozen=True, slots=True)
class Complication:
    kind: str  # cement-leakage, pulmonary-cement-embolism, surgical-site-infection, screw-loosening
    source: str | None
    when: str | None  # the clinical time as recorded
    # The verificationStatus of a Condition that may or may not be present (provisional,
    # differential, unconfirmed): named, never counted as one that happened (contract §2).
    unconfirmed: str | None = None
    # Recorded with no date: not known to be after the index procedure, so named, never counted
    # as one that happened after it (nor dropped: "none recorded" would hide it).
    undated: bool = False

    @property
    def named(self) -> str:
        """ "cement leakage", "surgical site infection (provisional — confirm)", "cement leakage
        (no date: not known to be after the index procedure)"."""
        words = self.kind.replace("-", " ")
        said = [f"{self.unconfirmed} — confirm"] if self.unconfirmed else []
        if self.undated:
            said.append(_UNDATED)
        return f"{words} ({'; '.join(said)})" if said else words

    @property
    def certain(self) -> bool:
        """Confirmed and dated after the index procedure: one that happened."""
        return self.unconfirmed is None and not self.undated


_UNDATED = "no date: not known to be after the index procedure"


@dataclass(frozen=True, slots=True)
class ScoreAtIndex:
    """A score total at the index date: certain when low == high."""

    code: str  # sins (worst level), tomita, tokuhashi-revised
    low: int
    high: int

    @property
    def certain(self) -> bool:
        return self.low == self.high


@dataclass(frozen=True, slots=True)
class PatientOutcome:
    """Everything the cohort report needs of one patient with an index procedure."""

    patient: str
    index_day: date
    index_start: datetime
    procedures: tuple[str, ...]
    treated_levels: tuple[str, ...]
    cement_ml: float | None
    sex: str | None
    age_years: int | None
    primary_sites: tuple[str, ...]  # tokuhashi-primary-site codes; () when none is coded
    died: bool
    death: Moment | None  # None when alive, or dead at an unknown time
    last_follow_up: Moment | None
    pain: Trajectory = field(default_factory=Trajectory)
    barthel: Trajectory = field(default_factory=Trajectory)
    complications: tuple[Complication, ...] = ()
    scores: tuple[ScoreAtIndex, ...] = ()
    # No treated level could be read (contract §6, never invented): the index procedures' own
    # levels, named as such and never counted as treated.
    procedure_levels: tuple[str, ...] = ()
    index_timed: bool = True  # False when the index procedure is dated without a time of day
    # A death dated by its month or year alone, as recorded ("Oct 2024"): said so on every surface,
    # never by the day survival is counted to; with no ``death`` when it holds the index day (the
    # patient's own issue names it, so it is no death "without a date").
    death_recorded: str | None = None
    # The last day such a death may have been on (the end of its month or year): a window opening
    # by then may have been reached.
    death_latest: date | None = None
    # The measures ("barthel", "pain") with a reading recorded that could not be read (another
    # scale, no time …; each an issue): said as "recorded, not read", never "not recorded".
    unread: tuple[str, ...] = ()

    @property
    def index(self) -> Moment:
        return Moment(self.index_start, self.index_day, self.index_timed)

    @property
    def follow_up_end(self) -> Moment | None:
        """The death for those who died (None when its time is unknown), else the last contact."""
        if self.died:
            return self.death
        return self.last_follow_up

    @property
    def follow_up_months(self) -> float | None:
        """From the index date (contract §6); None without an end or with one before it."""
        end = self.follow_up_end
        days = None if end is None else elapsed_days(self.index, end)
        return None if days is None else days / DAYS_PER_MONTH

    @property
    def survival(self) -> tuple[float, bool] | None:
        """(months from the index date, died) for Kaplan–Meier; None when not usable."""
        months = self.follow_up_months
        return None if months is None else (months, self.died)

    def trajectory(self, measure: str) -> Trajectory:
        return self.pain if measure == "pain" else self.barthel

    def score(self, code: str) -> ScoreAtIndex | None:
        return next((s for s in self.scores if s.code == code), None)


def months_between(start: datetime, end: datetime) -> float:
    """Exact elapsed time in the contract's months (days / 30.4375), to the second."""
    return (end - start).total_seconds() / 86400 / DAYS_PER_MONTH


def age_at(birth: date, on: date) -> int:
    """Age in whole years on a day (a 29 February birthday counts on 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


_Key = Callable[[Measurement], tuple[float, ...]]


def _pick(candidates: list[Measurement], key: _Key) -> Measurement | bool | None:
    """The single best candidate; False when the best ones tie on the key but disagree."""
    if not candidates:
        return None
    best = min(candidates, key=key)
    ties = [m for m in candidates if key(m) == key(best)]
    if len({m.value for m in ties}) > 1:
        return False
    return best


def _nearest(index_day: date, nominal: int) -> _Key:
    def key(m: Measurement) -> tuple[float, ...]:
        return (abs(days_after(index_day, m.day) - nominal), m.rank, -m.instant.timestamp())

    return key


def _before(m: Measurement, index: Moment) -> bool:
    """Taken before the procedure: by the instants when both are timed (whatever the offsets
    they are written in), else by the dates (day 0 is then never before)."""
    if m.timed and index.timed:
        return m.instant < index.instant
    return days_after(index.day, m.day) < 0


def select_time_points(
    measurements: Iterable[Measurement],
    *,
    index_day: date,
    index_start: datetime,
    index_timed: bool = True,
) -> Trajectory:
    """The contract's choice at each window.

    Baseline: days −30…0, only before the procedure (on day 0 only with a time of day before its
    start); the latest wins, the preferred encoding at equal times. After: the nearest to the
    nominal day wins; at equal distance the preferred encoding, then the later one.
    """
    items = list(measurements)
    index = Moment(index_start, index_day, index_timed)
    points: list[Measurement | None] = []
    conflicts: list[str] = []
    for window in WINDOWS:
        inside = [m for m in items if window.first <= days_after(index_day, m.day) <= window.last]
        if window.name == "baseline":
            inside = [m for m in inside if _before(m, index)]
            chosen = _pick(inside, lambda m: (-m.instant.timestamp(), m.rank))
        else:
            chosen = _pick(inside, _nearest(index_day, window.nominal))
        if chosen is False:
            conflicts.append(window.name)
            chosen = None
        points.append(chosen if isinstance(chosen, Measurement) else None)
    return Trajectory(tuple(points), tuple(conflicts))
