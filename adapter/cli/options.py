"""What several commands' options mean, read one way."""

from __future__ import annotations

from adapter.errors import InputError
from adapter.fhir.read.timing import ClinicalTime, parse_time
from adapter.pipeline import now_time

__all__ = ["computation_time"]


def computation_time(text: str | None) -> ClinicalTime:
    """``--now``: a FHIR dateTime with zone; the current time when the option is not given."""
    if text is None:
        return now_time()
    now = parse_time(text)
    if now is None:
        raise InputError(f"--now {text!r} is not a FHIR dateTime in years 0001–9999 in UTC")
    return now
