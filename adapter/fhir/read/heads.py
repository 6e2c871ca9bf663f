"""A line's head: the few elements of an NDJSON line read before, or instead of, the whole line.

Two questions about a line come before reading it: whose record it belongs to (the first pass
finds each patient's last line, so that a patient is scored as soon as its record is complete,
with memory flat), and whether it is an Observation nothing reads (vital signs, most labs: a
quarter of a large record). Both need only ``resourceType``, ``id``, ``subject`` and ``code``. A
decoder with that schema (msgspec) reads those and skips the rest without building it, about 4×
cheaper than parsing the line.

A line it cannot read (not JSON, not an object, nested too deep) gets ``None``, and the caller
parses it in full as before: so every line the full parser refuses is still reported. The one
difference: a line nothing reads is not checked further (as :func:`parse_resource` already did
for a parsed one), so a number out of range inside a vital sign is not reported.
"""

from __future__ import annotations

from typing import IO, Any, NamedTuple

import msgspec
import orjson

from adapter.errors import InputError
from adapter.fhir.read.lines import bounded_lines
from adapter.fhir.read.records import ObservationFilter, codings
from adapter.fhir.read.references import patient_of

__all__ = ["BAD_LINE", "Head", "head_of", "last_lines", "load_line", "unread_observation"]

BAD_LINE = object()  # what load_line gives for a line that is not JSON


def load_line(line: bytes) -> Any:
    """The whole line parsed; :data:`BAD_LINE` when it is not JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return BAD_LINE


class _Key(msgspec.Struct):
    resourceType: Any = None
    id: Any = None
    subject: Any = None


class _Screen(_Key):
    code: Any = None


_KEY = msgspec.json.Decoder(_Key)
_SCREEN = msgspec.json.Decoder(_Screen)
# msgspec's ValidationError (not a JSON object) is a DecodeError; deep nesting is a RecursionError.
_UNREADABLE = (msgspec.DecodeError, RecursionError)


class Head(NamedTuple):
    resource: bool  # a JSON object with a string resourceType
    patient: str | None  # as :func:`patient_of` reads it from the whole resource


def _head(found: _Key) -> Head:
    elements = {"resourceType": found.resourceType, "id": found.id, "subject": found.subject}
    return Head(isinstance(found.resourceType, str), patient_of(elements))


def head_of(line: bytes) -> Head | None:
    """Whose record a line belongs to; None when only parsing it in full can tell."""
    try:
        return _head(_KEY.decode(line))
    except _UNREADABLE:
        return None


def unread_observation(line: bytes, wanted: ObservationFilter) -> Head | None:
    """The head of an Observation whose codes nothing reads; None for every other line (those
    are parsed in full, and a code-less Observation is checked there)."""
    try:
        found = _SCREEN.decode(line)
        line.decode()  # a skipped string that is not UTF-8: the full parser reports the line
    except (*_UNREADABLE, UnicodeDecodeError):
        return None
    if found.resourceType != "Observation":
        return None
    codes = codings(found.code)
    if not codes or wanted(codes):
        return None
    return _head(found)


def last_lines(stream: IO[bytes], limit: int) -> dict[str, int]:
    """Each patient's last line (the first pass): a patient is complete, and handed on, once
    that line is read. InputError when no line is a resource."""
    last: dict[str, int] = {}
    resources = 0
    for number, line in bounded_lines(stream, limit):
        if line is not None and line.strip():
            head = head_of(line)
            if head is None:
                resource = load_line(line)
                is_resource = isinstance(resource, dict) and isinstance(
                    resource.get("resourceType"), str
                )
                head = Head(is_resource, patient_of(resource))
            resources += head.resource
            if head.patient is not None:
                last[head.patient] = number
    if not resources:
        raise InputError("the input holds no FHIR resource (no line has a resourceType)")
    return last
