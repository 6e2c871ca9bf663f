"""Findings as the mappings name them: "Spinal pain character: Mechanical pain", and an
Observation named for a note a clinician reads ("Frankel grade: C", "… at T12")."""

from __future__ import annotations

import functools
from enum import Enum

from adapter.fhir.read.records import ObservationRecord
from adapter.mapping.findings import COUNT_FINDINGS, FINDING_ANSWERS, Invalid, read_answer
from adapter.mapping.sites import resolve_site
from adapter.mapping.terminology import Terminology
from adapter.scoring import level_order
from adapter.vocabulary.systems import FINDING

__all__ = ["answer_displayed", "finding_code", "finding_displayed", "observation_named"]


def finding_code(obs: ObservationRecord) -> str | None:
    for coding in obs.codes:
        if coding.system == FINDING and (
            coding.code in FINDING_ANSWERS or coding.code in COUNT_FINDINGS
        ):
            return coding.code
    return None


def finding_displayed(term: Terminology, code: str, answer: Enum | int) -> str | None:
    """ "Spinal pain character: Mechanical pain" — the finding as the mappings name it."""
    if isinstance(answer, Enum):
        return _answer_displayed(term, code, answer)
    name = term.display(FINDING, code)
    return None if name is None else f"{name}: {answer}"


# Findings and their coded answers are a few dozen pairs per set of mappings, asked of every
# finding read: worded once. (A count's answer comes from the input: never kept here.)
@functools.lru_cache(maxsize=512)
def _answer_displayed(term: Terminology, code: str, answer: Enum) -> str | None:
    name = term.display(FINDING, code)
    if name is None:
        return None
    return f"{name}: {answer_displayed(term, code, answer)}"


def answer_displayed(term: Terminology, code: str, answer: Enum | int) -> str:
    """ "Mechanical pain", "AIS C: motor incomplete, …" — the answer alone as the mappings name
    it, for text beside its question (a count: its number)."""
    if not isinstance(answer, Enum):
        return str(answer)
    key = next((k for k, v in FINDING_ANSWERS.get(code, {}).items() if v is answer), None)
    return (key and term.display(FINDING, key)) or str(answer.value)


def observation_named(term: Terminology, obs: ObservationRecord) -> str | None:
    """A note's name for an Observation it leaves out: the finding and its answer as the
    mappings name them, else the code's display, with its levels; None when nothing names it."""
    code = finding_code(obs)
    answer = read_answer(code, obs) if code is not None else None
    if code is not None and answer is not None and not isinstance(answer, Invalid):
        name = finding_displayed(term, code, answer)
    else:
        name = next(filter(None, (term.display(c.system or "", c.code) for c in obs.codes)), None)
    levels = {s.level for c in obs.body_sites if (s := resolve_site(c, term)).level is not None}
    where = ", ".join(sorted(levels, key=level_order))
    return f"{name} at {where}" if name and where else name
