"""What several commands' options mean, read one way."""

from __future__ import annotations

from adapter.errors import InputError
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.pipeline import now_time

__all__ = ["computation_time"]


def computation_time(text: str | None) -> ClinicalTime:
    """``--now``: a FHIR dateTime with zone, or a day — the end of that day in UTC, so that what
    was known on it is used (contract §2: "--now 2024-06-01 scores what was known on that day");
    the current time when the option is not given. A month or a year names no day: refused."""
    if text is None:
        return now_time()
    now = parse_time(text)
    if now is None:
        raise InputError(f"--now {text!r} is not a FHIR dateTime in years 0001–9999 in UTC")
    if len(now.text) < 10:
        raise InputError(f"--now {text!r} names no day: give a day or a dateTime with zone")
    if len(now.text) == 10:
        end = parse_time(f"{now.text}T23:59:59Z")
        assert end is not None  # a valid day's last second is a valid dateTime
        return end
    return now
