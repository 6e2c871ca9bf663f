"""FHIR date and dateTime values as comparable instants, keeping the original text."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from adapter.fhir.read.issues import Issue

__all__ = [
    "ClinicalTime",
    "at_or_after",
    "certainly_after",
    "day_text",
    "follows",
    "in_utc",
    "latest_moment",
    "month_text",
    "parse_time",
    "same_time",
    "when_said",
    "zoneless_issue",
]


# English month abbreviations whatever the process's locale (strftime's %b follows LC_TIME).
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_text(day: date) -> str:
    """A month as clinicians read it: "Dec 2026"."""
    return f"{_MONTHS[day.month - 1]} {day.year}"


def day_text(day: date) -> str:
    """A date as clinicians read it: "3 Dec 2026"."""
    return f"{day.day} {month_text(day)}"


_DATETIME = re.compile(
    r"^(?P<y>\d{4})(-(?P<m>\d{2})(-(?P<d>\d{2})"
    r"(T(?P<H>\d{2}):(?P<M>\d{2})(:(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class ClinicalTime:
    """An instant for ordering (a partial date counts from its start), and the source text."""

    instant: datetime
    text: str = field(compare=False)
    # The date as clinicians read it, on the day it was written: "3 Dec 2026" (a year or a month
    # alone as written). Worked
    # out once: a time is shared through parse_time's cache and named on every card and line.
    day: str = field(init=False, compare=False, repr=False)
    # A time of day with no zone: invalid FHIR R4 ("a time zone SHALL be populated"), read as
    # UTC and reported by the reader (adapter/fhir/read/source.py).
    zoneless: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zoneless", "T" in self.text and not _ZONE.search(self.text))
        precision = len(self.text)
        if precision <= 4:
            day = self.text
        elif precision <= 7:
            day = month_text(self.instant)
        else:  # the day it was written on, in its own zone: 31 May 20:00-05:00 is 31 May
            day = day_text(date.fromisoformat(self.text[:10]))
        object.__setattr__(self, "day", day)

    @property
    def zoned(self) -> bool:
        """Whether it is an instant everywhere: a time of day with its zone (not a date alone,
        nor a local time with no zone)."""
        return "T" in self.text and not self.zoneless

    @property
    def end(self) -> datetime:
        """When the period the text names ends: the next year, month or day for a partial date,
        the instant itself for a time of day. Only what is at or after ``end`` certainly came
        after it."""
        start, precision = self.instant, len(self.text)
        try:
            if precision <= 4:
                return start.replace(year=start.year + 1)
            if precision <= 7:
                later = start.month == 12
                return start.replace(year=start.year + later, month=start.month % 12 + 1)
            if "T" not in self.text:
                return start + timedelta(days=1)
        except (ValueError, OverflowError):  # the last period of year 9999
            return datetime.max.replace(tzinfo=UTC)
        return start


# How far a local day's start and end lie from UTC's: a date written alone may be any site's.
_EARLIEST_ZONE, _LATEST_ZONE = timedelta(hours=14), timedelta(hours=12)
_UTC = ("Z", "+00:00", "-00:00")


def _precision(time: ClinicalTime) -> int:
    """4 a year, 7 a month, 10 a day; 11 a time of day."""
    return 11 if "T" in time.text else len(time.text)


def same_time(a: ClinicalTime, b: ClinicalTime) -> bool:
    """Whether two times are equal as recorded: the same instant at the same precision (a time at
    00:00 is not its day: the day may be any hour of it)."""
    return a.instant == b.instant and _precision(a) == _precision(b)


def _overlaps(a: ClinicalTime, b: ClinicalTime) -> bool:
    """Whether two times cannot be put in order: one is a year, a month or a day alone and the
    other falls within it, as written (the day a time was written in, whatever its zone) or by
    the instants. Two times of day are always ordered by their instants."""
    short, long = (a, b) if _precision(a) <= _precision(b) else (b, a)
    if "T" in short.text:
        return False
    if long.text[: len(short.text)] == short.text:
        return True
    if "T" not in long.text or not long.text.endswith(_UTC):
        return False  # a date, or a time in its own zone (or none): its written day is its day
    # Written in UTC, as many servers send every time: it may be any site's, whose day runs
    # from 14 hours before UTC's (UTC+14) to 12 hours after it (UTC-12).
    return short.instant - _EARLIEST_ZONE <= long.instant < short.end + _LATEST_ZONE


def at_or_after(a: ClinicalTime, b: ClinicalTime) -> bool:
    """Whether ``a`` is certainly of the same time as ``b`` or later: equal as recorded, or after
    the whole of ``b`` ("2024-05-31" is not known to be after 2024-05-30T20:00:00-05:00)."""
    if same_time(a, b):
        return True
    if _overlaps(a, b):
        return False
    short, long = (a, b) if _precision(a) <= _precision(b) else (b, a)
    if "T" not in short.text and not long.text.endswith(_UTC):
        # A day, month or year alone beside a date or a time in its own zone: their written
        # days order them (08:00 on 26 May in Tokyo is after 25 May, though 25 May in UTC).
        n = len(short.text)
        return a.text[:n] > b.text[:n]
    return a.instant >= b.end


def in_utc(time: ClinicalTime) -> bool:
    """Whether a time of day is written in UTC (as many servers send every time): it may be
    any site's, whose day runs from 14 hours before UTC's to 12 hours after it."""
    return "T" in time.text and time.text.endswith(_UTC)


def follows(a: ClinicalTime, b: ClinicalTime) -> bool:
    """Whether ``a`` is certainly later than ``b``: after the whole of it, neither equal to it as
    recorded nor within it (a finding of 10 May does not follow a treatment dated "May 2024")."""
    return at_or_after(a, b) and not same_time(a, b)


def when_said(time: ClinicalTime) -> str:
    """A time as a clinician reads it beside another it cannot be ordered with: "30 May 2024
    09:00" (the time of day as written), "30 May 2024, no time of day", "May 2024", "2024"."""
    if "T" in time.text:  # the day and the clock as written, in the zone they were written in
        return f"{day_text(date.fromisoformat(time.text[:10]))} {time.text[11:16]}"
    return f"{time.day}, no time of day" if len(time.text) == 10 else time.day


def certainly_after(a: ClinicalTime, b: ClinicalTime) -> bool:
    """Whether ``a`` is later than ``b`` however a date alone is read, for a step that softens an
    alarm: a year, month or day alone beside a time of day may be any site's (UTC+14 to UTC-12),
    whatever zone the time was written in; two dates alone are ordered by their written days."""
    if same_time(a, b):
        return False
    if "T" not in a.text and "T" not in b.text:
        n = min(len(a.text), len(b.text))
        return a.text[:n] > b.text[:n]
    earliest = a.instant if "T" in a.text else a.instant - _EARLIEST_ZONE
    return earliest >= latest_moment(b)


def latest_moment(time: ClinicalTime) -> datetime:
    """The latest instant a time may name: a time of day itself; the end of a year, month or day
    alone in the last zone to reach it (UTC-12)."""
    return time.instant if "T" in time.text else time.end + _LATEST_ZONE


# FHIR R4's dateTime (datatypes.html#dateTime): a year, a month or a day, or a time to the
# second with its zone. parse_time reads more leniently (vendor data); what we write must be this.
_FHIR_DATETIME = re.compile(
    r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)))?)?)?$"
)


def is_date_time(text: object) -> bool:
    """Whether ``text`` is a FHIR R4 dateTime, on the calendar and within the years we compute
    with."""
    return (
        isinstance(text, str) and bool(_FHIR_DATETIME.match(text)) and parse_time(text) is not None
    )


def parse_time(text: object) -> ClinicalTime | None:
    """Parse a FHIR date/dateTime/instant; None when absent or malformed."""
    return _parse(text) if isinstance(text, str) else None


@functools.lru_cache(maxsize=4096)  # a patient's resources share a handful of timestamps
def _parse(text: str) -> ClinicalTime | None:
    """A time without a zone is invalid FHIR but common in vendor data: it is read as UTC (and
    marked ``zoneless``, which the reader reports as a warning)."""
    match = _DATETIME.match(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        moment = datetime(
            int(g["y"]),
            int(g["m"] or 1),
            int(g["d"] or 1),
            int(g["H"] or 0),
            int(g["M"] or 0),
            int(g["S"] or 0),
            int(float(g["f"]) * 1_000_000) if g["f"] else 0,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    tz = g["tz"]
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        hours, minutes = int(tz[1:3]), int(tz[4:6])
        try:
            moment -= sign * timedelta(hours=hours, minutes=minutes)
        except OverflowError:  # valid FHIR, yet before year 1 or after 9999 in UTC
            return None
    return ClinicalTime(moment, text)


def zoneless_issue(ref: str | None, text: str) -> Issue:
    """FHIR R4: with hours and minutes "a time zone SHALL be populated". Common in vendor data,
    so read as UTC rather than refused; said, as the hours may be local ones."""
    message = f"{ref or 'A resource'}: its time {text} has no time zone; read as UTC."
    return Issue("warning", "invalid", message, ref)
