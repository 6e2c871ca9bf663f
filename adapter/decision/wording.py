"""The wording rules of clinician text (contract §4 v3 "cards a clinician reads"), in one place.

Every card summary goes through :func:`shorten`; every card cites its evidence through
:func:`said_all` (what and when, never a resource id); a haematological malignancy's prognosis lines
carry :data:`HAEMATOLOGICAL_CAVEAT`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.timing import parse_time
from adapter.vocabulary.cards import SUMMARY_MAX

__all__ = [
    "HAEMATOLOGICAL_CAVEAT",
    "SUMMARY_MAX",
    "readable_dates",
    "said_all",
    "shorten",
    "unvalidated",
    "without_ids",
]

HAEMATOLOGICAL_CAVEAT = "not validated in haematological malignancy"
_ELLIPSIS = "…"
_TYPES = (
    "AdverseEvent|Condition|DiagnosticReport|Encounter|Medication|MedicationRequest|"
    "MedicationStatement|Observation|Patient|Procedure|QuestionnaireResponse|ServiceRequest"
)
_ISO = re.compile(
    r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?"
)
_REFERENCE = re.compile(rf"\b({_TYPES})/[A-Za-z0-9\-.]{{1,64}}(?:/_history/[A-Za-z0-9\-.]+)?")


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary with "…", never mid-word.

    A single word longer than the limit (no boundary to cut at) is the only case cut inside a
    word.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = text[: limit - len(_ELLIPSIS) + 1]  # +1: a space right after the cut is a boundary
    cut = room.rfind(" ")
    kept = room[:cut] if cut > 0 else room[: limit - len(_ELLIPSIS)]
    return kept.rstrip(" ,;:—–-(") + _ELLIPSIS


def said_all(evidence: Iterable[Evidence]) -> list[str]:
    """Each input cited once, in order, as cards cite it (:attr:`Evidence.said`: no id)."""
    return list(dict.fromkeys(ev.said for ev in evidence))


def without_ids(text: str) -> str:
    """A diagnostic line fit for a card: "Observation/x1: …" becomes "Observation: …", and an
    ISO date or time "2024-05-20T09:00:00Z" becomes "20 May 2024"."""
    if "/" in text:  # every reference has one: most lines go by without a regular expression
        text = _REFERENCE.sub(r"\1", text)
    return readable_dates(text)


def readable_dates(text: str) -> str:
    """Every ISO date or time in ``text`` as "20 May 2024" (the text report and the page keep
    resource ids, not ISO dates)."""
    return _ISO.sub(_day, text) if "-" in text else text  # every ISO date has a "-"


def _day(match: re.Match[str]) -> str:
    time = parse_time(match[0])
    return time.day if time is not None else match[0]


def unvalidated(title: str, haematological: bool) -> str:
    """A prognosis tool's name, with the caveat when the primary is haematological."""
    return f"{title} ({HAEMATOLOGICAL_CAVEAT})" if haematological else title
