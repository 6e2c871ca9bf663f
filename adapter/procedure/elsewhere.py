"""Criterion 8, no untreated cord compression elsewhere (contract §5 v3), patient-wide.

A Bilsky 2–3 at any level the order does not treat (each level's latest grade, not superseded by a
decompression), or a preliminary report of one, is unmet: suspected cord compression elsewhere comes
first. Met when every other scored level has a current grade 0–1c, or a final whole-spine MRI within
the compression window says no level is Bilsky 2–3; unknown otherwise, naming the levels without a
grade. A grade before a decompression, an irradiated grade and an old grade a later Frankel/AIS E
questions are unknown: re-image. A clear whole-spine MRI settles the levels without a grade and the
grades before it that ask to re-image, never a current Bilsky 2–3, whichever is later: only surgery
supersedes a grade (contract §5 v3), and the neurology card stays critical for it (§4 v3: one
decision on every surface) — the verdict is named beside it as a disagreement in the record. So is a
0–1c that outranks a Bilsky 2–3 with no recorded time ("no recorded time — confirm"): of uncertain
age, the untimed grade keeps the criterion from being met but does not make it unmet. A Bilsky 2–3
at a level the same request decompresses is named, not held against the order. One at a level the
order names or bridges without treating it (an instrumented level, an unrecognised order's own, a
level inside a fixation's construct) counts too, said where it is ("at an ordered level", "within
the construct (T11–L1)"), never "elsewhere"; a grade without a level counting there and at another
level is "here or elsewhere". A grade without a level counts at every other scored level without its
own grade when it is Bilsky 2–3 (contract §2), and says so; a bone metastasis whose level is not
recorded (no bodySite, or a spinal region only) is such a level, with no grade of its own. One that
every scored level's own grade outranks counts at no level, yet it is recorded: the compression is
at the ordered level or at another, so it is unmet, "here or elsewhere", claiming no level
(critical, as the neurology card). A cord compression or cauda equina syndrome recorded as a
diagnosis that no later grade answers counts as such a grade at its level, or without a level "here
or elsewhere" (adapter/procedure/coded.py).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.coded import coded_compressions
from adapter.mapping.compression import (
    CONFIRM_BILSKY,
    UNTIMED,
    Grade,
    bracketed,
    clear_named,
    clear_whole_spine,
    compression_grades,
    concern,
    grade_at,
    reimaged,
    unplaced_compression,
    whole_spine_time,
)
from adapter.mapping.findings import WholeSpine
from adapter.mapping.rules import Rules
from adapter.pipeline import PatientResult
from adapter.procedure.coded import coded_elsewhere
from adapter.procedure.criteria import FIRST, Criterion, Judge
from adapter.scoring import level_order

__all__ = ["elsewhere_criterion"]

_JUDGE = Judge(8, "No untreated cord compression elsewhere")
_RECORD = "record the Bilsky grade at each level, or a whole-spine MRI verdict"
_EITHER = "here or elsewhere"  # not known which
_ANYWHERE = f"suspected cord compression {_EITHER}"
_SETTLED = frozenset({"decompressed", "listed"})  # superseded by surgery: not current compression
# Current compression, critical on the neurology card: no whole-spine verdict settles it.
_CURRENT = frozenset({"compression", "preliminary"})
_DISAGREES = (
    "{verdict} — disagrees: a whole-spine verdict does not replace a recorded Bilsky grade; "
    "confirm from the MRI reports"
)


@dataclass(frozen=True, slots=True)
class _Verdict:
    status: str  # unmet | unknown | met
    basis: str
    action: str | None = None
    finding: str | None = None
    unplaced: bool = False  # a grade no level holds: here or elsewhere
    here: bool = False  # at a level the order reaches without treating it (``reach``)


def _judge_grade(
    grade: Grade, result: PatientResult, rules: Rules, where: tuple[str, bool] | None = None
) -> _Verdict | None:
    """What one grade elsewhere says, or where the order reaches (``where``: how it is said, and
    whether it may be elsewhere too); None when it is a current Bilsky 0–1c."""
    what = concern(grade, result.assessment.safety, result.now, rules)
    named = f"{grade.named} ({grade.day})"
    if what == "untimed":
        hidden = f"{grade.untimed_named} ({UNTIMED})"
        return _Verdict("unknown", f"{hidden}; latest timed grade {named}", CONFIRM_BILSKY, hidden)
    if what == "low":
        return (
            _Verdict("unknown", f"{named}, dated", "re-assess: re-image") if grade.dated else None
        )
    if what in ("compression", "preliminary"):
        mark = "preliminary — confirm" if what == "preliminary" else ""
        finding = f"{grade.named}{bracketed(grade.brief, mark)}"
        words, either = where or ("elsewhere", False)
        said = f"{finding}: suspected cord compression {words}"
        here = where is not None and not either
        return _Verdict("unmet", said, FIRST, finding, unplaced=either, here=here)
    if what == "irradiated":
        return _Verdict("unknown", f"{named}{grade.treated}", "re-image before any procedure")
    if what == "reimage":
        return _Verdict("unknown", f"{named}, Frankel/AIS E since", "re-image")
    return _Verdict("unknown", f"{named}{grade.treated}", "re-image before the procedure")


def _whole_spine(
    result: PatientResult, grades: Sequence[Grade]
) -> tuple[ClinicalTime | None, _Verdict | None]:
    """(the time before which the levels are settled by a clear whole-spine MRI, a verdict of
    high-grade compression that no grade at a level accounts for)."""
    verdict = result.assessment.safety.whole_spine
    if verdict is None:
        return None, None
    if WholeSpine.HIGH_GRADE in verdict.values:
        finding = unplaced_compression(verdict, grades)
        return None, (_Verdict("unmet", finding, FIRST, finding) if finding else None)
    when = clear_whole_spine(result.assessment.safety)
    return (when, _Verdict("met", clear_named(when))) if when is not None else (None, None)


def _settled(grade: Grade, clear: ClinicalTime | None, result: PatientResult, rules: Rules) -> bool:
    """Whether a clear whole-spine MRI later than the grade settles it: not a current Bilsky
    2–3, which stays (contract §5 v3: only surgery supersedes a grade)."""
    safety = result.assessment.safety
    return clear is not None and reimaged(grade, safety, result.now, rules) is not None


def _disagreement(
    grades: Sequence[Grade], whole: _Verdict | None, result: PatientResult, rules: Rules
) -> str | None:
    """The clear whole-spine verdict, named as a disagreement when a current Bilsky 2–3 of the
    same or an earlier time stands beside it."""
    verdict = result.assessment.safety.whole_spine
    if whole is None or whole.status != "met" or verdict is None:
        return None
    when = whole_spine_time(verdict)
    safety, now = result.assessment.safety, result.now
    if when is not None and any(
        g.time is not None and g.time <= when and concern(g, safety, now, rules) in _CURRENT
        for g in grades
    ):
        return _DISAGREES.format(verdict=whole.basis)
    return None


def _unlocated(result: PatientResult) -> list[str]:
    """The bone metastases whose level is not recorded, as the card names them: each is a level
    with no grade of its own, where a Bilsky 2–3 without a level counts (contract §2)."""
    safety = result.assessment.safety
    kinds = (
        (len(safety.unsited_lesions), "with no level recorded"),
        (len(safety.regional_lesions), "recorded by spinal region only"),
    )
    return [
        f"the bone metastasis {how}" if n == 1 else f"the {n} bone metastases {how}"
        for n, how in kinds
        if n
    ]


def _loose_at(
    grades: Sequence[Grade], result: PatientResult, treated: Collection[str]
) -> list[str] | None:
    """Where the grade without a level counts outside the treated levels (contract §2: a Bilsky
    2–3 at every scored level without its own grade; 0–1c only with one scored level): those
    levels, [] when the patient has no level at all (it is the whole patient's), None when it
    counts nowhere else (at the treated levels it is criterion 5's)."""
    loose = next((g for g in grades if g.level is None), None)
    if loose is None:
        return None
    scored = [lv.level for lv in result.levels]
    if not scored and not treated:
        return []
    count = len(scored)
    at = [lv for lv in scored if lv not in treated and grade_at(grades, lv, count) is loose]
    if loose.high_grade:
        at += _unlocated(result)
    return at or None


def _unplaced(
    grades: Sequence[Grade], result: PatientResult, rules: Rules, clear: ClinicalTime | None
) -> Grade | None:
    """A Bilsky 2–3 without a level that every scored level's own grade outranks (contract §2):
    it counts at no level, yet it is recorded — at the ordered level or at another, not known
    which (a later grade at a level does not locate it) — until a final clear whole-spine MRI
    later than it settles it (not a current one: :func:`_settled`)."""
    loose = next((g for g in grades if g.level is None), None)
    scored = [lv.level for lv in result.levels]
    if loose is None or not loose.high_grade or not scored:
        return None
    if any(grade_at(grades, lv, len(scored)) is loose for lv in scored) or _unlocated(result):
        return None  # it counts at a level: criterion 5 there, or 8 elsewhere
    if concern(loose, result.assessment.safety, result.now, rules) in _SETTLED:
        return None
    return None if _settled(loose, clear, result, rules) else loose


def _judge_unplaced(grade: Grade, result: PatientResult, rules: Rules) -> _Verdict | None:
    """What a grade no level holds says: suspected compression "here or elsewhere" (unmet,
    claiming no level), or re-image as the neurology card says."""
    verdict = _judge_grade(grade, result, rules)
    if verdict is None:
        return None
    if verdict.status == "unmet" and verdict.finding:
        basis = f"{verdict.finding}: {_ANYWHERE}"
        return _Verdict("unmet", basis, FIRST, verdict.finding, unplaced=True)
    finding = f"{verdict.basis} — {verdict.action}" if verdict.action else verdict.basis
    return _Verdict(verdict.status, verdict.basis, verdict.action, finding, unplaced=True)


def _placed(verdict: _Verdict, grade: Grade, at: Sequence[str]) -> _Verdict:
    """A grade without a level says where it counts."""
    if grade.level or not at:
        return verdict
    which = "which has no grade of its own" if len(at) == 1 else "which have no grade of their own"
    return replace(verdict, basis=f"{verdict.basis} (counts at {', '.join(at)}, {which})")


def _reached(grade: Grade, at: Sequence[str], reach: Mapping[str, str]) -> tuple[str, bool] | None:
    """Where a grade is, when the order reaches it without treating it: how it is said, and
    whether it may be elsewhere too (a grade without a level that counts at such a level and at
    others: "here or elsewhere"); None when it is elsewhere."""
    levels = [grade.level] if grade.level else list(at)
    reached = [lv for lv in levels if lv in reach]
    if not reached:
        return None
    if len(reached) == len(levels):
        return reach[reached[0]], False
    return _EITHER, True


def elsewhere_criterion(
    result: PatientResult,
    treated: Collection[str],
    rules: Rules,
    decompressing: Collection[str] = (),
    reach: Mapping[str, str] | None = None,
) -> Criterion:
    """Criterion 8 for an order treating ``treated``; ``decompressing``: the levels a
    decompression order of the same request names; ``reach``: the levels the order names or
    bridges without treating them, each with how it is said ("at an ordered level"), where
    compression is here, not elsewhere."""
    reach = reach or {}
    grades = compression_grades(result.assessment.safety, result.assessment.treatments)
    loose = _loose_at(grades, result, treated)
    others = [g for g in grades if g.level is not None and g.level not in treated]
    others += [g for g in grades if g.level is None and loose is not None]
    clear, whole = _whole_spine(result, grades)
    if whole is not None and whole.status == "unmet":
        return _JUDGE.unmet(whole.basis, action=whole.action, finding=whole.finding)
    recent = [g for g in others if not _settled(g, clear, result, rules)]
    unplaced = _unplaced(grades, result, rules, clear)
    held = [*recent, *([unplaced] if unplaced else [])]
    conflict = _disagreement(held, whole, result, rules)
    notes = [conflict] if conflict else []
    verdicts: list[_Verdict] = []
    # Where each grade may be: its level, the levels a grade without a level counts at, or —
    # for one no level holds — every scored level, the ordered ones included.
    anywhere = [*(lv.level for lv in result.levels), *treated]
    placed = [(g, [g.level] if g.level else (loose or [])) for g in recent]
    for grade, at in [*placed, *([(unplaced, anywhere)] if unplaced else [])]:
        if grade.high_grade and at and set(at) <= set(decompressing):
            notes.append(f"{grade.named} ({grade.day}): decompression ordered in this request")
            continue
        if grade is unplaced:
            verdict = _judge_unplaced(grade, result, rules)
        else:
            verdict = _judge_grade(grade, result, rules, _reached(grade, at, reach))
        if verdict is not None:
            verdicts.append(_placed(verdict, grade, at) if grade is not unplaced else verdict)
    coded = coded_compressions(result.assessment.safety, result.assessment.treatments)
    said, noted = coded_elsewhere(coded, treated, decompressing, reach)
    verdicts += [_Verdict(v.status, v.basis, v.action, v.finding, v.unplaced, v.here) for v in said]
    notes += noted
    # Compression where the order operates leads: the summary names the first finding.
    if unmet := sorted((v for v in verdicts if v.status == "unmet"), key=lambda v: not v.here):
        basis = "; ".join([*(v.basis for v in unmet), *notes])
        where = all(v.unplaced for v in unmet)
        first = unmet[0]
        return _JUDGE.unmet(
            basis, action=FIRST, finding=first.finding, unplaced=where, here=first.here
        )
    graded = {g.level for g in others} | set(loose or [])
    missing = [
        lv.level for lv in result.levels if lv.level not in treated and lv.level not in graded
    ]
    if not any(g.level is None for g in grades):  # a grade without a level may be theirs
        missing += _unlocated(result)  # levels with no grade of their own, wherever they are
    if whole is not None:  # a clear whole-spine MRI settles every level graded before it
        missing = []
    if verdicts or missing:
        return _unknown(verdicts, missing, notes, reach)
    # A level whose own grade is 2–3 (decompressed in this request) is not among the calm ones.
    high = {g.level for g, _ in placed if g.high_grade}
    calm = _met_basis(whole, graded, high, reach)
    return _JUDGE.met("; ".join([*([calm] if calm else []), *notes]))


def _unknown(
    verdicts: Sequence[_Verdict],
    missing: Sequence[str],
    notes: Sequence[str],
    reach: Mapping[str, str],
) -> Criterion:
    unknown = [v.basis for v in verdicts]
    if missing:
        unknown.append(f"no Bilsky grade at {', '.join(missing)}")
    action = _RECORD if missing else next((v.action for v in verdicts if v.action), None)
    said = f"no Bilsky grade at {', '.join(missing)}" if missing else unknown[0]
    first = verdicts[0] if verdicts else None  # a grade no level holds claims no "elsewhere"
    anywhere = first is not None and first.unplaced and not missing
    # Levels the order reaches are not elsewhere: without a grade there, the grade is what to ask.
    reached = [lv for lv in missing if lv in reach]
    finding: str | None = f"{said} — compression elsewhere?"
    if reached:
        finding = (
            said if len(reached) == len(missing) else f"{said} — compression here or elsewhere?"
        )
    elif first and anywhere:
        finding = first.finding
    elif first is not None and first.action and not missing:
        # A known grade that must be re-imaged: what to do, as the neurology card says it.
        finding = f"{said} — {first.action}"
    return _JUDGE.unknown("; ".join([*unknown, *notes]), action=action, finding=finding)


def _met_basis(
    whole: _Verdict | None,
    graded: Collection[str | None],
    high: Collection[str | None],
    reach: Mapping[str, str],
) -> str | None:
    """What settles the other levels: a clear whole-spine MRI, the levels at Bilsky 0–1c, or
    none recorded; None when every graded level is a 2–3 (``high``) the notes name. A level the
    order names without treating it (``reach``) is said so, never "another" level."""
    if whole is not None:
        return whole.basis
    levels = sorted((lv for lv in graded if lv and lv not in high), key=level_order)
    if levels and any(lv in reach for lv in levels):
        named = ", ".join(f"{lv} {reach[lv]}" if lv in reach else lv for lv in levels)
        return f"Bilsky 0–1c at every level the order does not treat ({named})"
    if levels:
        return f"Bilsky 0–1c at every other level ({', '.join(levels)})"
    return None if any(graded) else "no metastasis or Bilsky grade recorded at another level"
