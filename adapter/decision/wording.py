"""The wording rules of clinician text (contract §4 v3 "cards a clinician reads"), in one place.

Every card summary goes through :func:`shorten` (kept in adapter/vocabulary/cards.py beside the
limit, so that the procedure summary fits its findings to it too); every card cites its evidence
through :func:`said_all` (what and when, never a resource id); a haematological malignancy's
prognosis lines carry :data:`HAEMATOLOGICAL_CAVEAT`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.timing import parse_time
from adapter.vocabulary.cards import SUMMARY_MAX, shorten

__all__ = [
    "HAEMATOLOGICAL_CAVEAT",
    "NOT_FULLY_READ",
    "NOT_FULLY_READ_ADVICE",
    "SUMMARY_MAX",
    "readable_dates",
    "said_all",
    "shorten",
    "unvalidated",
    "without_ids",
]

HAEMATOLOGICAL_CAVEAT = "not validated in haematological malignancy"
_TYPES = (
    "AdverseEvent|Condition|DiagnosticReport|Encounter|Medication|MedicationAdministration|"
    "MedicationRequest|MedicationStatement|Observation|Patient|Procedure|QuestionnaireResponse|"
    "ServiceRequest"
)
_ID = r"[A-Za-z0-9\-.]{0,63}[A-Za-z0-9\-](?:/_history/[A-Za-z0-9\-.]*[A-Za-z0-9\-])?"
_REF = rf"\b(?:{_TYPES})/{_ID}"  # an id never ends a sentence with its full stop
_REFERENCE = re.compile(rf"\b({_TYPES})/{_ID}")
# What readable_dates rewrites: a date or time, and a month alone cited as written ("(…,
# 2024-05)") or given alone ("2024-05", a complication's time), never one within a word or an
# id: a reference's id may hold a date ("Observation/f-2024-05-30").
_ISO = re.compile(
    r"(?<![\w./-])\d{4}-\d{2}"
    r"(?:-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?|(?=\))|\Z)"
)
# A reference cited beside the thing it names ("Frankel C (Observation/fc, 1 Jun 2024)", "the
# lesion at T6 (Condition/met-t6)", "… — Observation/x"): the card drops it with its punctuation,
# and the thing stays named by its display.
# References that open a parenthesis go with a count of the rest ("(MedicationRequest/a +9 more;
# …)" becomes "(…)").
_CITED = re.compile(
    rf"\s*\((?:{_REF}(?:,\s*)?)+\)|(?<=\()(?:{_REF}(?:,\s*)?)+(?:\s*\+\d+ more)?(?:;\s*)?"
    rf"|\s+—\s+{_REF}"
)


def said_all(evidence: Iterable[Evidence]) -> list[str]:
    """Each input cited once, in order, as cards cite it (:attr:`Evidence.said`: no id)."""
    return list(dict.fromkeys(ev.said for ev in evidence))


def without_ids(text: str) -> str:
    """A diagnostic line fit for a card: a cited reference goes with its punctuation ("Frankel C
    (Observation/fc, 2024-06-01T09:30:00Z)" becomes "Frankel C (1 Jun 2024 09:30)"); one that
    stands for the thing itself keeps its type ("Observation/x1: …" becomes "Observation: …")."""
    if "/" in text:  # every reference has one: most lines go by without a regular expression
        text = _REFERENCE.sub(r"\1", _CITED.sub("", text))
    return readable_dates(text)


def readable_dates(text: str) -> str:
    """Every ISO date or time in ``text`` as "20 May 2024" (the text report and the page keep
    resource ids, not ISO dates); with the time, "1 Jun 2024 09:30", when the line has two
    times the same day (the time is what tells them apart: contract §4 v3)."""
    if "-" not in text:  # every ISO date has a "-"
        return text
    timed = [m[0][:10] for m in _ISO.finditer(text) if "T" in m[0]]
    same_day = {day for day in timed if timed.count(day) > 1}
    return _ISO.sub(lambda match: _day(match, same_day), text)


def _day(match: re.Match[str], same_day: set[str]) -> str:
    time = parse_time(match[0])
    if time is None:
        return match[0]
    if match[0][:10] not in same_day:
        return time.day
    zone = match[0][19:].lstrip(".0123456789")  # the offset as written, after any seconds
    return f"{time.day} {match[0][11:16]}" + ("" if zone in ("", "Z") else f" {zone}")


# A cancer record at a vertebra that no map places, when nothing else is shown (contract §2 v3:
# nothing read is dropped silently; the patient-view says so, not only the OperationOutcome).
# A record with no spinal disease read, and resources spinemets could not read: one of them may be
# the metastasis (a malformed Condition), so silence would read as "no spinal disease".
NOT_FULLY_READ = "Record not fully read: spine scores may be missing"
NOT_FULLY_READ_ADVICE = (
    "No bone metastasis was read, and these records were ignored as invalid. If one is the "
    "metastasis or a spine finding, correct it in the record: until then no spine score is "
    "computed."
)
UNREAD_AT_SPINE = "not understood — spine scores not computed"
UNREAD_AT_SPINE_ADVICE = (
    "Its code names no primary site or metastasis spinemets maps. If it is a spinal metastasis, "
    "record it as a secondary malignant neoplasm of bone at its level (or ask for the code to be "
    "added to the mappings): until then no spine score is computed."
)


def unvalidated(title: str, haematological: bool) -> str:
    """A prognosis tool's name, with the caveat when the primary is haematological."""
    return f"{title} ({HAEMATOLOGICAL_CAVEAT})" if haematological else title
