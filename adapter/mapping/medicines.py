"""Active medications of a kind (contract §5 criterion 7, §4 v3 the steroid prompt).

A drug is of a kind when one of its codes is in the kind's ValueSet, or — since medication
orders mostly carry clinical-drug or brand codes that a ValueSet cannot list without RxNorm's
relationship tables — when its name as recorded (the concept's text, a coding's display, the
referenced Medication's name) names one of the ingredients or brands the ValueSet lists as data
(extension ``ingredient-name``), as a whole word or phrase. A ValueSet may also list local forms
(extension ``non-systemic-form``: a cream, an eye drop) that keep a name from counting.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.records import MedicationRecord
from adapter.mapping.context import Context, condition_named
from adapter.mapping.staging import Staged
from adapter.mapping.terminology import Terminology

__all__ = ["active_of_kind", "problem_list_use", "unidentified"]

# Requests and statements of a drug the patient takes or is about to take (paused included).
_ACTIVE_MEDICATION = frozenset({"active", "on-hold", "intended"})

# How a drug whose record and our mappings give no name is said, per ValueSet.
_UNNAMED = {
    "antithrombotic-medication": "an antithrombotic (no name recorded)",
    "corticosteroid-medication": "a corticosteroid (no name recorded)",
}


@functools.cache
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Any of the words as a whole word or phrase, any case ("heparin", not "paraheparinol")."""
    if not words:
        return None
    alternatives = "|".join(re.escape(w.casefold()) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _names(term: Terminology, value_set: str, text: str) -> bool:
    """Whether ``text`` names a drug of the ValueSet, in no form the ValueSet excludes."""
    said = text.casefold()
    found = _pattern(term.words.get((value_set, "ingredient-name"), ()))
    if found is None or not found.search(said):
        return False
    local = _pattern(term.words.get((value_set, "non-systemic-form"), ()))
    return local is None or not local.search(said)


def _named_by(term: Terminology, med: MedicationRecord, value_set: str) -> str | None:
    """The name as recorded that names a drug of the ValueSet, if any."""
    texts = [med.name, *(term.display(c.system or "", c.code) for c in med.codes)]
    return next((t for t in texts if t and _names(term, value_set, t)), None)


def _active(ctx: Context, med: MedicationRecord) -> bool:
    return med.status in _ACTIVE_MEDICATION and not ctx.from_future(med.ref, med.time, med.name)


def active_of_kind(
    ctx: Context, medications: Iterable[MedicationRecord], value_set: str
) -> tuple[Evidence, ...]:
    """Active requests and statements of a drug of ``value_set``, by code or by name."""
    found = []
    for med in medications:
        if not _active(ctx, med):
            continue
        coded = next(
            (c for c in med.codes if ctx.term.in_value_set(value_set, c.system, c.code)), None
        )
        if coded is not None:
            drug = med.name or ctx.term.display(coded.system or "", coded.code)
        elif (drug := _named_by(ctx.term, med, value_set)) is None:
            continue
        found.append(Evidence(med.ref, med.time, f"{drug or _UNNAMED[value_set]}, {med.status}"))
    return tuple(found)


def unidentified(ctx: Context, medications: Iterable[MedicationRecord]) -> tuple[Evidence, ...]:
    """Active requests and statements that say nothing of their drug: no code, no name (a
    reference to a Medication the input does not hold). What it is is missing, never "none"."""
    return tuple(
        Evidence(med.ref, med.time, f"a medication not identified, {med.status}")
        for med in medications
        if not med.codes and not med.name and med.status in _ACTIVE_MEDICATION
        and not ctx.from_future(med.ref, med.time, None)
    )  # fmt: skip


def problem_list_use(ctx: Context, staged: Iterable[Staged]) -> tuple[Evidence, ...]:
    """Current problem-list entries that say the patient takes an antithrombotic (Z79.01)."""
    found = []
    for entry in staged:
        cond = entry.condition
        shown = next((ctx.term.display(c.system or "", c.code) for c in cond.codes), None)
        name = cond.name or shown or condition_named(cond)
        found.append(Evidence(cond.ref, cond.time, f"{name}, on the problem list"))
    return tuple(found)
