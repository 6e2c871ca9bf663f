"""Chosen findings → score inputs with their basis: the caveats that travel with every result
(conflicts, dated inputs) are added here, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TypeVar

from adapter.fhir.read.evidence import DATED_INPUT, Basis, Evidence
from adapter.mapping.findings import Chosen
from adapter.scoring import Possible

__all__ = [
    "CONFLICT_SETTLE",
    "caveats_of",
    "conflict_settle",
    "conflicting",
    "dated_caveats",
    "enum_input",
    "only",
]

E = TypeVar("E", bound=Enum)


def dated_caveats(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    """One caveat per input that may no longer hold at the computation time."""
    return tuple(
        f"{DATED_INPUT}{ev.shown or ev.summary} ({_cited(ev)}): {ev.dated}."
        for ev in evidence
        if ev.dated
    )


def _cited(ev: Evidence) -> str:
    """The reference and the time as written: cards drop the one and show the day of the other."""
    when = f", {ev.time.text}" if ev.time else ""
    return f"{ev.ref.reference or 'unreferenced'}{when}"


def caveats_of(chosen: Chosen[object]) -> tuple[str, ...]:
    conflict = (chosen.conflict,) if chosen.conflict else ()
    return (*conflict, *dated_caveats(chosen.evidence))


# What settles findings of one time that disagree (the note names them). The component's own
# "record …" advice read as if nothing were recorded, and for an input with another source
# ("or the primary tumour Condition") named one that cannot settle it: a finding outranks it.
CONFLICT_SETTLE = "settle the conflicting findings — correct what is wrong, or record a later one"


def conflict_settle(settle: str | None) -> str | None:
    """:data:`CONFLICT_SETTLE` for an input whose findings disagree; None for one with nothing
    to record (``settle`` None: the SINS location, a stability verdict)."""
    return None if settle is None else CONFLICT_SETTLE


def conflicting(basis: Basis) -> bool:
    """Whether an input's findings of one time disagree (its settle says so)."""
    return basis.settle == CONFLICT_SETTLE


def only(chosen: Chosen[object] | None, kind: type[E]) -> Chosen[E] | None:
    """The chosen values of one enum type (a finding's answers are typed by its code)."""
    if chosen is None:
        return None
    values = frozenset(v for v in chosen.values if isinstance(v, kind))
    return Chosen(values, chosen.evidence, chosen.conflict)


def enum_input(
    chosen: Chosen[E] | None, enum: type[E], settle: str | None
) -> tuple[Possible[E], Basis]:
    """The possible values of a finding-fed input; unknown (every value) when none counts."""
    if chosen is None:
        return Possible.unknown(enum), Basis(settle=settle)
    settles = conflict_settle(settle) if chosen.conflict else None
    return Possible(chosen.values), Basis(chosen.evidence, (), settles, caveats_of(chosen))
