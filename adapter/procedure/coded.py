"""Criteria 4, 5 and 8 (contract §5) for cord compression and paralysis recorded as diagnoses
(adapter/mapping/coded.py): what EHRs hold instead of a Frankel or Bilsky grade.

A current, confirmed one is what the grade it stands for would be: a paraplegia or quadriplegia
is a deficit (criterion 4 unmet, no Frankel grade inferred: "Frankel/AIS grade not recorded
(A–D)"); a cord compression or cauda equina syndrome at the ordered level is criterion 5 unmet,
at another level or without a level criterion 8 unmet ("here or elsewhere"). An unconfirmed one
may or may not be present (contract §2): unknown, "confirm". One before a completed decompression
is unknown ("re-image"), as a Bilsky grade before a decompression is; radiotherapy alone does not
decompress at once, so at the ordered level it stays unmet; a paralysis before either is an
established deficit ("new or worse?"), as the neurology card says. A dated one (older than the
window of the grade it stands for) still makes a criterion unmet, never met (contract §2), said
dated.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from adapter.mapping.coded import Coded
from adapter.mapping.findings import Chosen
from adapter.procedure.criteria import DECOMPRESSION, FIRST, Criterion, Judge, cite
from adapter.scoring import Frankel

__all__ = ["CodedVerdict", "coded_compression_at", "coded_deficit", "coded_elsewhere"]

_REIMAGE = "re-image before the procedure"
_CONFIRM = "confirm the diagnosis: record the Bilsky grade from MRI"
_RECORD_PALSY = "examine and record the Frankel or AIS grade"


def _stale(coded: Coded) -> str:
    """A dated diagnosis still makes criterion 5 or 8 unmet (contract §2: dated evidence may,
    never met), said dated rather than as current compression."""
    return " (dated: not known to be current)" if coded.dated else ""


def _decompressed(coded: Coded) -> bool:
    return coded.treatment is not None and "decompression" in coded.treatment.kinds


def _rank(coded: Coded) -> tuple[bool, bool, bool]:
    """The most serious first: confirmed, timed, then untreated."""
    return (not coded.confirmed, coded.behind is not None, coded.treatment is not None)


def _unsettled(judge: Judge, coded: Coded, action: str) -> Criterion:
    """A diagnosis with no recorded time beside a timed grade: unknown, never met or unmet."""
    return judge.unknown(coded.unsettled, action=action, finding=coded.unsettled_short)


def coded_deficit(
    judge: Judge, coded: Sequence[Coded], palsy: Chosen[Frankel] | None
) -> Criterion | None:
    """Criterion 4 from a coded paralysis no later grade answers; None when there is none, or
    when the latest grade is itself a deficit (then the grade is named)."""
    if not coded or (palsy is not None and not palsy.values <= {Frankel.E}):
        return None
    first = min(coded, key=_rank)
    if first.confirmed and first.behind is not None:
        return _unsettled(judge, first, "confirm the current Frankel/AIS grade with its time")
    graded = "Frankel/AIS grade not recorded"
    if palsy is not None:
        graded = f"Frankel/AIS grade not recorded since {cite(palsy.evidence)}"
    if not first.confirmed:
        return judge.unknown(
            f"{first.named}: a neurological deficit may be recorded; {graded}",
            action=_RECORD_PALSY,
            finding=first.short,
        )
    if first.treatment is not None:
        return judge.unmet(
            f"{first.named}: a neurological deficit is recorded{first.treated}; {graded}",
            action=(
                f"re-examine: is the deficit new or worse since the {first.treatment.name}? If "
                "so, contact the MSCC / spinal team now"
            ),
            finding=first.established,
            established=True,
        )
    again = "re-examine now: the diagnosis is dated — " if first.dated else ""
    return judge.unmet(
        f"{first.named}: a neurological deficit is recorded; {graded} (A–D)",
        action=f"{again}{_RECORD_PALSY}; {DECOMPRESSION}",
        finding=first.short,
    )


def coded_compression_at(judge: Judge, level: str, coded: Sequence[Coded]) -> Criterion | None:
    """Criterion 5 from a coded cord compression at the ordered level; None when there is none."""
    here = [c for c in coded if level in c.levels]
    if not here:
        return None
    first = min(here, key=_rank)
    if first.confirmed and first.behind is not None:
        return _unsettled(judge, first, _CONFIRM)
    if not first.confirmed:
        return judge.unknown(
            f"{first.named}: cord compression at {level} not excluded",
            action=_CONFIRM,
            finding=first.short,
        )
    if _decompressed(first):
        return judge.unknown(
            f"{first.named}{first.treated}",
            action=_REIMAGE,
            finding=f"{first.short}{first.treated} — re-image",
        )
    again = "re-examine and re-image now: the diagnosis is dated — " if first.dated else ""
    return judge.unmet(
        f"{first.named}{first.treated}: suspected cord compression{_stale(first)}",
        action=f"{again}{DECOMPRESSION}",
        finding=first.short,
    )


@dataclass(frozen=True, slots=True)
class CodedVerdict:
    """What one coded compression says for criterion 8."""

    status: str  # unmet | unknown
    basis: str
    action: str
    finding: str
    unplaced: bool  # no level recorded: here or elsewhere
    here: bool = False  # at a level the order names or bridges without treating it


def coded_elsewhere(
    coded: Sequence[Coded],
    treated: Collection[str],
    decompressing: Collection[str],
    reach: Mapping[str, str] | None = None,
) -> tuple[list[CodedVerdict], list[str]]:
    """(the verdicts of the coded compressions outside the treated levels, the notes of those a
    decompression of the same request treats); one at a treated level is criterion 5's, one at
    a level in ``reach`` (named or bridged by the order, not treated) is said where it is."""
    reach = reach or {}
    verdicts: list[CodedVerdict] = []
    notes: list[str] = []
    for c in coded:
        others = [lv for lv in c.levels if lv not in treated]
        if c.levels and not others:
            continue
        if others and set(others) <= set(decompressing):
            notes.append(f"{c.named}: decompression ordered in this request")
            continue
        here = next((reach[lv] for lv in others if lv in reach), None)
        where = here or ("elsewhere" if c.levels else "here or elsewhere")
        if not c.confirmed:
            basis = f"{c.named}: cord compression {where} not excluded"
            verdicts.append(CodedVerdict("unknown", basis, _CONFIRM, c.short, not c.levels))
        elif c.behind is not None:
            finding = c.unsettled_short
            verdicts.append(CodedVerdict("unknown", c.unsettled, _CONFIRM, finding, not c.levels))
        elif c.treatment is not None:
            basis = f"{c.named}{c.treated}"
            finding = f"{c.short}{c.treated} — re-image"
            verdicts.append(CodedVerdict("unknown", basis, _REIMAGE, finding, not c.levels))
        else:
            basis = f"{c.named}: suspected cord compression {where}{_stale(c)}"
            verdicts.append(CodedVerdict("unmet", basis, FIRST, c.short, not c.levels, bool(here)))
    return verdicts, notes
