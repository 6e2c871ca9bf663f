"""Active medications of a kind (contract §5 criterion 7, §4 v3 the steroid prompt).

A drug is of a kind when one of its codes is in the kind's ValueSet, or — since medication
orders mostly carry clinical-drug or brand codes that a ValueSet cannot list without RxNorm's
relationship tables — when its name as recorded (the concept's text, a coding's display, the
referenced Medication's name) names one of the ingredients or brands the ValueSet lists as data
(extension ``ingredient-name``), as a whole word or phrase. A ValueSet may also list local forms
(extension ``non-systemic-form``: a cream, an eye drop, a line lock) that keep a name from
counting, and the words that negate a name in free text ("no aspirin", "stop warfarin", "warfarin
allergy": extensions ``negated-before``, ``negated-after``, and ``negation-reversed`` for "do not
stop aspirin"). "Hold" is not among them: a paused drug counts (§5).

A dose given counts too: a MedicationAdministration completed or in progress, or a completed
request (a stat dose), within :data:`GIVEN_WITHIN` of the computation time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from adapter.fhir.read.evidence import Evidence
from adapter.fhir.read.records import NAME_SHOWN, MedicationRecord
from adapter.mapping.context import Context, condition_named
from adapter.mapping.staging import Staged
from adapter.mapping.terminology import Terminology
from adapter.mapping.words import names
from adapter.vocabulary.cards import shorten

__all__ = ["GIVEN_WITHIN", "active_of_kind", "problem_list_use", "unidentified"]

# Requests and statements of a drug the patient takes or is about to take (paused included).
_ACTIVE_MEDICATION = frozenset({"active", "on-hold", "intended"})
# A dose given: an administration done or running, a request done (a stat dose).
_GIVEN = {"MedicationAdministration": frozenset({"completed", "in-progress"}),
          "MedicationRequest": frozenset({"completed"})}  # fmt: skip
# How long a dose given still counts, per ValueSet (not a setting): a corticosteroid within a
# day is the MSCC loading dose already given (NICE NG234: 16 mg, then twice daily); an
# antithrombotic within five days may still act (warfarin is held five days before a
# high-bleeding-risk procedure, SIR 2019), so criterion 7 asks when it was stopped.
GIVEN_WITHIN = {
    "antithrombotic-medication": timedelta(days=5),
    "corticosteroid-medication": timedelta(hours=24),
}

# How a drug whose record and our mappings give no name is said, per ValueSet.
_UNNAMED = {
    "antithrombotic-medication": "an antithrombotic (no name recorded)",
    "corticosteroid-medication": "a corticosteroid (no name recorded)",
}


def _named_by(term: Terminology, med: MedicationRecord, value_set: str) -> str | None:
    """The name as recorded that names a drug of the ValueSet, if any."""
    texts = [med.name, *(term.display(c.system or "", c.code) for c in med.codes)]
    return next(
        (
            t
            for t in texts
            if t and names(term, value_set, t, "ingredient-name", "non-systemic-form")
        ),
        None,
    )


def _state(ctx: Context, med: MedicationRecord, value_set: str) -> str | None:
    """How the record says the drug is taken: its status when active, "given at …" for a dose
    given recently; None when it is not current (or timed after the computation time)."""
    kind = med.ref.resource_type
    if kind != "MedicationAdministration" and med.status in _ACTIVE_MEDICATION:
        return None if ctx.from_future(med.ref, med.time, med.name) else med.status
    if med.status not in _GIVEN.get(kind, ()) or ctx.from_future(med.ref, med.time, med.name):
        return None
    if med.status == "in-progress":
        return "being given"  # an infusion running now, however long ago it started
    if med.time is None or ctx.now.instant - med.time.instant > GIVEN_WITHIN[value_set]:
        return None
    text = med.time.text  # the time as written: the ward's local time
    at = f" at {text[11:16]}" if len(text) >= 16 else ""
    return f"given{at}" if kind == "MedicationAdministration" else f"given (order completed{at})"


def active_of_kind(
    ctx: Context, medications: Iterable[MedicationRecord], value_set: str
) -> tuple[Evidence, ...]:
    """Active requests and statements of a drug of ``value_set``, and doses of one given
    recently, by code or by name."""
    found = []
    for med in medications:
        if (state := _state(ctx, med, value_set)) is None:
            continue
        coded = next(
            (c for c in med.codes if ctx.term.in_value_set(value_set, c.system, c.code)), None
        )
        if coded is not None:
            drug = med.name or ctx.term.display(coded.system or "", coded.code)
        elif (drug := _named_by(ctx.term, med, value_set)) is None:
            continue
        named = shorten(drug, NAME_SHOWN) if drug else _UNNAMED[value_set]
        found.append(Evidence(med.ref, med.time, f"{named}, {state}"))
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
        name = cond.shown_name or shown or condition_named(cond)
        found.append(Evidence(cond.ref, cond.time, f"{name}, on the problem list"))
    return tuple(found)
