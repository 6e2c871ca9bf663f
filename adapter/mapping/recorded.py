"""What a patient's record holds for the forms (contract §7, ``$populate``): the scored levels and
the finding that counts for each question, read by the same rules as the scores.

A question is prefilled only when one answer counts (never a conflict of equal-time findings,
nor a final finding a newer preliminary report disputes); the finding's clinical time travels
with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from adapter.fhir.read.source import PatientData
from adapter.fhir.read.timing import ClinicalTime
from adapter.mapping.compression import day_of
from adapter.mapping.context import Context
from adapter.mapping.displays import answer_displayed
from adapter.mapping.extract import findings_and_levels
from adapter.mapping.findings import (
    FINDING_ANSWERS,
    SINS_FINDINGS,
    Bilsky,
    Chosen,
    Finding,
    choose_latest,
)
from adapter.mapping.observations import Findings
from adapter.mapping.placement import bilsky_at, finding_at
from adapter.mapping.rules import Rules
from adapter.mapping.safety import replaced, safety_inputs
from adapter.mapping.staging import read_staging
from adapter.mapping.status import latest_palsy
from adapter.mapping.terminology import Terminology
from adapter.scoring import Frankel, level_order
from adapter.vocabulary.findings import (
    ASIA_IMPAIRMENT_SCALE,
    EPIDURAL_SPINAL_CORD_COMPRESSION,
    FRANKEL_GRADE,
)
from adapter.vocabulary.forms import FORMS

__all__ = ["Answer", "Recorded", "recorded_findings"]

_BILSKY = EPIDURAL_SPINAL_CORD_COMPRESSION
# Asked once per level on the forms: the SINS findings, the Bilsky grade, the spinal stability.
_PER_LEVEL = frozenset(f for form in FORMS.values() for f in form.per_level)
_PALSY = (FRANKEL_GRADE, ASIA_IMPAIRMENT_SCALE)  # one quantity: either's report stands for both


@dataclass(frozen=True, slots=True)
class Answer:
    """The answer that counts for one question: a finding answer code or a count, and its time."""

    value: str | int
    time: ClinicalTime | None


@dataclass(slots=True)
class Recorded:
    levels: tuple[str, ...]
    whole: dict[str, Answer] = field(default_factory=dict)  # finding → answer
    at_level: dict[tuple[str, str], Answer] = field(default_factory=dict)  # (level, finding)
    # Preliminary reports that may say worse than what the form could show, by (level or None,
    # finding), each named by its answer and its day to be shown beside the question: an answer
    # to the question would replace them (contract §2).
    reports: dict[tuple[str | None, str], str] = field(default_factory=dict)


def _answer(finding: str, chosen: Chosen[object] | None) -> Answer | None:
    if chosen is None or len(chosen.values) != 1:
        return None
    (value,) = chosen.values
    time = max((ev.time for ev in chosen.evidence if ev.time), default=None)
    if isinstance(value, Enum):
        codes = {member: code for code, member in FINDING_ANSWERS[finding].items()}
        return Answer(codes[value], time)
    return Answer(value, time) if isinstance(value, int) else None


# A preliminary report as the form names it: each finding it holds, with its finding code.
_Report = list[tuple[str, Finding[Enum | int]]]


def _disputing_report(
    found: Findings, finding: str, level: str | None, chosen: Chosen[object] | None
) -> _Report | None:
    """A preliminary report of the question (at the level, or without one) that the final
    finding does not replace and that may say worse (contract §2): prefilled with the final
    value, the form would hide it, and an answer kept or confirmed "unchanged" would replace it
    unseen; with no final finding, any answer would. A grade reported no worse than the final one
    (a preliminary Bilsky 1a beside a final Bilsky 3, a Frankel E beside a C) disputes nothing."""
    codes = _PALSY if finding in _PALSY else (finding,)
    early = [
        (code, f)
        for code in codes
        for f in found.preliminary.get(code, [])
        if level is None or not f.levels or level in f.levels
    ]
    pre = choose_latest([f for _, f in early], finding) if early else None
    if pre is None:
        return None
    if chosen is None:
        disputes = _worse(pre.values, frozenset())
    else:
        disputes = (
            pre.values != chosen.values
            and not replaced(pre, chosen)
            and _worse(pre.values, chosen.values)
        )
    if not disputes:
        return None
    # The findings the report holds, the latest first, as its evidence cites them.
    return [
        (code, f)
        for ev in pre.evidence
        for code, f in early
        if f.obs.ref == ev.ref and f.obs.time == ev.time and f.value in pre.values
    ]


def _worse(reported: frozenset[object], final: frozenset[object]) -> bool:
    """Whether a preliminary report may say worse than the final finding (none: than nothing): a
    Bilsky 2–3 beside a low grade, a lower Frankel/AIS grade (A–D); any other finding that
    differs (SINS)."""
    said = [v for v in reported if isinstance(v, Bilsky)]
    held = [v for v in final if isinstance(v, Bilsky)]
    if len(said) == len(reported) and len(held) == len(final):
        return any(v.high_grade for v in said) and not (held and all(v.high_grade for v in held))
    letters = [v.value for v in reported if isinstance(v, Frankel)]
    kept = [v.value for v in final if isinstance(v, Frankel)]
    if len(letters) == len(reported) and len(kept) == len(final):
        return min(letters) < min(kept, default="E")
    return True


def recorded_findings(
    data: PatientData,
    term: Terminology,
    now: ClinicalTime,
    findings: Iterable[str],
    *,
    rules: Rules,
) -> Recorded:
    """The scored levels and, for each of ``findings``, the answer that counts (per level for
    the findings the forms ask per level, else for the patient)."""
    ctx = Context(term, rules, now, [])
    staging = read_staging(ctx, data.conditions)
    found, plan = findings_and_levels(ctx, data, staging)
    findings = tuple(findings)
    levels = list(plan.levels)
    if _BILSKY in findings:
        # A grade, a preliminary Bilsky 2–3 the neurology card alarms on, or a cord compression
        # coded as a diagnosis, where no metastasis is coded still raises the alarm and blocks
        # an order (contract §4, §5 criterion 8): its level is offered, so that it can be
        # graded there (the report named beside the question). All down the spine.
        graded = {lv for f in found.coded.get(_BILSKY, []) for lv in f.levels or ()}
        safety = safety_inputs(ctx, found, staging, data.medications)
        graded |= set(safety.preliminary_compression)
        graded |= {lv for c in staging.cord_compression for lv in c.levels}
        if graded - set(levels):
            levels = sorted(graded | set(levels), key=level_order)
    recorded = Recorded(tuple(levels))
    n = len(plan.levels)
    for finding in findings:
        if finding in SINS_FINDINGS or finding in _PER_LEVEL:
            for level in plan.levels if finding != _BILSKY else levels:
                chosen = (
                    bilsky_at(found, level, n)
                    if finding == _BILSKY
                    else finding_at(found, finding, level, n).chosen
                )
                answer = _answer(finding, chosen)
                if (report := _disputing_report(found, finding, level, chosen)) is not None:
                    recorded.reports[(level, finding)] = _cited(term, report, at_level=True)
                elif answer is not None:
                    recorded.at_level[(level, finding)] = answer
            continue
        chosen = choose_latest(found.coded.get(finding, []), finding)
        answer = _answer(finding, chosen)
        # Frankel and AIS are one quantity: either scale's final grade answers a report of both.
        final = latest_palsy(found, untimed=False, alarm=True) if finding in _PALSY else chosen
        if (report := _disputing_report(found, finding, None, final)) is not None:
            recorded.reports[(None, finding)] = _cited(term, report)
        elif answer is not None:
            recorded.whole[finding] = answer
    return recorded


def _cited(term: Terminology, report: _Report, at_level: bool = False) -> str:
    """ "Bilsky 3: cord compression, no CSF visible, 31 May 2024": the report by its answer and
    its day, once, beside the question it answers (so never the question's title again); ",
    dated" when it may no longer hold; "no date recorded" when it has no time; beside a level's
    question (``at_level``), "level not recorded" for a report that names none (the card says so
    too: it may be another level's)."""
    return "; ".join(
        dict.fromkeys(
            ", ".join(
                part
                for part in (
                    answer_displayed(term, code, f.value),
                    day_of(f.obs.time),
                    "dated" if f.dated and f.obs.time is not None else "",
                    "level not recorded" if at_level and not f.levels else "",
                )
                if part
            )
            for code, f in report
        )
    )
